namespace Federation.Scheduling.Tests;

/// <summary>Residency classes as pure policy: the class rules, effective regions, the hard constraint, placement and the rebalancer.</summary>
public sealed class ResidencyTests
{
    private static readonly Megaregion Mega = Build.Mega(
        [
            Build.Region("a", Build.Offer(("H100", 8)), Build.Pool("H100", 8)),
            Build.Region("b", Build.Offer(("H100", 8)), Build.Pool("H100", 8)),
            Build.Region("c", Build.Offer(("NPU", 8)), Build.Pool("NPU", 8)),
        ],
        new Link("a", "b", 2, 400),
        new Link("a", "c", 2, 400),
        new Link("b", "c", 2, 400));

    private static readonly ResidencyPolicy Policy = new(4, [new ResidencyClass("kr-health", ["a", "c"], 3), new ResidencyClass("kr-b", ["b"], 4)]);

    [Theory]
    [InlineData("kr-health", null)]
    [InlineData("a", null)]
    [InlineData("x-1-y", null)]
    [InlineData("", "must be 1 to 63")]
    [InlineData("Kr", "lower-case")]
    [InlineData("1kr", "starting with a letter")]
    [InlineData("kr-", "not ending with '-'")]
    [InlineData("kr_health", "lower-case letters, digits and '-'")]
    [InlineData("kr health", "lower-case letters, digits and '-'")]
    public void Class_names_are_DNS_labels(string name, string? error)
    {
        var found = ResidencyRules.CheckName(name);
        if (error is null)
        {
            Assert.Null(found);
        }
        else
        {
            Assert.Contains(error, found, StringComparison.Ordinal);
        }

        Assert.NotNull(ResidencyRules.CheckName(new string('k', 64)));
        Assert.Null(ResidencyRules.CheckName(new string('k', 63)));
    }

    [Fact]
    public void A_definition_names_every_field_at_fault()
    {
        var errors = ResidencyRules.Validate(Mega, "Bad", ["a", "z", "a"]);
        Assert.Equal(["name", "regions[1]", "regions[2]"], errors.Select(e => e.Field));
        Assert.Equal("unknown region 'z'; the regions are a, b, c", errors[1].Message);
        Assert.Equal("repeats 'a'", errors[2].Message);
        Assert.Equal(["regions"], ResidencyRules.Validate(Mega, "ok", []).Select(e => e.Field));
        Assert.Empty(ResidencyRules.Validate(Mega, "ok", ["c", "a"]));
        Assert.Equal(["a", "c"], ResidencyRules.Ordered(Mega, ["c", "a"]).ToArray());
    }

    [Fact]
    public void The_effective_regions_are_the_class_within_the_jobs_own_allowed_regions_and_an_unknown_class_allows_none()
    {
        Assert.Equal(["a", "b", "c"], Policy.EffectiveRegions(null, [], Mega).ToArray());
        Assert.Equal(["b"], Policy.EffectiveRegions(null, ["b"], Mega).ToArray());
        Assert.Equal(["a", "c"], Policy.EffectiveRegions("kr-health", [], Mega).ToArray());
        Assert.Equal(["c"], Policy.EffectiveRegions("kr-health", ["b", "c"], Mega).ToArray());
        Assert.Empty(Policy.EffectiveRegions("kr-health", ["b"], Mega));
        Assert.Empty(Policy.EffectiveRegions("kr-gone", [], Mega));
        Assert.Equal(["kr-b", "kr-health"], Policy.Classes.Select(c => c.Name));
    }

    [Fact]
    public void A_submission_names_dataset_residency_for_an_unknown_class_or_an_empty_intersection()
    {
        JobSubmission Job(string? residency, string[]? allowed = null, string[]? types = null) =>
            new("j", "p", "kim", "a", 2, types is null ? [] : [.. types], 0, 1, "a", 1, allowed is null ? [] : [.. allowed]) { Residency = residency };

        Assert.Empty(JobRules.Validate(Mega, Job("kr-health"), Policy));
        var unknown = Assert.Single(JobRules.Validate(Mega, Job("kr-genome"), Policy));
        Assert.Equal(("dataset.residency", "unknown residency class 'kr-genome'; the classes are kr-b, kr-health"), (unknown.Field, unknown.Message));
        var none = Assert.Single(JobRules.Validate(Mega, Job("kr-health"), ResidencyPolicy.Empty));
        Assert.Equal("unknown residency class 'kr-health'; no class is defined (PUT /api/residency/{class})", none.Message);
        var disjoint = Assert.Single(JobRules.Validate(Mega, Job("kr-health", allowed: ["b"]), Policy));
        Assert.Equal(("dataset.residency", "residency class kr-health allows a, c, and allowedRegions lists none of them"), (disjoint.Field, disjoint.Message));
        var syntax = Assert.Single(JobRules.Validate(Mega, Job("KR"), Policy));
        Assert.Equal("dataset.residency", syntax.Field);

        // The pool check looks only where the class lets the job run: kr-b's one region has no NPU.
        var pools = Assert.Single(JobRules.Validate(Mega, Job("kr-b", types: ["NPU"]), Policy));
        Assert.Equal(("allowedRegions", "none of the allowed regions has a pool of an acceptable accelerator type"), (pools.Field, pools.Message));
        Assert.Empty(JobRules.Validate(Mega, Job("kr-health", types: ["NPU"]), Policy));
    }

    [Fact]
    public void The_hard_constraint_excludes_regions_the_class_does_not_allow_and_every_region_for_an_unknown_class()
    {
        var job = Build.Job("j", 2, 100) with { ResidencyClass = "kr-b", ResidencyRegions = ["b"] };
        Assert.Equal(ConstraintFailure.ResidencyNotAllowed, HardConstraints.Check(job, Mega.Regions[0], 0));
        Assert.Equal(ConstraintFailure.None, HardConstraints.Check(job, Mega.Regions[1], 0));
        Assert.Equal("not allowed by the residency class of the job's dataset", HardConstraints.Describe(ConstraintFailure.ResidencyNotAllowed));

        var unknown = Build.Job("j", 2, 100) with { ResidencyClass = "kr-gone" };
        Assert.All(Mega.Regions, r => Assert.Equal(ConstraintFailure.ResidencyNotAllowed, HardConstraints.Check(unknown, r, 0)));

        // Regions without a class are not constrained by ResidencyRegions at all.
        Assert.Equal(ConstraintFailure.None, HardConstraints.Check(Build.Job("j", 2, 100), Mega.Regions[0], 0));
    }

    [Fact]
    public void Placement_never_chooses_a_region_outside_the_class_even_when_it_would_start_soonest()
    {
        var regions = Mega.Regions.Select(r => new RegionScheduler(r)).ToArray();
        regions[1].Enqueue(0, Build.Job("busy", 8, 10_000, home: "b"), 0);
        regions[1].Schedule(0, []);
        var scores = new CandidateScore[3];

        // Without a class, a waits for nothing: a is chosen. With kr-b, b is the only region, however long it waits.
        Assert.Equal(0, Placement.Decide(PlacementPolicy.EarliestStart, Build.Job("free", 2, 100), Mega, regions, 0, scores, new Random(1)));
        var resident = Build.Job("resident", 2, 100) with { ResidencyClass = "kr-b", ResidencyRegions = ["b"] };
        foreach (var policy in Enum.GetValues<PlacementPolicy>().Where(p => p != PlacementPolicy.Isolated))
        {
            Assert.Equal(1, Placement.Decide(policy, resident, Mega, regions, 0, scores, new Random(1)));
            Assert.Equal(ConstraintFailure.ResidencyNotAllowed, scores[0].Failure);
            Assert.Equal(ConstraintFailure.ResidencyNotAllowed, scores[2].Failure);
        }
    }

    [Fact]
    public void The_rebalancer_never_moves_a_queued_job_outside_its_class()
    {
        var regions = Mega.Regions.Select(r => new RegionScheduler(r)).ToArray();
        regions[0].Enqueue(0, Build.Job("run", 8, 10_000), 0);
        regions[0].Schedule(0, []);
        regions[0].Enqueue(1, Build.Job("held", 8, 1000, types: ["H100"]) with { ResidencyClass = "kr-health", ResidencyRegions = ["a", "c"] }, 0);
        regions[0].Enqueue(2, Build.Job("free", 8, 1000, types: ["H100"]), 0);
        var moves = new List<RebalanceMove>();

        var n = Rebalancer.Plan(Mega, regions, 0, new RebalancerOptions { ThresholdS = 300 }, moves, new double[3]);

        // b is idle: the job without a class moves there, the one whose class allows only a and c (no H100 in c) stays.
        var move = Assert.Single(moves);
        Assert.Equal(1, n);
        Assert.Equal((2L, 0, 1), (move.Ticket, move.FromRegion, move.ToRegion));
    }
}

namespace Federation.Scheduling.Tests;

public sealed class PlacementTests
{
    // a and b linked at 400 Gbps, 2 ms; c is reachable from nowhere. b and c lend 4 of their 8.
    private static Megaregion Mega() => Build.Mega(
        [
            Build.Region("a", Build.Offer(("H100", 4)), Build.Pool("H100", 8)),
            Build.Region("b", Build.Offer(("H100", 4)), Build.Pool("H100", 8)),
            Build.Region("c", Build.Offer(("H100", 4)), Build.Pool("H100", 8)),
        ],
        new Link("a", "b", 2, 400));

    private static RegionScheduler[] Scheds(Megaregion m) => m.Regions.Select(r => new RegionScheduler(r)).ToArray();

    private static void Fill(RegionScheduler s, double until)
    {
        s.Enqueue(999, Build.Job("fill", 8, until, home: s.Region.Id), 0);
        s.Schedule(0, []);
    }

    [Fact]
    public void Isolated_keeps_a_job_home_even_when_home_is_full()
    {
        var m = Mega();
        var s = Scheds(m);
        Fill(s[0], 1000);
        var scores = new CandidateScore[3];
        Assert.Equal(0, Placement.Decide(PlacementPolicy.Isolated, Build.Job("j", 2, 10, datasetGb: 100), m, s, 0, scores, new Random(1)));
    }

    [Fact]
    public void Earliest_start_moves_a_job_when_the_wait_at_home_exceeds_the_transfer_and_explains_why()
    {
        var m = Mega();
        var s = Scheds(m);
        Fill(s[0], 1000);
        var scores = new CandidateScore[3];
        var job = Build.Job("j", 2, 10, datasetGb: 1000);
        var chosen = Placement.Decide(PlacementPolicy.EarliestStart, job, m, s, 0, scores, new Random(1));

        Assert.Equal(1, chosen);
        var transfer = m.TransferTime("a", "b", 1000);
        Assert.Equal(1000, scores[0].Score);
        Assert.Equal(transfer, scores[1].TransferS, 9);
        Assert.Equal(transfer, scores[1].Score, 9);
        Assert.Equal(ConstraintFailure.NoLink, scores[2].Failure);
        var why = Placement.Explain(m, scores, chosen, 0);
        Assert.StartsWith("placed in b", why, StringComparison.Ordinal);
        Assert.Contains("a: expected start in 1000 s, transfer 0.0 s", why, StringComparison.Ordinal);
        Assert.Contains("b: expected start in 29 s, transfer 28.6 s", why, StringComparison.Ordinal);
        Assert.Contains("c: excluded (no network path from the dataset's region)", why, StringComparison.Ordinal);
    }

    [Fact]
    public void Earliest_start_stays_home_when_moving_the_data_costs_more_than_waiting()
    {
        var m = Mega();
        var s = Scheds(m);
        Fill(s[0], 20);
        var scores = new CandidateScore[3];
        Assert.Equal(0, Placement.Decide(PlacementPolicy.EarliestStart, Build.Job("j", 2, 10, datasetGb: 1000), m, s, 0, scores, new Random(1)));
    }

    [Fact]
    public void Ties_go_home_and_a_penalty_is_added_to_other_regions()
    {
        var m = Mega();
        var s = Scheds(m);
        var scores = new CandidateScore[3];
        var job = Build.Job("j", 2, 10, home: "b", datasetRegion: "b");
        Assert.Equal(1, Placement.Decide(PlacementPolicy.EarliestStart, job with { DatasetRegion = "b" }, m, s, 0, scores, new Random(1), new PlacementOptions { ExternalPenaltyS = 60 }));
        Assert.Equal(60 + scores[0].TransferS, scores[0].Score, 9);
        Assert.Equal(0, scores[1].Score);
    }

    [Fact]
    public void Hard_constraints_exclude_regions_and_each_gets_its_reason()
    {
        var m = Mega();
        var s = Scheds(m);
        var scores = new CandidateScore[3];

        // 6 accelerators from a: b's offer lends only 4; residency allows a and c.
        var job = Build.Job("j", 6, 10, allowed: ["a", "c"]);
        Assert.Equal(0, Placement.Decide(PlacementPolicy.EarliestStart, job, m, s, 0, scores, new Random(1)));
        Assert.Equal(ConstraintFailure.RegionNotAllowed, scores[1].Failure);
        Assert.Equal(ConstraintFailure.NotOffered, scores[2].Failure);
        Assert.Equal(double.PositiveInfinity, scores[1].Score);
    }

    [Fact]
    public void No_feasible_region_gives_minus_one()
    {
        var m = Mega();
        var scores = new CandidateScore[3];
        Assert.Equal(-1, Placement.Decide(PlacementPolicy.EarliestStart, Build.Job("j", 9, 10), m, Scheds(m), 0, scores, new Random(1)));
        Assert.StartsWith("no feasible region", Placement.Explain(m, scores, -1, 0), StringComparison.Ordinal);
    }

    [Fact]
    public void Least_loaded_picks_the_lowest_busy_plus_queued_share()
    {
        var m = Mega();
        var s = Scheds(m);
        Fill(s[0], 100);
        s[1].Enqueue(5, Build.Job("x", 2, 100, home: "b"), 0);
        s[1].Schedule(0, []);
        var scores = new CandidateScore[3];
        var job = Build.Job("j", 1, 10, home: "a", allowed: ["a", "b"]);
        Assert.Equal(1, Placement.Decide(PlacementPolicy.LeastLoaded, job, m, s, 0, scores, new Random(1)));
        Assert.Equal(0.25, scores[1].Score);
    }

    [Fact]
    public void Random_picks_only_feasible_regions_and_is_reproducible_for_a_seed()
    {
        var m = Mega();
        var s = Scheds(m);
        var scores = new CandidateScore[3];
        var job = Build.Job("j", 1, 10);
        var r1 = new Random(42);
        var r2 = new Random(42);
        var seen = new HashSet<int>();
        for (var i = 0; i < 200; i++)
        {
            var a = Placement.Decide(PlacementPolicy.Random, job, m, s, 0, scores, r1);
            Assert.Equal(a, Placement.Decide(PlacementPolicy.Random, job, m, s, 0, scores, r2));
            seen.Add(a);
        }

        // c has no link from the dataset's region a.
        Assert.Equal([0, 1], seen.Order().ToArray());
    }
}

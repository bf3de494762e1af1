namespace Federation.Scheduling.Tests;

/// <summary>
/// The credit ledger weighed in placement (issue 16, item 4): off by default; on, a region that lent more than it
/// borrowed takes jobs from elsewhere a little less readily, by a penalty that grows with its balance and stays under
/// the weight, so borrowing goes to regions that have lent less.
/// </summary>
public sealed class LedgerPlacementTests
{
    // Three regions of 8 H100, each lending 8, all linked: a job from "a" (full) may go to "b" or "c".
    private static Megaregion Mega() => Build.Mega(
        [
            Build.Region("a", Build.Offer(("H100", 8)), Build.Pool("H100", 8)),
            Build.Region("b", Build.Offer(("H100", 8)), Build.Pool("H100", 8)),
            Build.Region("c", Build.Offer(("H100", 8)), Build.Pool("H100", 8)),
        ],
        new Link("a", "b", 2, 400),
        new Link("a", "c", 2, 400),
        new Link("b", "c", 2, 400));

    private static (Megaregion Mega, RegionScheduler[] Regions) HomeFull()
    {
        var m = Mega();
        var s = m.Regions.Select(r => new RegionScheduler(r)).ToArray();
        s[0].Enqueue(999, Build.Job("fill", 8, 1000, home: "a"), 0);
        s[0].Schedule(0, []);
        return (m, s);
    }

    [Theory]
    [InlineData(0, 1000, 5000, 0)]
    [InlineData(600, 1000, 0, 0)]
    [InlineData(600, 1000, -3000, 0)]
    [InlineData(600, 1000, 1000, 300)]
    [InlineData(600, 1000, 3000, 450)]
    [InlineData(600, 0, 3000, 0)]
    [InlineData(600, 1000, double.NaN, 0)]
    [InlineData(double.NaN, 1000, 3000, 0)]
    [InlineData(600, 1000, double.PositiveInfinity, 600)]
    public void The_penalty_grows_with_net_lending_and_stays_within_the_weight(double weightS, double scaleHours, double balanceHours, double expectedS) =>
        Assert.Equal(expectedS, Placement.LedgerPenaltyS(weightS, scaleHours, balanceHours), 9);

    [Fact]
    public void The_penalty_never_reaches_the_weight_for_any_finite_balance()
    {
        for (var b = 1.0; b < 1e12; b *= 10)
        {
            var p = Placement.LedgerPenaltyS(600, 1000, b);
            Assert.True(p > 0 && p < 600, $"balance {b}: {p}");
        }
    }

    [Fact]
    public void Off_by_default_the_ledger_changes_no_score()
    {
        var (m, s) = HomeFull();
        var job = Build.Job("j", 2, 10);
        var plain = new CandidateScore[3];
        var withBalances = new CandidateScore[3];
        var chosen = Placement.Decide(PlacementPolicy.EarliestStart, job, m, s, 0, plain, new Random(1));
        var chosenWithBalances = Placement.Decide(PlacementPolicy.EarliestStart, job, m, s, 0, withBalances, new Random(1), new PlacementOptions { LedgerBalanceHours = [0, 5000, 0] });

        Assert.Equal(1, chosen);
        Assert.Equal(chosen, chosenWithBalances);
        Assert.Equal(plain, withBalances);
    }

    [Fact]
    public void On_a_job_from_elsewhere_goes_to_the_region_that_lent_less_and_home_is_never_charged()
    {
        var (m, s) = HomeFull();
        var job = Build.Job("j", 2, 10);
        var options = new PlacementOptions { LedgerWeightS = 600, LedgerScaleHours = 1000, LedgerBalanceHours = [9000, 3000, 1000] };
        var scores = new CandidateScore[3];

        // b and c would start it at once; b has lent 3000 h net (penalty 450 s), c 1000 h (300 s): c wins.
        Assert.Equal(2, Placement.Decide(PlacementPolicy.EarliestStart, job, m, s, 0, scores, new Random(1), options));
        Assert.Equal((0.0, 450.0, 300.0), (scores[0].PenaltyS, scores[1].PenaltyS, scores[2].PenaltyS));
        Assert.Equal(scores[2].TransferS + 300, scores[2].Score, 9);

        // A region that borrowed more than it lent is not charged: it takes the job.
        options = options with { LedgerBalanceHours = [9000, -200, 1000] };
        Assert.Equal(1, Placement.Decide(PlacementPolicy.EarliestStart, job, m, s, 0, scores, new Random(1), options));
        Assert.Equal(0, scores[1].PenaltyS);

        // Bounded: a job whose home frees up within the weight still waits at home rather than go to the heavy lender.
        var (m2, s2) = (Mega(), Mega().Regions.Select(r => new RegionScheduler(r)).ToArray());
        s2[0].Enqueue(999, Build.Job("fill", 8, 200, home: "a"), 0);
        s2[0].Schedule(0, []);
        var only = options with { LedgerBalanceHours = [0, 1e9, 1e9] };
        Assert.Equal(0, Placement.Decide(PlacementPolicy.EarliestStart, job, m2, s2, 0, scores, new Random(1), only));
        Assert.Equal((0.0, 200.0), (scores[0].PenaltyS, scores[0].Score));
        Assert.Equal(Placement.LedgerPenaltyS(600, 1000, 1e9), scores[1].PenaltyS);
        Assert.True(scores[1].PenaltyS < 600);
    }
}

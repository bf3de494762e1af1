namespace Federation.Scheduling.Tests;

public sealed class RebalancerTests
{
    private static Megaregion Mega() => Build.Mega(
        [
            Build.Region("a", Build.Offer(("H100", 8)), Build.Pool("H100", 8)),
            Build.Region("b", Build.Offer(("H100", 8)), Build.Pool("H100", 8)),
        ],
        new Link("a", "b", 2, 400));

    private static RegionScheduler[] Loaded(Megaregion m, int queued, string[]? allowed = null)
    {
        var s = m.Regions.Select(r => new RegionScheduler(r)).ToArray();
        s[0].Enqueue(0, Build.Job("run", 8, 10_000), 0);
        s[0].Schedule(0, []);
        for (var i = 1; i <= queued; i++)
        {
            s[0].Enqueue(i, Build.Job($"q{i}", 8, 1000, allowed: allowed, datasetGb: 100), 0);
        }

        return s;
    }

    [Fact]
    public void Moves_queued_jobs_to_an_idle_region_once_each_and_only_when_the_gain_beats_the_threshold()
    {
        var m = Mega();
        var s = Loaded(m, 5);
        var moves = new List<RebalanceMove>();
        var n = Rebalancer.Plan(m, s, 0, new RebalancerOptions { ThresholdS = 300 }, moves, new double[2]);

        Assert.True(n > 0);
        Assert.Equal(moves.Count, moves.Select(x => x.Ticket).Distinct().Count());
        foreach (var mv in moves)
        {
            Assert.Equal(0, mv.FromRegion);
            Assert.Equal(1, mv.ToRegion);
            Assert.True(mv.CurrentStartS - mv.NewStartS > 300);
            Assert.Equal(m.TransferTime("a", "b", 100), mv.TransferS, 9);
        }

        // Candidates are taken from the tail (q5 first). b runs one 8-wide job at a time, and each planned move
        // adds its work to b before the next estimate, so later moves get later starts there.
        Assert.Equal(5, n);
        Assert.Equal(5L, moves[0].Ticket);
        Assert.True(moves[1].NewStartS > moves[0].NewStartS);
    }

    [Fact]
    public void A_threshold_larger_than_any_gain_moves_nothing()
    {
        var m = Mega();
        var s = Loaded(m, 2);
        var moves = new List<RebalanceMove>();
        Assert.Equal(0, Rebalancer.Plan(m, s, 0, new RebalancerOptions { ThresholdS = 20_000 }, moves, new double[2]));
    }

    [Fact]
    public void Jobs_held_home_by_residency_are_never_moved()
    {
        var m = Mega();
        var s = Loaded(m, 3, allowed: ["a"]);
        var moves = new List<RebalanceMove>();
        Assert.Equal(0, Rebalancer.Plan(m, s, 0, RebalancerOptions.Default, moves, new double[2]));
    }
}

using System.Collections.Immutable;
using Federation.Scheduling;

namespace Federation.Simulator.Tests;

public sealed class RebalanceEngineTests
{
    /// <summary>
    /// Two linked regions; every job's user estimate is a quarter of its real run time, so placement-time
    /// estimates go stale and queued jobs end up waiting far longer than expected: the case the rebalancer is for.
    /// </summary>
    private static Workload Underestimated(int jobs, int seed)
    {
        Region R(string id) => new(id, id, [new AcceleratorPool("H100", 16, 0.067, 80)], 1, true,
            new SpareCapacityOffer([new OfferedAccelerators("H100", 16)], 0, double.PositiveInfinity, false));
        var mega = new Megaregion([R("a"), R("b")], [new Link("a", "b", 2, 400)]);
        var rng = new Random(seed);
        var list = new SimJob[jobs];
        var t = 0.0;
        for (var i = 0; i < jobs; i++)
        {
            t += -Math.Log(1 - rng.NextDouble()) * 60;
            var actual = -Math.Log(1 - rng.NextDouble()) * 1500;
            var home = rng.NextDouble() < 0.8 ? 0 : 1;
            var count = rng.Next(1, 5);
            var spec = new JobSpec($"j{i}", "p", "u", mega.Regions[home].Id, count, [], 0, actual / 4, mega.Regions[home].Id, 50, [], 0);
            list[i] = new SimJob(spec, t, actual, home, home, count);
        }

        return new Workload(mega, list, 0, "test", 0, 0, 0, t);
    }

    [Fact]
    public void Moved_jobs_run_exactly_once_within_the_constraints()
    {
        var w = Underestimated(4000, 5);
        var result = SimulationEngine.Run(w, SimPolicy.EarliestStartRebalance, new EngineOptions(), null, default);
        var summary = Metrics.Summarize(w, result);

        Assert.True(summary.RebalanceMoves > 0, "the stale estimates should make the rebalancer move jobs");
        Assert.Equal(0, summary.UnfinishedJobs);
        Assert.Equal(0, summary.Violations);
        var moved = 0;
        for (var j = 0; j < w.Jobs.Length; j++)
        {
            if (result.Moves[j] > 0)
            {
                moved++;

                // Every move copies the dataset out of its region, unless it moves the job back home.
                Assert.True(result.Region[j] == w.Jobs[j].Dataset || result.DataMovedGb[j] >= 50);
            }
        }

        Assert.True(moved > 0);
    }
}

using Federation.Scheduling;

namespace Federation.Simulator.Tests;

public sealed class MetricsTests
{
    private static Workload TwoJobs(string allowed)
    {
        var mega = WorkloadBuilder.ScaleToTotal(MegaregionLoader.LoadDefault(), 100);
        var a = new JobSpec("a", "p", "u", "gwangju", 4, [], 0, 100, "gwangju", 10, allowed.Length == 0 ? [] : [allowed], 0);
        var b = a with { Id = "b", AllowedRegions = [] };
        return new Workload(mega, [new SimJob(a, 0, 100, 0, 0, 4), new SimJob(b, 0, 100, 0, 0, 4)], 8, "test", 0, 0, 0, 1000);
    }

    [Fact]
    public void The_violation_check_finds_a_residency_breach_and_an_oversubscribed_pool()
    {
        var w = TwoJobs("gwangju");
        var ok = SimulationEngine.Run(w, SimPolicy.EarliestStart, new EngineOptions(), null, default);
        Assert.Equal(0, Metrics.CountViolations(w, ok));

        // Forge: job a ran in suncheon, outside its allowed regions and before its dataset could have arrived there.
        ok.Region[0] = 1;
        ok.Pool[0] = 0;
        ok.StartS[0] = 0;
        ok.EndS[0] = 100;
        Assert.Equal(1, Metrics.CountViolations(w, ok));
    }

    [Fact]
    public void The_violation_check_finds_more_accelerators_in_use_than_a_pool_has()
    {
        var w = TwoJobs("");
        var r = SimulationEngine.Run(w, SimPolicy.Isolated, new EngineOptions(), null, default);
        Assert.Equal(0, Metrics.CountViolations(w, r));
        var tiny = WorkloadBuilder.ScaleToTotal(MegaregionLoader.LoadDefault(), 12);
        var w2 = w with { Megaregion = tiny };
        var r2 = SimulationEngine.Run(w2, SimPolicy.Isolated, new EngineOptions(), null, default);
        Assert.Equal(0, Metrics.CountViolations(w2, r2));

        // Forge both onto the same instant in a pool of fewer than 8 units.
        r2.Pool[1] = r2.Pool[0];
        r2.StartS[1] = r2.StartS[0];
        r2.LastStartS[1] = r2.LastStartS[0];
        r2.EndS[1] = r2.EndS[0];
        Assert.True(tiny.Regions[0].Pools[r2.Pool[0]].Count < 8);
        Assert.Equal(1, Metrics.CountViolations(w2, r2));
    }

    [Fact]
    public void Percentile_is_nearest_rank()
    {
        double[] v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        Assert.Equal(5, Metrics.Percentile(v, 0.5));
        Assert.Equal(10, Metrics.Percentile(v, 0.95));
        Assert.Equal(1, Metrics.Percentile(v, 0.01));
    }
}

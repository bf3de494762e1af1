using Federation.Scheduling;

namespace Federation.Simulator.Tests;

public sealed class ReclaimEngineTests
{
    /// <summary>
    /// Regions a (4 H100, lends all 4, grace 100 s) and b (4 H100, lends none), data moves in no time. j0 (home b)
    /// fills b until 1000; j1 (home b, 1000 s) arrives at 10 and is lent a's accelerators; j2 (home a, 500 s)
    /// arrives at 20 and finds them taken. The utilization horizon (2000 s) covers every run.
    /// </summary>
    private static Workload ThreeJobs()
    {
        var a = new Region("a", "a", [new AcceleratorPool("H100", 4, 0.067, 80)], 1, true,
            new SpareCapacityOffer([new OfferedAccelerators("H100", 4)], 0, double.PositiveInfinity, false) { ReclaimGraceS = 100 });
        var b = new Region("b", "b", [new AcceleratorPool("H100", 4, 0.067, 80)], 1, true, SpareCapacityOffer.None);
        var mega = new Megaregion([a, b], [new Link("a", "b", 0, 400)]);
        SimJob Job(string id, int home, double submit, double duration) =>
            new(new JobSpec(id, "p", "u", mega.Regions[home].Id, 4, [], 0, duration, mega.Regions[home].Id, 0, [], 0), submit, duration, home, home, 4);
        return new Workload(mega, [Job("j0", 1, 0, 1000), Job("j1", 1, 10, 1000), Job("j2", 0, 20, 500)], 0, "test", 0, 0, 0, 2000);
    }

    private static (PolicySummary Isolated, PolicySummary Es, PolicyResult EsResult) Run(bool reclaim)
    {
        var w = ThreeJobs();
        var options = new EngineOptions { Reclaim = reclaim };
        var iso = SimulationEngine.Run(w, SimPolicy.Isolated, options, null, default);
        var es = SimulationEngine.Run(w, SimPolicy.EarliestStart, options, null, default);
        var summaries = new[] { Metrics.Summarize(w, iso), Metrics.Summarize(w, es) };
        Metrics.SetHomeDifferences(summaries);
        return (summaries[0], summaries[1], es);
    }

    [Fact]
    public void With_reclaim_the_lender_gets_its_accelerators_back_after_the_grace_and_the_lent_job_resumes_where_it_stopped()
    {
        var (iso, es, r) = Run(reclaim: true);

        // j2 waits the grace period (20 → 120); j1 ran 10 → 120 in a, was requeued with 890 s left and, placed again by
        // earliest-start, ran 620 → 1510 in a (b was busy until 1000).
        Assert.Equal([0.0, 10, 120], r.StartS);
        Assert.Equal([0.0, 620, 120], r.LastStartS);
        Assert.Equal([1000.0, 1510, 620], r.EndS);
        Assert.Equal([0, 1, 0], r.Preemptions);
        Assert.Equal([0.0, 500, 0], r.SuspendedS);
        Assert.Equal([1, 0, 0], r.Region);
        var seg = Assert.Single(r.PreemptedSegments);
        Assert.Equal(new RunSegment(1, 0, 0, 10, 120, true), seg);
        Assert.Equal(1, es.Preemptions);
        Assert.Equal([new KeyValuePair<string, int>("a", 1), new("b", 0)], es.PreemptionsByRegion);
        Assert.Equal(0, es.Violations);

        // Waits: a = {j2: 100}; b = {j0: 0, j1: 0 + 500}. Isolated: a = {0}, b = {0, 990}.
        Assert.Equal(100, es.HomeRegions[0].MeanWaitS);
        Assert.Equal(100, es.HomeRegions[0].P95WaitS);
        Assert.Equal(100, es.HomeRegions[0].MeanDiffS);
        Assert.True(double.IsNaN(es.HomeRegions[0].MeanDiffPct));
        Assert.Equal(250, es.HomeRegions[1].MeanWaitS);
        Assert.Equal(500, es.HomeRegions[1].P95WaitS);
        Assert.Equal(-245, es.HomeRegions[1].MeanDiffS);
        Assert.Equal(-245 * 100 / 495.0, es.HomeRegions[1].MeanDiffPct, 12);
        Assert.Equal(2, es.HomeRegions[1].Jobs);
        Assert.Equal(0, iso.HomeRegions[0].MeanWaitS);
        Assert.Equal(495, iso.HomeRegions[1].MeanWaitS);
        Assert.Equal(0, iso.HomeRegions[1].MeanDiffS);

        // Busy accelerator-seconds count what ran: a ran j1 for 110 + 890 s and j2 for 500 s, b ran j0.
        Assert.Equal(4 * (110 + 890 + 500), r.BusyAcceleratorS[0].Sum(), 6);
    }

    [Fact]
    public void Without_reclaim_the_lender_waits_for_the_lent_job_to_end()
    {
        var (_, es, r) = Run(reclaim: false);
        Assert.Equal([0.0, 10, 1010], r.StartS);
        Assert.Equal([0, 0, 0], r.Preemptions);
        Assert.Equal(0, es.Preemptions);
        Assert.Equal(990, es.HomeRegions[0].MeanWaitS);
        Assert.Equal(990, es.HomeRegions[0].MeanDiffS);
        Assert.Equal(0, es.HomeRegions[1].MeanWaitS);
        Assert.Equal(-495, es.HomeRegions[1].MeanDiffS);
        Assert.Equal(-100, es.HomeRegions[1].MeanDiffPct);
    }
}

using Federation.Scheduling;

namespace Federation.Simulator.Tests;

public sealed class WorkloadTests
{
    private static List<TraceJob> Trace(params (string Tenant, int Gpus, double Duration)[] rows)
    {
        var list = new List<TraceJob>();
        for (var i = 0; i < rows.Length; i++)
        {
            list.Add(new TraceJob($"j{i}", i * 100, rows[i].Gpus, rows[i].Duration, "", rows[i].Tenant, "", double.NaN));
        }

        return list;
    }

    [Fact]
    public void Auto_capacity_makes_the_total_the_offered_load_over_Venus_utilization()
    {
        // 10 jobs over a 900 s submit span, each 8 GPUs × 900 s: offered load 80 accelerators → 80 / (740/968) = 104.65 → 105.
        var trace = Trace(Enumerable.Range(0, 10).Select(i => ($"u{i}", 8, 900.0)).ToArray());
        var w = WorkloadBuilder.Build(MegaregionLoader.LoadDefault(), trace, new WorkloadOptions());

        Assert.Equal(80, w.OfferedLoadAccelerators, 9);
        Assert.Equal(105, w.Megaregion.TotalAccelerators);
        foreach (var r in w.Megaregion.Regions)
        {
            foreach (var p in r.Pools)
            {
                Assert.True(r.Offer.CountFor(p.Type) <= p.Count);
            }
        }
    }

    [Fact]
    public void Venus_scale_gives_968_accelerators()
    {
        var w = WorkloadBuilder.ScaleToTotal(MegaregionLoader.LoadDefault(), 968);
        Assert.Equal(968, w.TotalAccelerators);
    }

    [Fact]
    public void A_tenant_always_gets_the_same_home_and_assignment_is_reproducible()
    {
        var trace = Trace(("alice", 1, 10), ("bob", 1, 10), ("alice", 2, 10), ("carol", 1, 10), ("alice", 1, 10));
        var a = WorkloadBuilder.Build(MegaregionLoader.LoadDefault(), trace, new WorkloadOptions { Seed = 7, CapacityScale = 0.1 });
        var b = WorkloadBuilder.Build(MegaregionLoader.LoadDefault(), trace, new WorkloadOptions { Seed = 7, CapacityScale = 0.1 });

        Assert.Equal(a.Jobs[0].Home, a.Jobs[2].Home);
        Assert.Equal(a.Jobs[0].Home, a.Jobs[4].Home);
        for (var i = 0; i < trace.Count; i++)
        {
            Assert.Equal(a.Jobs[i].Home, b.Jobs[i].Home);
            Assert.Equal(a.Jobs[i].Spec.DatasetSizeGb, b.Jobs[i].Spec.DatasetSizeGb);
            Assert.Equal(a.Jobs[i].Spec.HomeRegion, a.Jobs[i].Spec.DatasetRegion);
        }
    }

    [Fact]
    public void A_job_larger_than_every_pool_is_clamped_and_one_larger_than_its_home_is_rehomed()
    {
        // Capacity x0.1: gwangju H100 126 is the largest pool; gwangyang (38) and daegu (26 at most) are too small for 100, so the search wraps to gwangju.
        var mega = MegaregionLoader.LoadDefault();
        var trace = new List<TraceJob>
        {
            new("huge", 0, 1000, 10, "", "t", "", double.NaN),
            new("big", 10, 100, 10, "", "t", "gwangyang", double.NaN),
        };
        var w = WorkloadBuilder.Build(mega, trace, new WorkloadOptions { CapacityScale = 0.1 });

        Assert.Equal(126, w.Jobs[0].Spec.AcceleratorCount);
        Assert.Equal("gwangju", w.Jobs[0].Spec.HomeRegion);
        Assert.Equal(1000, w.Jobs[0].OriginalGpus);
        Assert.Equal(1, w.ClampedJobs);
        Assert.Equal(1, w.RehomedJobs);
        Assert.Equal("gwangju", w.Jobs[1].Spec.HomeRegion);
    }

    [Fact]
    public void A_typed_job_is_homed_where_its_type_exists_and_an_unknown_type_is_an_error()
    {
        var mega = MegaregionLoader.LoadDefault();
        var npu = new List<TraceJob> { new("npu", 0, 4, 10, "NPU-Rebellions-ATOM", "t", "gwangju", double.NaN) };
        var w = WorkloadBuilder.Build(mega, npu, new WorkloadOptions { CapacityScale = 1 });
        Assert.Equal("daegu", w.Jobs[0].Spec.HomeRegion);
        Assert.Equal(["NPU-Rebellions-ATOM"], w.Jobs[0].Spec.AcceptableTypes.ToArray());
        Assert.Equal(1, w.RehomedJobs);

        var unknown = new List<TraceJob> { new("v", 0, 1, 10, "V100", "t", "", double.NaN) };
        var e = Assert.Throws<TraceFormatException>(() => WorkloadBuilder.Build(mega, unknown, new WorkloadOptions { CapacityScale = 1 }));
        Assert.Contains("job v: gpu_type 'V100'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_scale_compresses_submit_times()
    {
        var trace = Trace(("a", 1, 10), ("b", 1, 10), ("c", 1, 10));
        var w = WorkloadBuilder.Build(MegaregionLoader.LoadDefault(), trace, new WorkloadOptions { LoadScale = 2, CapacityScale = 1 });
        Assert.Equal([0.0, 50.0, 100.0], w.Jobs.Select(j => j.SubmitS).ToArray());
    }
}

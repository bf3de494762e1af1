using Federation.Contracts;
using Federation.Grains.Tests.Support;
using Orleans;
using Orleans.Runtime;
using Orleans.Runtime.Placement;
using static Federation.Grains.Tests.Support.TestMegaregion;

namespace Federation.Grains.Tests;

/// <summary>
/// The whole lifecycle on two silos, with the regions pinned half on each: every placement, admission, confirmation,
/// notice, estimate and load report between a job, a router and a region crosses silos somewhere, so every wire type
/// goes through Orleans' serializer and messaging, not a local call.
/// </summary>
public sealed class TwoSiloTests
{
    [Fact]
    public async Task Jobs_queue_run_overflow_move_cancel_and_complete_across_two_silos_with_exact_accounting()
    {
        await using var host = await FederationTestHost.StartAsync(silos: 2);
        var silo0 = host.Cluster.Silos[0].SiloAddress;
        var silo1 = host.Cluster.Silos[1].SiloAddress;
        await ActivateOnAsync(host, silo1, "gwangju", "gwangyang");
        await ActivateOnAsync(host, silo0, "suncheon", "daegu");
        Assert.Equal(silo1, SiloOf(host, host.Region("gwangju")));
        Assert.Equal(silo1, SiloOf(host, host.Region("gwangyang")));
        Assert.Equal(silo0, SiloOf(host, host.Region("suncheon")));
        Assert.Equal(silo0, SiloOf(host, host.Region("daegu")));

        // Submissions through each silo's grain factory and through the cluster client (a gateway).
        var first = host.GrainsOf(0);
        var second = host.GrainsOf(1);
        IGrainFactory client = host.Cluster.Client;
        string[] all = ["a", "q", "o", "c", "mv"];

        // Each silo's router mirrors only its own admissions until its next refresh (every 250 ms of real time), and a
        // job's router is the one on the silo its activation landed on: every placement here has one outcome whichever
        // router's copy decides it (a region allowed alone, or the only one admitting).
        var a = await FederationTestHost.SubmitAsync(first, Job("a", 8, 2, allowed: ["gwangju"]));
        var q = await FederationTestHost.SubmitAsync(second, Job("q", 4, 1, allowed: ["gwangju"]));
        var o = await FederationTestHost.SubmitAsync(client, Job("o", 4, 1, datasetRegion: "gwangju", datasetGb: 100, allowed: ["suncheon"]));
        var c = await FederationTestHost.SubmitAsync(second, Job("c", 2, 3, home: "daegu", allowed: ["daegu"]));

        // With daegu draining, mv may only queue in gwangju, behind a.
        await first.GetGrain<IRegionGrain>("daegu").SetDrainAsync(new DrainRequest { Drain = true, RequeueQueued = false });
        var mv = await FederationTestHost.SubmitAsync(first, Job("mv", 4, 1, allowed: ["gwangju", "daegu"]));
        await second.GetGrain<IRegionGrain>("daegu").SetDrainAsync(new DrainRequest { Drain = false });
        Assert.Equal(("gwangju", JobState.Running), (a.Region, a.State));
        Assert.Equal(("gwangju", JobState.Queued), (q.Region, q.State));
        Assert.Equal(("suncheon", JobState.Queued), (o.Region, o.State));
        Assert.Equal(["Submitted", "Overflowed"], o.History.Select(e => e.Kind));
        ScoreAssert.Score(o.Placement!.Candidates[1], "suncheon", start: 114.2907, transfer: 114.2907);
        Assert.Equal(("daegu", JobState.Running), (c.Region, c.State));
        Assert.Equal(("gwangju", JobState.Queued), (mv.Region, mv.State));
        await host.AssertAccountingAsync(all);

        // Cancelling c frees daegu; the rebalancer (asked through the client) moves mv there, where it starts at once.
        var cancelled = await second.GetGrain<IJobGrain>("c").CancelAsync("freed for mv");
        Assert.Equal((JobState.Cancelled, "cancelled: freed for mv"), (cancelled!.State, cancelled.Reason));
        Assert.Equal(1, await client.GetGrain<IMegaregionGrain>(IMegaregionGrain.Key).RebalanceAsync());
        var moved = (await host.Job("mv").GetAsync())!;
        Assert.Equal(("daegu", JobState.Running), (moved.Region, moved.State));
        Assert.Equal(["Submitted", "Queued", "Overflowed", "Started"], moved.History.Select(e => e.Kind));
        await host.AssertAccountingAsync(all);

        // o's data arrives in suncheon and it starts; then everything runs to its end. The clock stops on each end that
        // starts another job: a start is stamped with the clock's time when the region handles the end.
        await host.AdvanceAsync(TimeSpan.FromSeconds(115));
        Assert.Equal(JobState.Running, (await host.Job("o").GetAsync())!.State);
        await host.AssertAccountingAsync(all);
        await host.AdvanceAsync(TimeSpan.FromHours(1) - TimeSpan.FromSeconds(115));
        Assert.Equal((JobState.Completed, JobState.Running), ((await host.Job("mv").GetAsync())!.State, (await host.Job("o").GetAsync())!.State));
        Assert.Equal(JobState.Queued, (await host.Job("q").GetAsync())!.State);
        await host.AssertAccountingAsync(all);
        await host.AdvanceAsync(TimeSpan.FromHours(1));
        Assert.Equal((JobState.Completed, JobState.Completed), ((await host.Job("a").GetAsync())!.State, (await host.Job("o").GetAsync())!.State));
        var q2 = (await client.GetGrain<IJobGrain>("q").GetAsync())!;
        Assert.Equal((JobState.Running, host.Execution.Start + TimeSpan.FromHours(2)), (q2.State, q2.StartedAt));
        await host.AssertAccountingAsync(all);
        await host.AdvanceAsync(TimeSpan.FromHours(1));
        Assert.Equal((JobState.Completed, host.Execution.Start + TimeSpan.FromHours(3)), ((await host.Job("q").GetAsync())!.State, (await host.Job("q").GetAsync())!.EndedAt));
        await host.AssertAccountingAsync(all);

        // Every region is idle; each job ran once, where its row named the region.
        foreach (var r in RegionIds)
        {
            var view = await client.GetGrain<IRegionGrain>(r).GetAsync();
            Assert.Equal((0, 0, 0), (view.RunningJobs, view.QueuedJobs, view.Pools.Sum(p => p.Busy)));
        }

        Assert.Equal(
            [("daegu", "c"), ("daegu", "mv"), ("gwangju", "a"), ("gwangju", "q"), ("suncheon", "o")],
            host.Executor.Starts.Select(s => (s.Region, s.Job)).Order());

        // Both silos' statistics reach the megaregion and the project: two flows away from gwangju (the overflow with its
        // 100 GB, the move without data), and 8 x 2 + 4 x 1 + 4 x 1 + 4 x 1 accelerator-hours (c ran no time). Each
        // silo reports what its own activations counted (submissions where the job grain ran, usage where it ended).
        await host.FlushStatisticsAsync();
        var megaregion = client.GetGrain<IMegaregionGrain>(IMegaregionGrain.Key);

        // The regions' loads travel one-way on their own publishing timer (Orleans' clock): polled.
        await host.WaitUntilAsync(async () => (await megaregion.GetAsync()).TotalBusy == 0, "the megaregion saw the idle regions");
        var mega = await megaregion.GetAsync();
        Assert.Equal(
            [("gwangju", "daegu", 1L, 0.0), ("gwangju", "suncheon", 1L, 100.0)],
            mega.Flows.Select(f => (f.From, f.To, f.Jobs, f.DataMovedGb)));
        Assert.Equal((36, 0, 0L), (mega.TotalCapacity, mega.TotalBusy, mega.TotalQueuedDemand));
        var usage = await client.GetGrain<IProjectGrain>("p1").GetAsync();
        Assert.Equal((28.0, 5L), (Math.Round(usage.UsedAcceleratorHours, 9), usage.JobsSubmitted));
    }

    /// <summary>Activates the regions on <paramref name="silo"/>: the first call to a grain carries a placement hint.</summary>
    private static async Task ActivateOnAsync(FederationTestHost host, SiloAddress silo, params string[] regions)
    {
        RequestContext.Set(IPlacementDirector.PlacementHintKey, silo);
        try
        {
            foreach (var region in regions)
            {
                await host.Region(region).GetAsync();
            }
        }
        finally
        {
            RequestContext.Remove(IPlacementDirector.PlacementHintKey);
        }
    }

    private static SiloAddress SiloOf(FederationTestHost host, IAddressable grain)
    {
        Assert.True(host.Cluster.TryGetGrainContext(grain.GetGrainId(), out var context));
        return context.Address.SiloAddress!;
    }
}

using Federation.Contracts;
using Federation.Grains.Tests.Support;
using static Federation.Grains.Tests.Support.TestMegaregion;

namespace Federation.Grains.Tests;

public sealed class RebalancerTests
{
    /// <summary>
    /// y waits 10 h in gwangju because suncheon was draining when it was placed; once suncheon returns,
    /// y would start there after 1.1 s of data transfer.
    /// </summary>
    private static async Task<FederationTestHost> QueuedBehindALongJobAsync(double thresholdSeconds, TimeSpan interval = default)
    {
        var host = await FederationTestHost.StartAsync(configure: o =>
        {
            o.RebalanceThresholdSeconds = thresholdSeconds;
            o.RebalanceInterval = interval;
        });
        await host.SubmitAsync(Job("fill", 8, 10, allowed: ["gwangju"]));
        await host.SubmitAsync(Job("dfill", 4, 10, home: "daegu", allowed: ["daegu"]));
        await host.Region("suncheon").SetDrainAsync(new DrainRequest { Drain = true });
        var y = await host.SubmitAsync(Job("y", 4, 1, datasetRegion: "gwangju", datasetGb: 1));
        Assert.Equal("gwangju", y.Region);
        Assert.Equal(JobState.Queued, y.State);
        await host.Region("suncheon").SetDrainAsync(new DrainRequest { Drain = false });
        return host;
    }

    [Fact]
    public async Task The_rebalancer_moves_a_queued_job_that_starts_earlier_by_more_than_the_threshold_and_never_duplicates_it()
    {
        await using var host = await QueuedBehindALongJobAsync(300);

        var moved = await host.Megaregion.RebalanceAsync();

        Assert.Equal(1, moved);
        var y = (await host.Job("y").GetAsync())!;
        Assert.Equal("suncheon", y.Region);
        Assert.Equal(JobState.Queued, y.State);
        Assert.Equal("Overflowed", y.History[^1].Kind);
        Assert.StartsWith("moved from gwangju to suncheon: rebalancer: expected start 1 s in suncheon (after 1.1 s of data transfer) instead of 36000 s in gwangju", y.History[^1].Message, StringComparison.Ordinal);
        await host.AssertAccountingAsync("fill", "dfill", "y");

        // A second round finds nothing better: the job is in one region only.
        Assert.Equal(0, await host.Megaregion.RebalanceAsync());
        await host.AssertAccountingAsync("fill", "dfill", "y");
        Assert.False(await host.Job("y").TryMoveAsync("gwangju", "suncheon", "stale plan"));

        await host.AdvanceAsync(TimeSpan.FromSeconds(2));
        Assert.Equal(JobState.Running, (await host.Job("y").GetAsync())!.State);
        await host.AssertAccountingAsync("fill", "dfill", "y");

        // The silo reports the move to the megaregion's flows.
        await host.FlushStatisticsAsync();
        var flow = Assert.Single((await host.Megaregion.GetAsync()).Flows);
        Assert.Equal(("gwangju", "suncheon", 1L, 1.0), (flow.From, flow.To, flow.Jobs, flow.DataMovedGb));
    }

    [Fact]
    public async Task The_rebalancer_runs_by_itself_every_interval_of_the_execution_clock()
    {
        await using var host = await QueuedBehindALongJobAsync(300, TimeSpan.FromSeconds(30));
        Assert.Equal("gwangju", (await host.Job("y").GetAsync())!.Region);

        // The megaregion arms its rebalancer when it activates (the regions' load reports activate it, one-way): a call
        // makes sure it is active before the clock moves.
        await host.Megaregion.GetAsync();
        await host.AdvanceAsync(TimeSpan.FromSeconds(29));
        Assert.Equal("gwangju", (await host.Job("y").GetAsync())!.Region);

        await host.AdvanceAsync(TimeSpan.FromSeconds(1));

        var y = (await host.Job("y").GetAsync())!;
        Assert.Equal("suncheon", y.Region);
        Assert.Equal("Overflowed", y.History[^1].Kind);
        await host.AssertAccountingAsync("fill", "dfill", "y");
    }

    [Fact]
    public async Task The_rebalancer_leaves_a_job_whose_improvement_is_below_the_threshold()
    {
        await using var host = await QueuedBehindALongJobAsync(40_000);

        Assert.Equal(0, await host.Megaregion.RebalanceAsync());

        Assert.Equal("gwangju", (await host.Job("y").GetAsync())!.Region);
        await host.AssertAccountingAsync("fill", "dfill", "y");
    }

    [Fact]
    public async Task A_move_to_a_region_that_refuses_puts_the_job_back_where_it_was()
    {
        await using var host = await QueuedBehindALongJobAsync(300);
        await host.Region("suncheon").SetDrainAsync(new DrainRequest { Drain = true });

        Assert.False(await host.Job("y").TryMoveAsync("gwangju", "suncheon", "test"));

        var y = (await host.Job("y").GetAsync())!;
        Assert.Equal("gwangju", y.Region);
        Assert.Equal(JobState.Queued, y.State);
        await host.AssertAccountingAsync("fill", "dfill", "y");
    }
}

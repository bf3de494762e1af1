using Federation.Contracts;
using Federation.Grains.Tests.Support;
using static Federation.Grains.Tests.Support.TestMegaregion;

namespace Federation.Grains.Tests;

public sealed class OverflowTests
{
    [Fact]
    public async Task Saturated_gwangju_overflows_jobs_that_may_run_elsewhere_counting_and_explaining_the_data_transfer()
    {
        await using var host = await FederationTestHost.StartAsync();
        await host.SubmitAsync(Job("fill", 8, 10, allowed: ["gwangju"]));

        var o1 = await host.SubmitAsync(Job("o1", 4, 1, datasetRegion: "gwangju", datasetGb: 100));
        var o2 = await host.SubmitAsync(Job("o2", 4, 1, datasetRegion: "gwangju", datasetGb: 100));
        var stay = await host.SubmitAsync(Job("stay", 4, 1, datasetRegion: "gwangju", datasetGb: 100, allowed: ["gwangju"]));

        // 100 GB over 10 Gb/s at 70 % efficiency plus 5 ms: 800 / 7 + 0.005 = 114.2907 s. The reason the API renders
        // ("overflow from gwangju to suncheon: expected start in 114 s there vs 36000 s in gwangju, counting 114.3 s to
        // move 100 GB of data from gwangju") comes from these numbers.
        foreach (var o in new[] { o1, o2 })
        {
            Assert.Equal("suncheon", o.Region);
            Assert.Equal(JobState.Queued, o.State);
            Assert.Null(o.Reason);
            Assert.Equal("suncheon", o.Placement!.ChosenRegion);
            ScoreAssert.Score(o.Placement.Candidates[0], "gwangju", start: 36000, transfer: 0);
            ScoreAssert.Score(o.Placement.Candidates[1], "suncheon", start: 114.2907, transfer: 114.2907);
            Assert.Equal(["Submitted", "Overflowed"], o.History.Select(e => e.Kind));
            Assert.Equal(("suncheon", 114.2907), (o.History[1].Region, Math.Round(o.History[1].TransferSeconds, 4)));
        }

        Assert.Equal("gwangju", stay.Region);
        Assert.Equal(JobState.Queued, stay.State);
        await host.AssertAccountingAsync("fill", "o1", "o2", "stay");

        // The data arrives, then they start in suncheon; the restricted job still waits in gwangju.
        await host.AdvanceAsync(TimeSpan.FromSeconds(115));
        Assert.Equal(JobState.Running, (await host.Job("o1").GetAsync())!.State);
        Assert.Equal(JobState.Running, (await host.Job("o2").GetAsync())!.State);
        Assert.Equal(JobState.Queued, (await host.Job("stay").GetAsync())!.State);
        await host.AssertAccountingAsync("fill", "o1", "o2", "stay");
        var suncheonView = await host.Region("suncheon").GetAsync();
        Assert.Equal(8, suncheonView.Pools[0].ExternalBusy);

        // The silo reports the flows; the regions publish their loads one-way on their own timer (Orleans' clock): polled.
        await host.FlushStatisticsAsync();
        await host.WaitUntilAsync(async () => (await host.Megaregion.GetAsync()).TotalBusy == 16, "the megaregion saw both starts");
        var mega = await host.Megaregion.GetAsync();
        var flow = Assert.Single(mega.Flows);
        Assert.Equal(("gwangju", "suncheon", 2L, 200.0), (flow.From, flow.To, flow.Jobs, flow.DataMovedGb));
        Assert.Equal(36, mega.TotalCapacity);
        Assert.Equal(16, mega.TotalBusy);
        Assert.Equal(4, mega.TotalQueuedDemand);
        var g = mega.Regions[0];
        Assert.Equal(("gwangju", 8, 8, 4L, 1), (g.Id, g.Capacity, g.Busy, g.QueuedDemand, g.QueuedJobs));
    }
}

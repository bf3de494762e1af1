using Federation.Contracts;
using Federation.Grains.Tests.Support;
using static Federation.Grains.Tests.Support.TestMegaregion;

namespace Federation.Grains.Tests;

public sealed class RegionTests
{
    [Fact]
    public async Task EASY_backfill_through_the_region_grain_starts_a_short_job_that_does_not_delay_the_head()
    {
        await using var host = await FederationTestHost.StartAsync();
        string[] all = ["a", "head", "short", "long"];
        await host.SubmitAsync(Job("a", 6, 2, allowed: ["gwangju"]));

        // The head needs all 8 and gets a reservation at 2 h; 2 accelerators are free until then.
        await host.SubmitAsync(Job("head", 8, 1, allowed: ["gwangju"]));
        var shortJob = await host.SubmitAsync(Job("short", 2, 1, allowed: ["gwangju"]));
        var longJob = await host.SubmitAsync(Job("long", 2, 3, allowed: ["gwangju"]));

        Assert.Equal(JobState.Running, shortJob.State);
        Assert.Equal(JobState.Queued, longJob.State);
        Assert.Equal(JobState.Queued, (await host.Job("head").GetAsync())!.State);
        await host.AssertAccountingAsync(all);

        // At 1 h the short job ends; the long one would outlive the reservation, so it still waits.
        await host.AdvanceAsync(TimeSpan.FromHours(1));
        Assert.Equal(JobState.Completed, (await host.Job("short").GetAsync())!.State);
        Assert.Equal(JobState.Queued, (await host.Job("long").GetAsync())!.State);
        await host.AssertAccountingAsync(all);

        // At 2 h the head starts at its reservation.
        await host.AdvanceAsync(TimeSpan.FromHours(1));
        var head = (await host.Job("head").GetAsync())!;
        Assert.Equal(JobState.Running, head.State);
        Assert.Equal(host.Execution.Start + TimeSpan.FromHours(2), head.StartedAt);
        await host.AssertAccountingAsync(all);
    }

    [Fact]
    public async Task The_offer_limits_jobs_from_other_regions()
    {
        await using var host = await FederationTestHost.StartAsync();

        // gwangju lends 4 H100 to other regions.
        var tooBig = await host.SubmitAsync(Job("x6", 6, 1, home: "suncheon", allowed: ["gwangju"]));
        var fits = await host.SubmitAsync(Job("x4", 4, 1, home: "suncheon", allowed: ["gwangju"]));
        var beyond = await host.SubmitAsync(Job("x2", 2, 1, home: "suncheon", allowed: ["gwangju"]));
        var local = await host.SubmitAsync(Job("l2", 2, 1, home: "gwangju", allowed: ["gwangju"]));

        Assert.Equal(JobState.Failed, tooBig.State);
        Assert.Equal("offer to other regions too small for the job", tooBig.Placement!.Candidates[0].ExcludedBecause);
        Assert.Equal(JobState.Running, fits.State);
        Assert.Equal(JobState.Queued, beyond.State);
        Assert.Equal(JobState.Running, local.State);
        var gwangju = await host.Region("gwangju").GetAsync();
        Assert.Equal(6, gwangju.Pools[0].Busy);
        Assert.Equal(4, gwangju.Pools[0].ExternalBusy);
        await host.AssertAccountingAsync("x6", "x4", "x2", "l2");
    }

    [Fact]
    public async Task Setting_the_offer_is_stored_and_a_bad_offer_names_the_field_and_changes_nothing()
    {
        await using var host = await FederationTestHost.StartAsync();

        var view = await host.Region("gwangju").SetOfferAsync(new OfferView { Accelerators = [new OfferedAcceleratorsView { Type = "H100", Count = 2 }] });

        Assert.Equal(2, view.Offer.Accelerators[0].Count);
        var bad = await Assert.ThrowsAsync<ArgumentException>(() => host.Region("gwangju").SetOfferAsync(new OfferView { Accelerators = [new OfferedAcceleratorsView { Type = "TPU", Count = 1 }] }));
        Assert.StartsWith("offer of gwangju: accelerators[0].type: region 'gwangju' has no 'TPU' pool; its pools are H100", bad.Message, StringComparison.Ordinal);
        var tooMany = await Assert.ThrowsAsync<ArgumentException>(() => host.Region("gwangju").SetOfferAsync(new OfferView { Accelerators = [new OfferedAcceleratorsView { Type = "H100", Count = 9 }] }));
        Assert.StartsWith("offer of gwangju: accelerators[0].count: must be between 0 and the pool's 8", tooMany.Message, StringComparison.Ordinal);

        // Neither refused offer changed the stored one: 2 H100, which a job from elsewhere needing 4 does not fit.
        var after = await host.Region("gwangju").GetAsync();
        var offered = Assert.Single(after.Offer.Accelerators);
        Assert.Equal(("H100", 2), (offered.Type, offered.Count));
        var fromJob = await host.SubmitAsync(Job("x4", 4, 1, home: "suncheon", allowed: ["gwangju"]));
        Assert.Equal(JobState.Failed, fromJob.State);
        Assert.Equal("offer to other regions too small for the job", fromJob.Placement!.Candidates[0].ExcludedBecause);
    }

    [Fact]
    public async Task Draining_a_region_requeues_its_queued_jobs_elsewhere_and_lets_running_jobs_finish()
    {
        await using var host = await FederationTestHost.StartAsync();
        await host.SubmitAsync(Job("run", 8, 2, allowed: ["gwangju"]));

        // 100 TB of data in gwangju: 31 h to move, so waiting 2 h at home is better.
        var waiting = await host.SubmitAsync(Job("wait", 4, 1, datasetRegion: "gwangju", datasetGb: 100_000));
        Assert.Equal("gwangju", waiting.Region);
        Assert.Equal(JobState.Queued, waiting.State);

        var drained = await host.Region("gwangju").SetDrainAsync(new DrainRequest { Drain = true, RequeueQueued = true });

        Assert.True(drained.Draining);
        Assert.Equal(0, drained.QueuedJobs);
        Assert.Equal(1, drained.RunningJobs);

        // The release reaches the job one-way; it is placed again away from gwangju.
        await host.NoticesDeliveredAsync();
        var moved = (await host.Job("wait").GetAsync())!;
        Assert.Equal("suncheon", moved.Region);
        Assert.Equal(JobState.Queued, moved.State);
        Assert.Equal(["Submitted", "Queued", "Requeued", "Overflowed"], moved.History.Select(e => e.Kind));
        Assert.Equal("released by gwangju: gwangju is draining", moved.History[2].Message);
        Assert.Equal("the job is leaving it", moved.Placement!.Candidates[0].NotUsedBecause);
        await host.AssertAccountingAsync("run", "wait");

        // A draining region admits nothing new: it refuses an admission itself, whatever a router's copy says.
        var direct = await host.Region("gwangju").TryAdmitAsync(new AdmitRequest { JobId = "direct", Job = Job("direct", 1, 1, allowed: ["gwangju"]), SubmittedAt = host.Clock.Now, DataReadyAt = host.Clock.Now });
        Assert.Equal((false, "gwangju is draining"), (direct.Admitted, direct.RefusedBecause));
        var refused = await host.SubmitAsync(Job("new", 1, 1, allowed: ["gwangju"]));
        Assert.Equal(JobState.Failed, refused.State);

        // A router sets gwangju aside from its copy once it refreshed after the drain (every 250 ms of real time), or,
        // with a copy from before the drain, when the region refuses: the region's refusal is the guard.
        Assert.Contains(refused.Placement!.Candidates[0].NotUsedBecause, new[] { "draining", "refused: gwangju is draining" });

        await host.AdvanceAsync(TimeSpan.FromHours(2));
        Assert.Equal(JobState.Completed, (await host.Job("run").GetAsync())!.State);
        await host.AssertAccountingAsync("run", "wait", "new");
    }
}

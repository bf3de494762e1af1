using System.Collections.Immutable;
using Federation.Contracts;
using Federation.Grains.Residency;
using Federation.Grains.Tests.Support;
using Federation.Storage.Audit;
using Federation.Storage.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using static Federation.Grains.Tests.Support.TestMegaregion;

namespace Federation.Grains.Tests;

/// <summary>
/// Data residency on the grains: placement, overflow, a narrowed class, drain, the rebalancer and a restart never put a
/// job outside the regions its dataset's class allows as it is at that moment, and every placement records the check.
/// </summary>
public sealed class ResidencyTests
{
    private const string NotAllowed = "not allowed by the residency class of the job's dataset";

    [Fact]
    public async Task A_job_overflows_only_to_regions_its_class_allows_and_the_history_records_the_check()
    {
        await using var host = await FederationTestHost.StartAsync();
        await SetClassAsync(host.Grains, "kr-health", "daegu", "gwangju");
        await host.SubmitAsync(Job("fill", 8, 10, allowed: ["gwangju"]));

        // Without a class it would go to suncheon (free, and ahead of daegu on a tie): the control shows it.
        var control = await host.SubmitAsync(Job("control", 4, 1));
        Assert.Equal(("suncheon", JobState.Running), (control.Region, control.State));

        var health = await host.SubmitAsync(ClassJob("health", "kr-health"));

        Assert.Equal(("daegu", JobState.Running), (health.Region, health.State));
        Assert.Equal(NotAllowed, health.Placement!.Candidates[1].ExcludedBecause);
        Assert.Equal(NotAllowed, health.Placement.Candidates[2].ExcludedBecause);
        var overflowed = health.History[1];
        Assert.Equal(("Overflowed", "daegu"), (overflowed.Kind, overflowed.Region));
        Assert.Equal("kr-health", overflowed.Residency!.Class);
        Assert.Equal("gwangju, daegu", Names(overflowed.Residency.Regions));

        // Its own allowed regions narrow the class further: gwangju only, where it waits.
        var pinned = await host.SubmitAsync(ClassJob("pinned", "kr-health", allowed: ["gwangju", "suncheon"]));
        Assert.Equal(("gwangju", JobState.Queued), (pinned.Region, pinned.State));
        Assert.Equal("not in the job's allowed regions", pinned.Placement!.Candidates[3].ExcludedBecause);
        Assert.Equal("gwangju, daegu", Names(pinned.History[1].Residency!.Regions));
        await host.AssertAccountingAsync("fill", "control", "health", "pinned");
    }

    [Fact]
    public async Task Narrowing_a_class_places_its_queued_jobs_again_within_it_running_jobs_keep_running_and_the_rebalancer_keeps_out()
    {
        await using var host = await FederationTestHost.StartAsync(configure: o => o.RebalanceThresholdSeconds = 300);
        await SetClassAsync(host.Grains, "kr-health", "gwangju", "suncheon", "daegu");
        await host.SubmitAsync(Job("fill", 8, 10, allowed: ["gwangju"]));
        await host.SubmitAsync(Job("dfill", 4, 20, home: "daegu", allowed: ["daegu"]));
        var run = await host.SubmitAsync(ClassJob("run", "kr-health", hours: 5, home: "suncheon"));
        await host.SubmitAsync(Job("sfill", 4, 10, home: "suncheon", allowed: ["suncheon"]));
        Assert.Equal(("suncheon", JobState.Running), (run.Region, run.State));

        // gwangju frees at 10 h, suncheon at 5 h (run ends), daegu at 20 h: q waits in suncheon.
        var q = await host.SubmitAsync(ClassJob("q", "kr-health", hours: 1, home: "suncheon"));
        Assert.Equal(("suncheon", JobState.Queued), (q.Region, q.State));

        var change = await SetClassAsync(host.Grains, "kr-health", "gwangju", "daegu");
        Assert.Equal(ResidencyOutcome.Updated, change.Outcome);
        await host.NoticesDeliveredAsync();

        q = (await host.Job("q").GetAsync())!;
        Assert.Equal(("gwangju", JobState.Queued), (q.Region, q.State));
        var released = q.History[^2];
        Assert.Equal(("Requeued", "suncheon", "released by suncheon: residency class kr-health allows gwangju, daegu, no longer suncheon"), (released.Kind, released.Region, released.Message));
        var requeued = q.History[^1];
        Assert.Equal(("Overflowed", "gwangju"), (requeued.Kind, requeued.Region));
        Assert.Equal("gwangju, daegu", Names(requeued.Residency!.Regions));
        Assert.Equal(NotAllowed, q.Placement!.Candidates[1].ExcludedBecause);

        // The running job is not moved (the class is checked when a job is placed, not while it runs).
        Assert.Equal(("suncheon", JobState.Running), ((await host.Job("run").GetAsync())!.Region, (await host.Job("run").GetAsync())!.State));

        // A job without the class waits in gwangju too (suncheon was draining when it came).
        await host.Region("suncheon").SetDrainAsync(new DrainRequest { Drain = true });
        var control = await host.SubmitAsync(Job("control", 4, 1, allowed: ["gwangju", "suncheon"]));
        Assert.Equal(("gwangju", JobState.Queued), (control.Region, control.State));
        await host.Region("suncheon").SetDrainAsync(new DrainRequest { Drain = false });

        // run ends at 5 h: suncheon has 4 accelerators free. The rebalancer moves the control there, never q.
        await host.AdvanceAsync(TimeSpan.FromHours(5) + TimeSpan.FromSeconds(1));
        Assert.Equal(JobState.Completed, (await host.Job("run").GetAsync())!.State);
        Assert.Equal(1, await host.Megaregion.RebalanceAsync());
        Assert.Equal("suncheon", (await host.Job("control").GetAsync())!.Region);
        q = (await host.Job("q").GetAsync())!;
        Assert.Equal(("gwangju", JobState.Queued), (q.Region, q.State));

        // Asked directly, the move is refused by suncheon's admission, and the job stays where it was.
        Assert.False(await host.Job("q").TryMoveAsync("gwangju", "suncheon", "test"));
        Assert.Equal("gwangju", (await host.Job("q").GetAsync())!.Region);
        await host.AssertAccountingAsync("fill", "dfill", "run", "sfill", "q", "control");
    }

    [Fact]
    public async Task Draining_a_region_places_its_queued_class_jobs_within_the_class_and_the_audit_shows_each_check()
    {
        var audit = new MemoryAuditLog();
        await using var host = await FederationTestHost.StartAsync(new CountingStorage(new MemoryJobStore(new JobStoreOptions(), new JsonRowSerializer(), audit)));
        await SetClassAsync(host.Grains, "kr-south", "gwangju", "suncheon");
        await host.SubmitAsync(Job("fill", 8, 10, allowed: ["gwangju"]));
        await host.SubmitAsync(Job("sfill", 8, 5, home: "suncheon", allowed: ["suncheon"]));
        var q = await host.SubmitAsync(ClassJob("q", "kr-south", hours: 1, home: "suncheon"));
        Assert.Equal(("suncheon", JobState.Queued), (q.Region, q.State));

        // daegu is free, but the class does not allow it: q goes to gwangju's queue.
        await host.Region("suncheon").SetDrainAsync(new DrainRequest { Drain = true });
        await host.NoticesDeliveredAsync();

        q = (await host.Job("q").GetAsync())!;
        Assert.Equal(("gwangju", JobState.Queued), (q.Region, q.State));
        Assert.Equal("gwangju, suncheon", Names(q.History[^1].Residency!.Regions));
        Assert.Equal(NotAllowed, q.Placement!.Candidates[3].ExcludedBecause);
        await host.AssertAccountingAsync("fill", "sfill", "q");

        // The submission and the move, each with the check that allowed it, written with the job's row.
        var entries = (await audit.QueryAsync(new AuditFilter { Target = "job/q" }, 10, null)).Records;
        Assert.Equal(
            [
                ("job.move", "gwangju", "released by suncheon: suncheon is draining; placed in gwangju; residency class 'kr-south' allows gwangju, suncheon"),
                ("job.submit", "suncheon", "placed in suncheon; residency class 'kr-south' allows gwangju, suncheon"),
            ],
            entries.Select(e => (e.Action, e.Region!, e.Detail!)).ToArray());
    }

    [Fact]
    public async Task A_region_rebuilt_from_its_rows_after_a_restart_lets_go_of_queued_jobs_its_class_no_longer_allows()
    {
        using var file = new TempSqliteFile();
        var storage = new CountingStorage();
        var serviceId = Guid.NewGuid().ToString("N");
        var execution = new Federation.TestKit.ManualTimeProvider();
        await using (var first = await FederationTestHost.StartAsync(storage, execution, sqliteFile: file.Path, serviceId: serviceId))
        {
            await SetClassAsync(first.Grains, "kr-south", "gwangju", "suncheon");
            await first.SubmitAsync(Job("fill", 8, 10, allowed: ["gwangju"]));
            await first.SubmitAsync(Job("sfill", 8, 5, home: "suncheon", allowed: ["suncheon"]));
            var q = await first.SubmitAsync(ClassJob("q", "kr-south", hours: 1, home: "suncheon"));
            Assert.Equal(("suncheon", JobState.Queued), (q.Region, q.State));
        }

        // The class survived the restart (the policy grain's state is durable); narrowing it now reaches suncheon as it
        // comes back, rebuilding its queue from the rows (activated by the push, it reads the policy first).
        await using var second = await FederationTestHost.StartAsync(storage, execution, sqliteFile: file.Path, serviceId: serviceId);
        var before = await second.Grains.GetGrain<IResidencyGrain>(IResidencyGrain.Key).GetAsync();
        Assert.Equal("gwangju, suncheon", Names(Assert.Single(before.Classes).Regions));

        var change = await SetClassAsync(second.Grains, "kr-south", "gwangju");
        Assert.Equal(ResidencyOutcome.Updated, change.Outcome);
        await second.NoticesDeliveredAsync();

        var moved = (await second.Job("q").GetAsync())!;
        Assert.Equal(("gwangju", JobState.Queued), (moved.Region, moved.State));
        Assert.Equal(0, (await second.Region("suncheon").GetAsync()).QueuedJobs);
        await second.AssertAccountingAsync("fill", "sfill", "q");
    }

    [Fact]
    public async Task The_policy_grain_validates_versions_and_refuses_to_delete_a_class_unfinished_jobs_carry()
    {
        await using var host = await FederationTestHost.StartAsync();
        var grain = host.Grains.GetGrain<IResidencyGrain>(IResidencyGrain.Key);

        var invalid = await grain.SetAsync("Bad", ["nowhere"], null);
        Assert.Equal(ResidencyOutcome.Invalid, invalid.Outcome);
        Assert.Equal(0, invalid.Policy.Version);

        var created = await SetClassAsync(host.Grains, "kr-health", "gwangju");
        Assert.Equal((ResidencyOutcome.Created, 1L), (created.Outcome, created.Class!.Version));
        Assert.Equal(ResidencyOutcome.Unchanged, (await grain.SetAsync("kr-health", ["gwangju"], 1)).Outcome);
        var stale = await grain.SetAsync("kr-health", ["daegu"], 7);
        Assert.Equal(ResidencyOutcome.VersionMismatch, stale.Outcome);
        Assert.Equal("gwangju", Names(stale.Class!.Regions));

        await host.SubmitAsync(ClassJob("q", "kr-health", hours: 1));
        var inUse = await grain.DeleteAsync("kr-health", null);
        Assert.Equal(ResidencyOutcome.InUse, inUse.Outcome);
        Assert.Equal("1 unfinished job(s) carry residency class 'kr-health' (e.g. q); it can be deleted once they have ended or been cancelled", inUse.Message);

        await host.Job("q").CancelAsync("test");
        Assert.Equal(ResidencyOutcome.VersionMismatch, (await grain.DeleteAsync("kr-health", 5)).Outcome);
        var deleted = await grain.DeleteAsync("kr-health", 1);
        Assert.Equal((ResidencyOutcome.Deleted, 2L), (deleted.Outcome, deleted.Policy.Version));
        Assert.Empty(deleted.Policy.Classes);
        Assert.Equal(ResidencyOutcome.NotFound, (await grain.DeleteAsync("kr-health", null)).Outcome);

        // Every silo's copy has the change once it answered, and a job naming the class is refused.
        Assert.Equal(2, host.Services(0).GetRequiredService<ResidencyPolicies>().Current.Policy.Version);
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => host.SubmitAsync(ClassJob("late", "kr-health", hours: 1)));
        Assert.Contains("dataset.residency: unknown residency class 'kr-health'; no class is defined", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_preempted_by_a_reclaim_is_placed_again_within_its_class_not_in_the_free_region_outside_it()
    {
        // suncheon lends its 8 H100 under a preemptible offer (60 s of grace) and reclaims them for its own job.
        var model = Create();
        var i = model.IndexOf("suncheon");
        var suncheon = model.Regions[i];
        var lending = new Federation.Scheduling.Megaregion(
            model.Regions.SetItem(i, suncheon with { Offer = suncheon.Offer with { Preemptible = true, ReclaimGraceS = 60 } }), model.Links);
        await using var host = await FederationTestHost.StartAsync(configure: o => o.Reclaim = true, megaregion: lending);
        await SetClassAsync(host.Grains, "kr-west", "gwangju", "suncheon");
        await host.SubmitAsync(Job("own-gwangju", 8, 3, allowed: ["gwangju"]));
        var lent = await host.SubmitAsync(ClassJob("lent", "kr-west", hours: 2));
        Assert.Equal((JobState.Running, "suncheon"), (lent.State, lent.Region));
        await host.SubmitAsync(Job("own-suncheon", 8, 1, home: "suncheon", allowed: ["suncheon"]));
        await host.NoticesDeliveredAsync();

        // The grace period ends: lent is stopped and placed again. daegu is free and would start it at once; its class
        // keeps it to gwangju, where it waits behind gwangju's own job.
        await host.AdvanceAsync(TimeSpan.FromSeconds(60));
        lent = (await host.Job("lent").GetAsync())!;
        Assert.Equal((JobState.Queued, "gwangju"), (lent.State, lent.Region));
        Assert.Equal(JobEventKinds.Preempted, lent.History[^2].Kind);
        Assert.Equal(("Requeued", "gwangju", "gwangju, suncheon"), (lent.History[^1].Kind, lent.History[^1].Region, Names(lent.History[^1].Residency!.Regions)));
        Assert.Equal(NotAllowed, lent.Placement!.Candidates[3].ExcludedBecause);
        Assert.Equal(0, (await host.Region("daegu").GetAsync()).Pools[0].Busy);
        await host.AssertAccountingAsync("own-gwangju", "lent", "own-suncheon");
    }

    [Fact]
    public async Task A_change_has_reached_every_silo_that_runs_a_region_when_it_answers()
    {
        await using var host = await FederationTestHost.StartAsync(silos: 2, siloRegions: ["gwangju", "suncheon"]);
        foreach (var region in RegionIds)
        {
            await host.GrainsOf(0).GetGrain<IRegionGrain>(region).GetAsync();
        }

        var copies = new[] { host.Services(0).GetRequiredService<ResidencyPolicies>(), host.Services(1).GetRequiredService<ResidencyPolicies>() };

        var created = await SetClassAsync(host.GrainsOf(0), "kr-a", "gwangju");
        Assert.Equal(1, created.Policy.Version);
        Assert.All(copies, c => Assert.Equal("kr-a=gwangju@1", Describe(c)));

        // A job through the other silo, from suncheon: its class keeps it in gwangju, whichever silo decided.
        var job = await FederationTestHost.SubmitAsync(host.GrainsOf(1), ClassJob("a1", "kr-a", home: "suncheon"));
        Assert.Equal("gwangju", job.Region);

        await SetClassAsync(host.GrainsOf(1), "kr-a", "gwangju", "suncheon");
        Assert.All(copies, c => Assert.Equal("kr-a=gwangju,suncheon@2", Describe(c)));
        await host.AssertAccountingAsync("a1");

        static string Describe(ResidencyPolicies copy) =>
            string.Join(";", copy.Current.Policy.Classes.Select(c => $"{c.Name}={string.Join(',', c.Regions)}@{copy.Current.Policy.Version}"));
    }

    private static string Names(ImmutableArray<string> regions) => string.Join(", ", regions);

    private static Task<ResidencyChange> SetClassAsync(IGrainFactory grains, string name, params string[] regions) =>
        grains.GetGrain<IResidencyGrain>(IResidencyGrain.Key).SetAsync(name, [.. regions], null);

    private static JobRequest ClassJob(string id, string residency, double hours = 1, string home = "gwangju", ImmutableArray<string> allowed = default) =>
        Job(id, 4, hours, home: home, allowed: allowed) with { Dataset = new DatasetRef { Region = home, SizeGb = 0, Residency = residency } };
}

/// <summary>The cap on queued jobs per project, counted from the job rows across silos.</summary>
public sealed class QueuedJobCapTests
{
    [Fact]
    public async Task The_cap_counts_queued_jobs_from_the_rows_so_another_silo_and_a_silo_death_leave_it_right()
    {
        // Every submission reads the count (a refresh of one tick): a silo's count may otherwise miss what other silos
        // admitted within one refresh interval, which is the cap's stated bound, and Orleans' clock here is the real one.
        await using var host = await FederationTestHost.StartAsync(silos: 2, admission: o =>
        {
            o.MaxQueuedJobsPerProject = 2;
            o.CountRefresh = TimeSpan.FromTicks(1);
        });
        var first = host.GrainsOf(0);
        var second = host.GrainsOf(1);
        await FederationTestHost.SubmitAsync(first, Job("fill", 8, 10, allowed: ["gwangju"], project: "other"));
        Assert.Equal(JobState.Queued, (await FederationTestHost.SubmitAsync(first, Job("q1", 4, 1, allowed: ["gwangju"], project: "capped"))).State);
        Assert.Equal(JobState.Queued, (await FederationTestHost.SubmitAsync(second, Job("q2", 4, 1, allowed: ["gwangju"], project: "capped"))).State);

        // Each silo counts what the rows hold, not only what it admitted itself.
        var refused = await second.GetGrain<IJobGrain>("q3").SubmitAsync(Job("q3", 4, 1, allowed: ["gwangju"], project: "capped"));
        Assert.Equal("project 'capped' has 2 queued jobs, the most one project may have queued (Federation:Admission:MaxQueuedJobsPerProject = 2); submit again once some have started or been cancelled", refused.OverCap);
        Assert.Equal((false, null), (refused.Created, refused.Job));
        Assert.Null(await second.GetGrain<IJobGrain>("q3").GetAsync());

        // The second silo dies; the first still counts both queued jobs (q2's row outlives its silo).
        await host.Cluster.StopSiloAsync(host.Cluster.Silos[1]);
        var stillRefused = await first.GetGrain<IJobGrain>("q4").SubmitAsync(Job("q4", 4, 1, allowed: ["gwangju"], project: "capped"));
        Assert.True(stillRefused.OverCap is not null, await host.DescribeAsync("fill", "q1", "q2", "q4"));

        // A queued job cancelled: the next submission counts again and fits.
        await first.GetGrain<IJobGrain>("q2").CancelAsync("test");
        Assert.Equal(JobState.Queued, (await FederationTestHost.SubmitAsync(first, Job("q4", 4, 1, allowed: ["gwangju"], project: "capped"))).State);
        await host.AssertAccountingAsync("fill", "q1", "q2", "q4");
    }

    [Fact]
    public void The_admission_options_validator_names_the_bad_option_by_its_configuration_key()
    {
        var validator = new Federation.Grains.Admission.AdmissionOptionsValidator();
        Assert.True(validator.Validate(null, new Federation.Grains.Admission.AdmissionOptions()).Succeeded);
        Assert.True(validator.Validate(null, new Federation.Grains.Admission.AdmissionOptions { MaxQueuedJobsPerProject = 0 }).Succeeded);
        Assert.Equal(
            "Federation:Admission:MaxQueuedJobsPerProject must be 0 (no cap) or more (was -1).",
            validator.Validate(null, new Federation.Grains.Admission.AdmissionOptions { MaxQueuedJobsPerProject = -1 }).FailureMessage);
        Assert.StartsWith(
            "Federation:Admission:CountRefresh must be positive",
            validator.Validate(null, new Federation.Grains.Admission.AdmissionOptions { CountRefresh = TimeSpan.Zero }).FailureMessage,
            StringComparison.Ordinal);
        Assert.Equal(
            "FederationGrainsOptions.ResidencyRefresh must be positive (was 00:00:00).",
            new Federation.Grains.Hosting.FederationGrainsOptionsValidator().Validate(null, new Federation.Grains.Hosting.FederationGrainsOptions { ResidencyRefresh = TimeSpan.Zero }).FailureMessage);
    }
}

using Federation.Contracts;
using Federation.Grains.Projects;
using Federation.Grains.Tests.Support;
using Federation.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Storage;
using static Federation.Grains.Tests.Support.TestMegaregion;

namespace Federation.Grains.Tests;

/// <summary>Allocations by term (issue 16): usage charged as jobs run, standing at placement, over allocation preempted first.</summary>
public sealed class AllocationTests
{
    private static AllocationRequest Hours(double hours, DateTimeOffset from, TimeSpan length, string? region = null) =>
        new() { AcceleratorHours = hours, From = from, Until = from + length, Region = region };

    /// <summary>The project's usage recomputed from the rows, and every silo's cached standings forgotten.</summary>
    private static async Task<ProjectView> RefreshAsync(FederationTestHost host, string project)
    {
        var view = await host.Project(project).GetAsync();
        for (var i = 0; i < host.SiloCount; i++)
        {
            host.Services(i).GetRequiredService<ProjectStandings>().Clear();
        }

        return view;
    }

    [Fact]
    public async Task A_job_without_a_priority_takes_its_projects_class_when_submitted_and_keeps_it_and_the_queue_follows()
    {
        await using var host = await FederationTestHost.StartAsync();
        var project = host.Project("p-class");
        var set = await project.SetPriorityAsync(40);
        Assert.Equal((40, 1L), (set.Priority, set.Version));
        await Assert.ThrowsAsync<ProjectChangedException>(() => project.SetPriorityAsync(50, ifVersion: 0));
        await Assert.ThrowsAsync<AllocationRefusedException>(() => project.SetPriorityAsync(1001));
        var unchanged = await project.GetAsync();
        Assert.Equal((40, 1L), (unchanged.Priority, unchanged.Version));

        // gwangju's H100s are all busy for an hour; then a job of p1 (priority 0) queues, then one of p-class that needs
        // the whole pool.
        var h100 = (await host.Region("gwangju").GetAsync()).Pools.Single(p => p.Type == "H100").Count;
        await host.SubmitAsync(Job("filler", h100, 1, allowed: ["gwangju"]));
        await host.SubmitAsync(Job("plain", 8, 1, allowed: ["gwangju"]));
        var classed = await host.SubmitAsync(Job("classed", h100, 1, allowed: ["gwangju"], project: "p-class"));
        Assert.Equal(40, classed.Request!.Priority);

        // A new class applies to jobs submitted from then on; a retry of the first is the same job, with its priority.
        await project.SetPriorityAsync(10);
        await RefreshAsync(host, "p-class");
        var retried = await host.Grains.GetGrain<IJobGrain>("classed").SubmitAsync(Job("classed", h100, 1, allowed: ["gwangju"], project: "p-class"));
        Assert.Equal((false, null, 40), (retried.Created, retried.Conflict, retried.Job!.Request!.Priority));
        Assert.Equal(10, (await host.SubmitAsync(Job("classed-later", 8, 1, allowed: ["gwangju"], project: "p-class"))).Request!.Priority);

        // The filler ends: the p-class job, first by its priority though it came later, takes the pool; p1's waits.
        await host.AdvanceAsync(TimeSpan.FromHours(1));
        Assert.Equal(
            [JobState.Running, JobState.Queued, JobState.Queued],
            await Task.WhenAll(new[] { "classed", "plain", "classed-later" }.Select(async id => (await host.Job(id).GetAsync())!.State)));
    }

    [Fact]
    public async Task Usage_is_charged_while_jobs_run_in_every_region_to_the_type_first_then_any()
    {
        await using var host = await FederationTestHost.StartAsync();
        var from = host.Clock.Now;
        var project = host.Project("p1");
        await project.SetAllocationAsync("short", "H100", Hours(10, from, TimeSpan.FromDays(30)));
        await project.SetAllocationAsync("mid", "any", Hours(100, from, TimeSpan.FromDays(180)));

        await host.SubmitAsync(Job("j1", 4, 10, allowed: ["gwangju"]));
        await host.SubmitAsync(Job("j2", 2, 10, home: "suncheon", allowed: ["suncheon"]));
        await host.SubmitAsync(Job("j3", 1, 10, home: "gwangyang", type: "A100", allowed: ["gwangyang"]));
        await host.AdvanceAsync(TimeSpan.FromMinutes(90));

        // 90 minutes in, still running: 6 H100 x 1.5 h = 9 h on the H100 allocation, 1 A100 x 1.5 h on 'any'.
        var view = await project.GetAsync();
        Assert.Equal(JobState.Running, (await host.Job("j1").GetAsync())!.State);
        Assert.Equal(from.AddMinutes(90), view.UsageAsOf);
        Assert.Equal(
            [("short", "H100", 9.0, 1.0, true), ("mid", "any", 1.5, 98.5, true)],
            view.Allocations.Select(a => (a.Term, a.Class, Math.Round(a.UsedAcceleratorHours, 9), Math.Round(a.LeftAcceleratorHours, 9), a.Current)));
        Assert.Equal(10.5, view.UsedAcceleratorHours, 9);

        // Two hours in: the H100 allocation is used up (12 h of H100 ran), the 2 h beyond go to 'any' with the A100's 2 h.
        await host.AdvanceAsync(TimeSpan.FromMinutes(30));
        view = await project.GetAsync();
        Assert.Equal([10.0, 4.0], view.Allocations.Select(a => Math.Round(a.UsedAcceleratorHours, 9)));
        Assert.Equal(0, view.UnallocatedAcceleratorHours, 9);
        Assert.Equal("allocated", view.Standing);
        Assert.Equal("allocated: project p1 has 96 of 100 mid-term accelerator hours left", view.StandingReason);

        // The jobs end at ten hours: 70 accelerator-hours in all, none counted twice.
        await host.AdvanceAsync(TimeSpan.FromHours(8));
        view = await project.GetAsync();
        Assert.Equal([10.0, 60.0], view.Allocations.Select(a => Math.Round(a.UsedAcceleratorHours, 9)));
        Assert.Equal(70, view.UsedAcceleratorHours, 9);
    }

    [Fact]
    public async Task A_job_over_allocation_runs_on_spare_capacity_is_preempted_first_for_an_allocated_job_and_runs_again_once()
    {
        await using var host = await FederationTestHost.StartAsync();
        var from = host.Clock.Now;
        await host.Project("rich").SetAllocationAsync("short", "H100", Hours(1000, from, TimeSpan.FromDays(30)));
        await host.Project("poor").SetAllocationAsync("short", "H100", Hours(0, from, TimeSpan.FromDays(30)));

        // Nothing else runs in gwangju: the over-allocation job takes all 8 accelerators.
        var over = await host.SubmitAsync(Job("over", 8, 10, allowed: ["gwangju"], project: "poor"));
        Assert.Equal(JobState.Running, over.State);
        var standing = Assert.Single(over.History, e => e.Kind == JobEventKinds.OverAllocation);
        Assert.Equal("over allocation: project poor has 0 of 0 short-term H100 hours left", standing.Message);

        // An allocated job cannot start: the over-allocation job is signalled and preempted after the grace period (60 s).
        var allocated = await host.SubmitAsync(Job("alloc", 4, 1, allowed: ["gwangju"], project: "rich"));
        Assert.Equal(JobState.Queued, allocated.State);
        Assert.StartsWith("allocated: project rich has 1000 of 1000", Assert.Single(allocated.History, e => e.Kind == JobEventKinds.Allocated).Message, StringComparison.Ordinal);
        await host.AdvanceAsync(TimeSpan.FromSeconds(60));

        var preempted = (await host.Job("over").GetAsync())!;
        Assert.Equal(JobState.Queued, preempted.State);
        var preemption = Assert.Single(preempted.History, e => e.Kind == JobEventKinds.Preempted);
        Assert.StartsWith("preempted in gwangju after 0.017 h: gwangju took back the 8 H100 this job held over its project's allocation for alloc, a job within its project's allocation; charged 0.133 accelerator-hours for this run; no checkpoint signal", preemption.Message, StringComparison.Ordinal);
        Assert.Equal(JobState.Running, (await host.Job("alloc").GetAsync())!.State);

        // Placed again after the preemption, still over allocation; it waits for the allocated job and then runs once more.
        Assert.Equal(2, preempted.History.Count(e => e.Kind == JobEventKinds.OverAllocation));
        await host.AdvanceAsync(TimeSpan.FromHours(1));
        var again = (await host.Job("over").GetAsync())!;
        Assert.Equal(JobState.Running, again.State);
        Assert.Equal(2, again.History.Count(e => e.Kind == JobEventKinds.Started));
        Assert.Equal((2, 1), (host.Executor.StartsOf("gwangju", "over"), host.Executor.StopsOf("gwangju", "over")));
        await host.AssertAccountingAsync("over", "alloc");
    }

    [Fact]
    public async Task An_over_allocation_job_queues_behind_an_allocated_job_whatever_its_priority()
    {
        await using var host = await FederationTestHost.StartAsync();
        var from = host.Clock.Now;
        await host.Project("rich").SetAllocationAsync("short", "any", Hours(1000, from, TimeSpan.FromDays(30)));
        await host.Project("poor").SetAllocationAsync("short", "any", Hours(0, from, TimeSpan.FromDays(30)));
        await host.SubmitAsync(Job("busy", 8, 1, allowed: ["gwangju"], project: "rich"));
        await host.SubmitAsync(Job("urgent-over", 8, 1, allowed: ["gwangju"], project: "poor", priority: 1000));
        await host.SubmitAsync(Job("plain", 8, 1, allowed: ["gwangju"], project: "rich"));

        await host.AdvanceAsync(TimeSpan.FromHours(1));
        Assert.Equal(JobState.Running, (await host.Job("plain").GetAsync())!.State);
        Assert.Equal(JobState.Queued, (await host.Job("urgent-over").GetAsync())!.State);
        await host.AdvanceAsync(TimeSpan.FromHours(1));
        Assert.Equal(JobState.Running, (await host.Job("urgent-over").GetAsync())!.State);
    }

    [Fact]
    public async Task A_project_without_allocation_is_unmanaged_unless_allocations_are_required()
    {
        await using (var host = await FederationTestHost.StartAsync())
        {
            var job = await host.SubmitAsync(Job("free", 1, 1));
            Assert.DoesNotContain(job.History, e => e.Kind is JobEventKinds.Allocated or JobEventKinds.OverAllocation);
            Assert.Equal(("unmanaged", "unmanaged: project p1 has no allocation"), ((await host.Project("p1").GetAsync()).Standing, (await host.Project("p1").GetAsync()).StandingReason));
        }

        await using var strict = await FederationTestHost.StartAsync(allocations: o => o.RequireAllocation = true);
        var strictJob = await strict.SubmitAsync(Job("strict", 1, 1));
        Assert.Equal(
            "over allocation: project p1 has no allocation, and allocations are required",
            Assert.Single(strictJob.History, e => e.Kind == JobEventKinds.OverAllocation).Message);
    }

    [Fact]
    public async Task A_return_of_unused_hours_is_recorded_and_no_more_than_the_unused_hours_can_be_returned()
    {
        await using var host = await FederationTestHost.StartAsync();
        var from = host.Clock.Now;
        var project = host.Project("p1");
        await project.SetAllocationAsync("mid", "H100", Hours(20, from, TimeSpan.FromDays(10), region: "gwangju"));
        await host.SubmitAsync(Job("j1", 4, 2, allowed: ["gwangju"]));
        await host.AdvanceAsync(TimeSpan.FromHours(1));

        // 4 h used, 16 unused: returning 17 is refused and changes nothing; 10 are returned.
        var before = await project.GetAsync();
        var refused = await Assert.ThrowsAsync<AllocationRefusedException>(() => project.ReturnAsync(new ReturnRequest { Term = "mid", Class = "H100", AcceleratorHours = 17 }));
        Assert.Equal(("acceleratorHours", "cannot return 17 accelerator-hours: only 16 are unused"), (refused.Field, refused.Reason));
        var unchanged = await project.GetAsync();
        Assert.Equal(before.Version, unchanged.Version);
        Assert.Empty(unchanged.Returns);
        Assert.Equal(0, Assert.Single(unchanged.Allocations).ReturnedAcceleratorHours);

        var stale = await Assert.ThrowsAsync<ProjectChangedException>(() => project.ReturnAsync(new ReturnRequest { Term = "mid", Class = "H100", AcceleratorHours = 1 }, before.Version - 1));
        Assert.Equal(before.Version, stale.Current);

        var returned = await project.ReturnAsync(new ReturnRequest { Term = "mid", Class = "H100", AcceleratorHours = 10 }, before.Version);
        var a = Assert.Single(returned.Allocations);
        Assert.Equal((20.0, 4.0, 10.0, 6.0), (a.AcceleratorHours, Math.Round(a.UsedAcceleratorHours, 9), a.ReturnedAcceleratorHours, Math.Round(a.LeftAcceleratorHours, 9)));
        // 10 hours over the 239 left in the term keep no accelerator busy: recorded, no offer raised.
        Assert.Equal(new AllocationReturn { At = from.AddHours(1), Term = "mid", Class = "H100", AcceleratorHours = 10, Until = from.AddDays(10) }, Assert.Single(returned.Returns));
        Assert.Empty((await host.Region("gwangju").GetAsync()).ReturnedCapacity);
        Assert.Equal(before.Version + 1, returned.Version);

        // The job runs its second hour: 8 h used, 2 left.
        await host.AdvanceAsync(TimeSpan.FromHours(1));
        var after = await RefreshAsync(host, "p1");
        Assert.Equal(2, Assert.Single(after.Allocations).LeftAcceleratorHours, 9);
    }

    [Fact]
    public async Task Returned_hours_raise_the_backing_regions_offer_for_the_rest_of_the_term_and_not_after()
    {
        await using var host = await FederationTestHost.StartAsync();
        var from = host.Clock.Now;
        var project = host.Project("p1");
        await project.SetAllocationAsync("short", "H100", Hours(100, from, TimeSpan.FromHours(10), region: "gwangju"));

        // An external job of 6 H100 does not fit gwangju's offer of 4: no region may run it.
        var before = await host.SubmitAsync(Job("ext-0", 6, 1, home: "suncheon", allowed: ["gwangju"], project: "other"));
        Assert.Equal(JobState.Failed, before.State);

        // 80 hours returned with 10 hours of the term left: 8 more H100 lent (gwangju has 8, so it lends all 8).
        var returned = await project.ReturnAsync(new ReturnRequest { Term = "short", Class = "H100", AcceleratorHours = 80 });
        var r = Assert.Single(returned.Returns);
        Assert.Equal(("gwangju", 8, from.AddHours(10)), (r.Region, r.Accelerators, r.Until));
        var region = await host.Region("gwangju").GetAsync();
        Assert.Equal(
            [("p1", "H100", 8, from.AddHours(10))],
            region.ReturnedCapacity.Select(c => (c.Project, c.Type, c.Count, c.Until)));
        Assert.Equal([("H100", 4)], region.Offer.Accelerators.Select(a => (a.Type, a.Count)));

        // What routers copy (the estimate) lends 8, and the region admits the external job (routers see it within their
        // refresh; asked directly here so the test does not wait for one). The admission is withdrawn again.
        Assert.Equal([("H100", 8)], (await host.Region("gwangju").GetEstimateAsync(0)).Offer.Accelerators.Select(a => (a.Type, a.Count)));
        var external = new AdmitRequest { JobId = "ext-1", Job = Job("ext-1", 6, 1, home: "suncheon", allowed: ["gwangju"], project: "other"), SubmittedAt = from, DataReadyAt = from };
        var admitted = await host.Region("gwangju").TryAdmitAsync(external);
        Assert.True(admitted.Admitted, admitted.RefusedBecause);
        Assert.True(admitted.State == JobState.Running ? await host.Region("gwangju").StopAsync("ext-1") : await host.Region("gwangju").WithdrawAsync("ext-1"));

        // The term ends: the raised offer lapses; the region refuses the same admission, and the job fits nowhere again.
        await host.AdvanceAsync(TimeSpan.FromHours(10));
        Assert.Empty((await host.Region("gwangju").GetAsync()).ReturnedCapacity);
        Assert.Equal([("H100", 4)], (await host.Region("gwangju").GetEstimateAsync(0)).Offer.Accelerators.Select(a => (a.Type, a.Count)));
        Assert.False((await host.Region("gwangju").TryAdmitAsync(external with { JobId = "ext-2" })).Admitted);
        var after = await host.SubmitAsync(Job("ext-3", 6, 1, home: "suncheon", allowed: ["gwangju"], project: "other"));
        Assert.Equal(JobState.Failed, after.State);
    }

    [Fact]
    public async Task A_restarted_project_keeps_its_allocations_and_returns_and_recomputes_its_usage_from_the_rows()
    {
        using var file = new TempSqliteFile();
        var serviceId = Guid.NewGuid().ToString("N");
        var execution = new ManualTimeProvider();
        DateTimeOffset from;
        await using (var first = await FederationTestHost.StartAsync(sqliteFile: file.Path, serviceId: serviceId, execution: execution))
        {
            from = first.Clock.Now;
            await first.Project("p1").SetAllocationAsync("short", "H100", Hours(50, from, TimeSpan.FromDays(3)));
            await first.SubmitAsync(Job("j1", 2, 1, allowed: ["gwangju"]));
            await first.AdvanceAsync(TimeSpan.FromHours(2));
            await first.Project("p1").ReturnAsync(new ReturnRequest { Term = "short", Class = "H100", AcceleratorHours = 8 });
        }

        await using var second = await FederationTestHost.StartAsync(sqliteFile: file.Path, serviceId: serviceId, execution: execution);
        var view = await second.Project("p1").GetAsync();
        var a = Assert.Single(view.Allocations);
        Assert.Equal((50.0, 2.0, 8.0, 40.0), (a.AcceleratorHours, Math.Round(a.UsedAcceleratorHours, 9), a.ReturnedAcceleratorHours, Math.Round(a.LeftAcceleratorHours, 9)));
        Assert.Equal((from, from.AddDays(3)), (a.From, a.Until));
        Assert.Equal([(from.AddHours(2), 8.0)], view.Returns.Select(x => (x.At, x.AcceleratorHours)));
    }

    [Fact]
    public async Task Once_the_runs_use_the_allocation_up_the_next_job_of_the_project_is_over_allocation()
    {
        await using var host = await FederationTestHost.StartAsync();
        var from = host.Clock.Now;
        await host.Project("p1").SetAllocationAsync("short", "H100", Hours(4, from, TimeSpan.FromDays(1)));
        var first = await host.SubmitAsync(Job("j1", 4, 1, allowed: ["gwangju"]));
        Assert.Equal("allocated: project p1 has 4 of 4 short-term H100 hours left", Assert.Single(first.History, e => e.Kind == JobEventKinds.Allocated).Message);
        await host.AdvanceAsync(TimeSpan.FromHours(1));

        var view = await RefreshAsync(host, "p1");
        Assert.Equal(("over-allocation", 0.0), (view.Standing, Assert.Single(view.Allocations).LeftAcceleratorHours));
        var second = await host.SubmitAsync(Job("j2", 4, 1, allowed: ["gwangju"]));
        Assert.Equal("over allocation: project p1 has 0 of 4 short-term H100 hours left", Assert.Single(second.History, e => e.Kind == JobEventKinds.OverAllocation).Message);

        // A job of another type is covered by no allocation of the project: over allocation too.
        var other = await host.SubmitAsync(Job("j3", 1, 1, home: "gwangyang", type: "A100", allowed: ["gwangyang"]));
        Assert.Equal("over allocation: project p1 has no current allocation for A100", Assert.Single(other.History, e => e.Kind == JobEventKinds.OverAllocation).Message);
    }

    [Fact]
    public async Task A_project_stored_before_allocations_had_a_class_and_a_period_is_migrated_to_open_any_allocations()
    {
        await using var host = await FederationTestHost.StartAsync();
        var legacy = new ProjectState { JobsSubmitted = 3, UsedAcceleratorHours = 12 };
        legacy.Terms["short"] = new TermState { AcceleratorHours = 5, UsedAcceleratorHours = 5 };
        legacy.Terms["long"] = new TermState { AcceleratorHours = 100, UsedAcceleratorHours = 7, ReturnedAcceleratorHours = 20 };
        var storage = host.Services(0).GetRequiredKeyedService<IGrainStorage>(Federation.Storage.StorageNames.GrainState);
        await storage.WriteStateAsync(ProjectState.StateName, host.Project("old").GetGrainId(), new GrainState<ProjectState>(legacy));

        var view = await host.Project("old").GetAsync();

        // Usage comes from the rows (the project has no jobs here), not from the old counters; returned hours are kept.
        Assert.Equal(
            [("short", "any", 5.0, 0.0, 0.0), ("long", "any", 100.0, 20.0, 0.0)],
            view.Allocations.Select(a => (a.Term, a.Class, a.AcceleratorHours, a.ReturnedAcceleratorHours, a.UsedAcceleratorHours)));
        Assert.All(view.Allocations, a => Assert.Equal((DateTimeOffset.UnixEpoch, DateTimeOffset.MaxValue, true), (a.From, a.Until, a.Current)));
        Assert.Equal((3L, 1L), (view.JobsSubmitted, view.Version));
    }

    [Fact]
    public async Task A_region_rebuilt_from_the_rows_keeps_an_over_allocation_job_behind_the_allocated_one()
    {
        using var file = new TempSqliteFile();
        var serviceId = Guid.NewGuid().ToString("N");
        var execution = new ManualTimeProvider();
        await using (var first = await FederationTestHost.StartAsync(sqliteFile: file.Path, serviceId: serviceId, execution: execution))
        {
            var from = first.Clock.Now;
            await first.Project("rich").SetAllocationAsync("short", "any", Hours(1000, from, TimeSpan.FromDays(30)));
            await first.Project("poor").SetAllocationAsync("short", "any", Hours(0, from, TimeSpan.FromDays(30)));
            await first.SubmitAsync(Job("busy", 8, 1, allowed: ["gwangju"], project: "rich"));
            await first.SubmitAsync(Job("over", 8, 1, allowed: ["gwangju"], project: "poor", priority: 1000));
            await first.SubmitAsync(Job("plain", 8, 1, allowed: ["gwangju"], project: "rich"));
        }

        // The new cluster's region rebuilds its queue from the rows: the row's standing event puts "over" behind again.
        await using var second = await FederationTestHost.StartAsync(sqliteFile: file.Path, serviceId: serviceId, execution: execution);
        await second.Region("gwangju").GetAsync();
        await second.AdvanceAsync(TimeSpan.FromHours(1));
        Assert.Equal(JobState.Running, (await second.Job("plain").GetAsync())!.State);
        Assert.Equal(JobState.Queued, (await second.Job("over").GetAsync())!.State);
        await second.AdvanceAsync(TimeSpan.FromHours(1));
        Assert.Equal(JobState.Running, (await second.Job("over").GetAsync())!.State);
    }
}

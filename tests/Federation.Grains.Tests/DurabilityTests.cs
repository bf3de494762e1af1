using Federation.Contracts;
using Federation.Grains.Hosting;
using Federation.Grains.Jobs;
using Federation.Grains.Tests.Support;
using Federation.TestKit;
using Orleans;
using Orleans.Runtime;
using static Federation.Grains.Tests.Support.TestMegaregion;

namespace Federation.Grains.Tests;

/// <summary>
/// What the crash tests (tests/Federation.CrashTests) found, each pinned at grain level: a store that fails
/// writes (and reads) for a while, a write whose commit answer is lost, a region holding a job its row does not
/// name (a ghost), a running row that no longer fits after a restart, and the executor called for a job before
/// a committed row named the region (a ghost run). The host's executor records every start with what the row
/// said then; <see cref="FederationTestHost.AssertAccountingAsync"/> fails on a start no row named.
/// Confirmation deadlines and notice retries run on Orleans' clock, the real one: the tests that wait for them make
/// them short and wait for their outcome with a polling barrier.
/// </summary>
public sealed class DurabilityTests
{
    /// <summary>
    /// A deadline a few seconds long: long enough that a normal submission always confirms before it (so only the ghosts
    /// a test makes are checked), and that "nothing ran yet" right after an admission is a real check; checked every 50 ms.
    /// </summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(2);

    /// <summary>Short confirmation deadlines and notice retries (10 ms doubling to 50 ms) for the tests that wait for them.</summary>
    private static void ShortDeadlines(FederationGrainsOptions o)
    {
        o.ConfirmationDeadline = Deadline;
        o.ReservationCheckPeriod = TimeSpan.FromMilliseconds(50);
        o.FirstNoticeRetryDelay = TimeSpan.FromMilliseconds(10);
        o.MaxNoticeRetryDelay = TimeSpan.FromMilliseconds(50);
    }

    [Fact]
    public async Task A_submission_whose_write_fails_leaves_no_job_in_the_region_even_when_its_data_arrives_later()
    {
        await using var host = await FederationTestHost.StartAsync();
        await host.SubmitAsync(Job("fill", 8, 10, allowed: ["gwangju"]));
        Assert.Null(await host.Job("o1").GetAsync());

        // The store goes down after the job read its (absent) row: suncheon admits it, the write fails, and so does the
        // read-back, so the job cannot know what committed.
        host.Storage.FailWrites = true;
        host.Storage.FailReadsFromFailedWrite = true;
        await Assert.ThrowsAnyAsync<Exception>(() => host.Job("o1").SubmitAsync(Job("o1", 4, 1, datasetRegion: "gwangju", datasetGb: 100)));
        Assert.True(host.Storage.FailReads);

        // The data would have arrived in suncheon after 114 s: nothing may start there.
        await host.AdvanceAsync(TimeSpan.FromSeconds(200));
        var suncheon = await host.Region("suncheon").GetAsync();
        Assert.Equal((0, 0, 0), (suncheon.QueuedJobs, suncheon.RunningJobs, suncheon.Pools[0].Busy));
        Assert.DoesNotContain(host.Executor.Starts, s => s.Job == "o1");

        // While the store is down the job answers nothing it has not read back (never the uncommitted placement).
        await Assert.ThrowsAnyAsync<Exception>(() => host.Job("o1").SubmitAsync(Job("o1", 4, 1, datasetRegion: "gwangju", datasetGb: 100)));
        await Assert.ThrowsAnyAsync<Exception>(() => host.Job("o1").GetAsync());

        host.Storage.FailWrites = false;
        host.Storage.FailReads = false;
        var again = await host.Job("o1").SubmitAsync(Job("o1", 4, 1, datasetRegion: "gwangju", datasetGb: 100));
        Assert.True(again.Created);
        Assert.Equal(("suncheon", JobState.Queued), (again.Job!.Region, again.Job.State));
        Assert.Equal(["Submitted", "Overflowed"], again.Job.History.Select(e => e.Kind));
        await host.AssertAccountingAsync("fill", "o1");
    }

    [Fact]
    public async Task A_submission_whose_commit_answer_was_lost_is_re_admitted_where_its_row_names_it()
    {
        await using var host = await FederationTestHost.StartAsync();
        await host.SubmitAsync(Job("fill", 8, 10, allowed: ["gwangju"]));
        Assert.Null(await host.Job("o1").GetAsync());

        // The row is written, the answer is lost, and the row cannot be read back (the store went down after the
        // commit): the region is told to drop it.
        host.Storage.FailAfterWrite = true;
        host.Storage.FailReadsAfterWrite = true;
        await Assert.ThrowsAnyAsync<Exception>(() => host.Job("o1").SubmitAsync(Job("o1", 4, 1, datasetRegion: "gwangju", datasetGb: 100)));
        Assert.True(host.Storage.FailReads);
        host.Storage.FailAfterWrite = false;
        host.Storage.FailReadsAfterWrite = false;
        Assert.Equal(0, (await host.Region("suncheon").GetAsync()).QueuedJobs);

        // Once the row can be read, the job is held again where the row says, and a retry answers the committed job.
        host.Storage.FailReads = false;
        var again = await host.Job("o1").SubmitAsync(Job("o1", 4, 1, datasetRegion: "gwangju", datasetGb: 100));
        Assert.False(again.Created);
        Assert.Equal(("suncheon", JobState.Queued), (again.Job!.Region, again.Job.State));
        Assert.Equal(["Submitted", "Overflowed", "Requeued"], again.Job.History.Select(e => e.Kind));
        await host.AssertAccountingAsync("fill", "o1");
        await host.AdvanceAsync(TimeSpan.FromSeconds(115));
        Assert.Equal(JobState.Running, (await host.Job("o1").GetAsync())!.State);
        await host.AssertAccountingAsync("fill", "o1");
    }

    [Fact]
    public async Task Start_and_finish_notices_that_fail_during_an_outage_are_retried_until_the_rows_commit_them()
    {
        await using var host = await FederationTestHost.StartAsync(configure: ShortDeadlines);
        await host.SubmitAsync(Job("a", 8, 1, allowed: ["gwangju"]));
        await host.SubmitAsync(Job("b", 8, 1, allowed: ["gwangju"]));

        host.Storage.FailWrites = true;
        host.Storage.FailReads = true;
        await host.AdvanceAsync(TimeSpan.FromHours(1), waitForNotices: false);

        // a ended and b started in the region; neither row could say so, and the region still holds both notices.
        var gwangju = await host.Region("gwangju").GetAsync();
        Assert.Equal((1, 8, 0), (gwangju.RunningJobs, gwangju.Pools[0].Busy, gwangju.QueuedJobs));
        Assert.Equal(2, host.UndeliveredNotices());

        host.Storage.FailWrites = false;
        host.Storage.FailReads = false;
        await host.NoticesDeliveredAsync();
        Assert.Equal(["Submitted", "Queued", "Started", "Completed"], (await host.Job("a").GetAsync())!.History.Select(e => e.Kind));
        Assert.Equal(["Submitted", "Queued", "Started"], (await host.Job("b").GetAsync())!.History.Select(e => e.Kind));
        await host.AssertAccountingAsync("a", "b");

        await host.AdvanceAsync(TimeSpan.FromHours(1));
        Assert.Equal(JobState.Completed, (await host.Job("b").GetAsync())!.State);
        await host.AssertAccountingAsync("a", "b");
    }

    [Fact]
    public async Task A_ghost_admission_never_runs_and_is_dropped_at_the_confirmation_deadline()
    {
        await using var host = await FederationTestHost.StartAsync(configure: ShortDeadlines);
        await host.SubmitAsync(Job("fill", 8, 1, allowed: ["gwangju"]));

        // An admission whose answer never reached a job (e.g. a timed-out call): no row names it.
        var admitted = await AdmitDirectlyAsync(host, "gwangju", Job("ghost", 8, 5, allowed: ["gwangju"]));
        Assert.Equal(JobState.Queued, admitted.State);

        // Its turn comes when fill ends: it holds the accelerators, unexecuted, until the deadline check reads
        // that no row names it and drops it.
        await host.AdvanceAsync(TimeSpan.FromHours(1));
        Assert.Equal(0, host.Executor.StartsOf("gwangju", "ghost"));
        await host.WaitUntilAsync(async () => (await host.Region("gwangju").GetAsync()).RunningJobs == 0, "the ghost dropped at the deadline");
        var gwangju = await host.Region("gwangju").GetAsync();
        Assert.Equal((0, 0, 0), (gwangju.RunningJobs, gwangju.Pools[0].Busy, gwangju.QueuedJobs));
        await host.NoticesDeliveredAsync();
        Assert.Null(await host.Job("ghost").GetAsync());
        Assert.Equal(0, host.Executor.StartsOf("gwangju", "ghost"));
        Assert.Equal(1, host.Executor.StartsOf("gwangju", "fill"));
        Assert.Empty(host.Executor.WithoutRow);
    }

    [Fact]
    public async Task A_ghost_admission_that_would_start_at_once_never_runs_and_a_committed_job_is_not_disturbed()
    {
        await using var host = await FederationTestHost.StartAsync(configure: ShortDeadlines);

        // The admission started the job at once; its answer was lost, so no job row says so. Before the deadline it
        // holds the accelerators, unexecuted.
        var admitted = await AdmitDirectlyAsync(host, "gwangju", Job("lost", 8, 5, allowed: ["gwangju"]));
        Assert.Equal(JobState.Running, admitted.State);
        Assert.Equal((1, 8), ((await host.Region("gwangju").GetAsync()).RunningJobs, (await host.Region("gwangju").GetAsync()).Pools[0].Busy));
        Assert.Equal(0, host.Executor.StartsOf("gwangju", "lost"));

        await host.WaitUntilAsync(async () => (await host.Region("gwangju").GetAsync()).RunningJobs == 0, "the ghost dropped at the deadline");
        Assert.Equal(0, (await host.Region("gwangju").GetAsync()).Pools[0].Busy);
        Assert.Equal(0, host.Executor.StartsOf("gwangju", "lost"));

        // A job that did get its answer is not disturbed by the echo of its start, nor by the deadline check: a check
        // that ran after its deadline would have passed (it dropped a probe admitted after it) found nothing to do.
        var kept = await host.SubmitAsync(Job("kept", 8, 5, allowed: ["gwangju"]));
        Assert.Equal(JobState.Running, kept.State);
        await DeadlineCheckPassedAsync(host, "gwangju");
        Assert.Equal(8, (await host.Region("gwangju").GetAsync()).Pools[0].Busy);
        Assert.Equal(["Submitted", "Queued", "Started"], (await host.Job("kept").GetAsync())!.History.Select(e => e.Kind));
        Assert.Equal(1, host.Executor.StartsOf("gwangju", "kept"));
        await host.AssertAccountingAsync("kept");
    }

    [Fact]
    public async Task An_admission_never_committed_does_not_run_and_the_job_placed_again_in_the_same_region_runs_once()
    {
        await using var host = await FederationTestHost.StartAsync(configure: ShortDeadlines);
        await host.Region("gwangju").GetAsync();

        // An admission the job never committed (the store is down, the job cannot even be activated) only
        // reserves: it neither runs nor ends, however long it waits for its confirmation (the deadline check cannot
        // read the row either, so it keeps the reservation).
        host.Storage.FailWrites = true;
        host.Storage.FailReads = true;
        await AdmitDirectlyAsync(host, "gwangju", Job("s", 8, 1, allowed: ["gwangju"]));
        await host.AdvanceAsync(TimeSpan.FromHours(1));
        await host.WaitUntilAsync(() => Task.FromResult(host.Storage.RefusedReads > 0), "the deadline check tried to read the row");
        Assert.Empty(host.Executor.Starts);
        Assert.Equal(1, (await host.Region("gwangju").GetAsync()).RunningJobs);

        // The job has the region drop that admission (as a failed write's compensation does), then is placed there again.
        Assert.True(await host.Region("gwangju").StopAsync("s"));
        host.Storage.FailWrites = false;
        host.Storage.FailReads = false;
        var placed = await host.SubmitAsync(Job("s", 8, 1, allowed: ["gwangju"]));
        Assert.Equal(("gwangju", JobState.Running), (placed.Region, placed.State));

        // The old run's notices are forgotten: the new run is not completed by the old end, whatever a retry or a
        // deadline check could still bring.
        await DeadlineCheckPassedAsync(host, "gwangju");
        var job = (await host.Job("s").GetAsync())!;
        Assert.Equal(JobState.Running, job.State);
        Assert.Equal(["Submitted", "Queued", "Started"], job.History.Select(e => e.Kind));
        await host.AssertAccountingAsync("s");
        await host.AdvanceAsync(TimeSpan.FromHours(1));
        Assert.Equal(JobState.Completed, (await host.Job("s").GetAsync())!.State);
        Assert.Equal(1, host.Executor.StartsOf("gwangju", "s"));
    }

    [Fact]
    public async Task A_submission_whose_row_write_fails_never_reaches_the_executor()
    {
        await using var host = await FederationTestHost.StartAsync();
        await host.Region("gwangju").GetAsync();

        // The region admits it to run at once; the row naming the region is never written.
        host.Storage.FailWrites = true;
        await Assert.ThrowsAnyAsync<Exception>(() => host.Job("w").SubmitAsync(Job("w", 8, 1, allowed: ["gwangju"])));
        host.Storage.FailWrites = false;
        Assert.Empty(host.Executor.Starts);
        var gwangju = await host.Region("gwangju").GetAsync();
        Assert.Equal((0, 0), (gwangju.RunningJobs, gwangju.Pools[0].Busy));

        // The client's retry with the same id runs it, once.
        var placed = await host.SubmitAsync(Job("w", 8, 1, allowed: ["gwangju"]));
        Assert.Equal(("gwangju", JobState.Running), (placed.Region, placed.State));
        Assert.Equal(1, host.Executor.StartsOf("gwangju", "w"));
        await host.AdvanceAsync(TimeSpan.FromHours(1));
        Assert.Equal(JobState.Completed, (await host.Job("w").GetAsync())!.State);
        Assert.Single(host.Executor.Starts);
        await host.AssertAccountingAsync("w");
    }

    [Fact]
    public async Task A_normal_submission_runs_once_whether_it_starts_at_once_or_from_the_queue()
    {
        await using var host = await FederationTestHost.StartAsync();
        await host.SubmitAsync(Job("a", 8, 1, allowed: ["gwangju"]));
        var b = await host.SubmitAsync(Job("b", 8, 1, allowed: ["gwangju"]));
        Assert.Equal(JobState.Queued, b.State);
        Assert.Equal((1, 0), (host.Executor.StartsOf("gwangju", "a"), host.Executor.StartsOf("gwangju", "b")));

        await host.AdvanceAsync(TimeSpan.FromHours(1));
        Assert.Equal(JobState.Running, (await host.Job("b").GetAsync())!.State);
        await host.AdvanceAsync(TimeSpan.FromHours(1));
        Assert.Equal((JobState.Completed, JobState.Completed), ((await host.Job("a").GetAsync())!.State, (await host.Job("b").GetAsync())!.State));
        Assert.Equal((1, 1, 2), (host.Executor.StartsOf("gwangju", "a"), host.Executor.StartsOf("gwangju", "b"), host.Executor.Starts.Count));
        await host.AssertAccountingAsync("a", "b");
    }

    [Fact]
    public async Task A_lost_confirmation_is_resolved_at_the_deadline_by_a_row_that_names_the_region_and_the_job_runs_once()
    {
        await using var host = await FederationTestHost.StartAsync(configure: ShortDeadlines);
        await host.Region("gwangju").GetAsync();
        var request = Job("lost", 8, 1, allowed: ["gwangju"]);
        var admitted = await AdmitDirectlyAsync(host, "gwangju", request);
        Assert.Equal(JobState.Running, admitted.State);

        // The job's row committed (Running in gwangju), but its confirmation never reached the region.
        await WriteRowAsync(host, request, JobState.Running, "gwangju");

        // Before the deadline the region waits; after it, it reads the row and runs the job.
        Assert.Empty(host.Executor.Starts);
        await host.WaitUntilAsync(() => Task.FromResult(host.Executor.StartsOf("gwangju", "lost") == 1), "the job run once the deadline check read its row");

        await host.AdvanceAsync(TimeSpan.FromHours(1));
        Assert.Equal(JobState.Completed, (await host.Job("lost").GetAsync())!.State);
        Assert.Single(host.Executor.Starts);
        await host.AssertAccountingAsync("lost");
    }

    [Fact]
    public async Task A_start_answered_at_admission_but_never_committed_reaches_the_row_as_a_start_notice()
    {
        // Found by the PostgreSQL restart crash test: a region answered an admission "started", the job could not
        // commit that start (a move whose target refused put the job back in its region, which started it at once,
        // and the write of that start failed during the outage: the row stayed Queued there), and the row later
        // completed with no start in its history.
        await using var host = await FederationTestHost.StartAsync(configure: ShortDeadlines);
        await host.Region("gwangju").GetAsync();
        var request = Job("unsaid", 8, 1, allowed: ["gwangju"]);
        var admitted = await AdmitDirectlyAsync(host, "gwangju", request);
        Assert.Equal(JobState.Running, admitted.State);
        await WriteRowAsync(host, request, JobState.Queued, "gwangju");
        Assert.Empty(host.Executor.Starts);

        // The deadline check finds the row naming the region, queued: the region runs the job and tells it it started.
        await host.WaitUntilAsync(async () => (await host.Job("unsaid").GetAsync())!.State == JobState.Running, "the start notice committed");
        await host.NoticesDeliveredAsync();
        Assert.Equal(1, host.Executor.StartsOf("gwangju", "unsaid"));
        await host.AssertAccountingAsync("unsaid");

        await host.AdvanceAsync(TimeSpan.FromHours(1));
        Assert.Equal(JobState.Completed, (await host.Job("unsaid").GetAsync())!.State);
        Assert.Equal(["Submitted", "Queued", "Started", "Completed"], (await host.Job("unsaid").GetAsync())!.History.Select(e => e.Kind));
    }

    [Fact]
    public async Task A_confirmation_of_a_queued_row_for_a_job_the_region_started_at_once_brings_a_start_notice()
    {
        // The same through the confirmation itself: the committed row the job confirms says Queued.
        await using var host = await FederationTestHost.StartAsync();
        await host.Region("gwangju").GetAsync();
        var request = Job("late", 8, 1, allowed: ["gwangju"]);
        var admitted = await AdmitDirectlyAsync(host, "gwangju", request);
        Assert.Equal(JobState.Running, admitted.State);
        await WriteRowAsync(host, request, JobState.Queued, "gwangju");
        await host.Region("gwangju").ConfirmAsync("late", started: false);

        await host.NoticesDeliveredAsync();
        Assert.Equal(JobState.Running, (await host.Job("late").GetAsync())!.State);
        Assert.Equal(1, host.Executor.StartsOf("gwangju", "late"));
        Assert.Equal(["Submitted", "Queued", "Started"], (await host.Job("late").GetAsync())!.History.Select(e => e.Kind));
        await host.AssertAccountingAsync("late");
    }

    [Fact]
    public async Task A_lost_confirmation_whose_row_names_another_region_is_dropped_at_the_deadline_without_running()
    {
        await using var host = await FederationTestHost.StartAsync(configure: ShortDeadlines);
        var elsewhere = await host.SubmitAsync(Job("x", 4, 1, home: "suncheon"));
        Assert.Equal(("suncheon", JobState.Running), (elsewhere.Region, elsewhere.State));

        // An earlier attempt's admission in gwangju whose answer was lost (the job was then placed in suncheon).
        var admitted = await AdmitDirectlyAsync(host, "gwangju", Job("x", 4, 1, home: "suncheon"));
        Assert.Equal(JobState.Running, admitted.State);
        Assert.Equal(4, (await host.Region("gwangju").GetAsync()).Pools[0].Busy);

        await host.WaitUntilAsync(async () => (await host.Region("gwangju").GetAsync()).RunningJobs == 0, "the admission dropped at the deadline");
        Assert.Equal(0, (await host.Region("gwangju").GetAsync()).Pools[0].Busy);
        Assert.Equal((0, 1), (host.Executor.StartsOf("gwangju", "x"), host.Executor.StartsOf("suncheon", "x")));

        // The region's release notice finds the job elsewhere and changes nothing.
        await host.NoticesDeliveredAsync();
        var x = (await host.Job("x").GetAsync())!;
        Assert.Equal(("suncheon", JobState.Running), (x.Region, x.State));
        Assert.Equal(["Submitted", "Queued", "Started"], x.History.Select(e => e.Kind));
        await host.AssertAccountingAsync("x");
    }

    [Fact]
    public async Task A_ghost_in_a_queue_is_withdrawn_when_the_rebalancer_tries_to_move_it()
    {
        await using var host = await FederationTestHost.StartAsync();
        await host.SubmitAsync(Job("fill", 8, 10, allowed: ["gwangju"]));
        await host.SubmitAsync(Job("real", 4, 1, home: "suncheon"));
        await AdmitDirectlyAsync(host, "gwangju", Job("real", 4, 1, home: "suncheon"));
        Assert.Equal(1, (await host.Region("gwangju").GetAsync()).QueuedJobs);

        // The rebalancer saw "real" queued in gwangju; its row says suncheon. The move is refused and the ghost goes.
        Assert.False(await host.Job("real").TryMoveAsync("gwangju", "daegu", "test"));
        Assert.Equal(0, (await host.Region("gwangju").GetAsync()).QueuedJobs);
        var real = (await host.Job("real").GetAsync())!;
        Assert.Equal(("suncheon", JobState.Running), (real.Region, real.State));
        await host.AssertAccountingAsync("fill", "real");
    }

    [Fact]
    public async Task A_move_whose_write_fails_puts_the_job_back_where_its_row_names_it()
    {
        await using var host = await FederationTestHost.StartAsync();
        await host.SubmitAsync(Job("fill", 8, 10, allowed: ["gwangju"]));
        await host.SubmitAsync(Job("fill2", 8, 10, allowed: ["suncheon"], home: "suncheon"));
        await host.SubmitAsync(Job("fill3", 4, 10, allowed: ["daegu"], home: "daegu"));
        var m = await host.SubmitAsync(Job("m", 4, 1));
        Assert.Equal(("gwangju", JobState.Queued), (m.Region, m.State));

        host.Storage.FailWrites = true;
        await Assert.ThrowsAnyAsync<Exception>(() => host.Job("m").TryMoveAsync("gwangju", "daegu", "test"));
        host.Storage.FailWrites = false;

        var back = (await host.Job("m").GetAsync())!;
        Assert.Equal(("gwangju", JobState.Queued), (back.Region, back.State));
        Assert.Equal(0, (await host.Region("daegu").GetAsync()).QueuedJobs);
        await host.AssertAccountingAsync("fill", "fill2", "fill3", "m");

        // The row and the region agree: the move works once the store does.
        Assert.True(await host.Job("m").TryMoveAsync("gwangju", "daegu", "test"));
        await host.AssertAccountingAsync("fill", "fill2", "fill3", "m");
    }

    [Fact]
    public async Task A_running_row_that_no_longer_fits_after_a_restart_keeps_running_and_never_runs_twice()
    {
        var storage = new CountingStorage();
        var execution = new ManualTimeProvider();
        await using (var first = await FederationTestHost.StartAsync(storage, execution, ShortDeadlines))
        {
            await first.SubmitAsync(Job("a", 8, 1, allowed: ["gwangju"]));
            await first.SubmitAsync(Job("b", 8, 1, allowed: ["gwangju"]));

            // a's end is never committed (its row stays Running) while b's start is: two running rows, 16 on 8 H100.
            storage.FailWritesOf = id => id.Key.ToString() == "a";
            await first.AdvanceAsync(TimeSpan.FromMinutes(30));
            await first.AdvanceAsync(TimeSpan.FromMinutes(30), waitForNotices: false);
            await first.WaitUntilAsync(async () => (await first.Job("b").GetAsync())!.State == JobState.Running, "b's start committed");
            Assert.Equal(JobState.Running, (await first.Job("a").GetAsync())!.State);
        }

        storage.FailWritesOf = null;
        await using var second = await FederationTestHost.StartAsync(storage, execution, ShortDeadlines);
        var gwangju = await second.Region("gwangju").GetAsync();

        // Both are re-attached (the pool over-committed, 16 busy of 8, as the rows say): a ends at once (its end has
        // passed), b runs on from its start. Releasing b would have run it a second time.
        Assert.Equal((2, 16), (gwangju.RunningJobs, gwangju.Pools[0].Busy));
        await second.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(JobState.Completed, (await second.Job("a").GetAsync())!.State);
        await second.AssertAccountingAsync("a", "b");
        var started = (await second.Job("b").GetAsync())!.StartedAt!.Value;
        await second.AdvanceAsync(started + TimeSpan.FromHours(1) - second.Clock.Now);

        var b = (await second.Job("b").GetAsync())!;
        Assert.Equal(JobState.Completed, b.State);
        Assert.Equal(["Submitted", "Queued", "Started", "Completed"], b.History.Select(e => e.Kind));
        Assert.Equal(started + TimeSpan.FromHours(1), b.EndedAt);
        await second.AssertAccountingAsync("a", "b");
    }

    [Fact]
    public async Task A_region_holding_a_job_its_row_places_elsewhere_asks_to_start_it_is_refused_and_never_runs_it()
    {
        // Found by the cluster chaos test: a region activation left on a hung silo that resumed held a queue the jobs had
        // moved on from, and started one that had completed elsewhere. A region now runs a job only on the job's answer.
        await using var host = await FederationTestHost.StartAsync(configure: ShortDeadlines);
        var request = Job("moved", 8, 1, allowed: ["gwangju", "suncheon"]);
        await WriteRowAsync(host, request, JobState.Queued, "suncheon");
        var admitted = await AdmitDirectlyAsync(host, "gwangju", request);
        Assert.Equal(JobState.Running, admitted.State);

        // Confirmed as if its row had named gwangju (a stale activation holds it confirmed): the region asks the job.
        await host.Region("gwangju").ConfirmAsync("moved", started: false);
        await host.NoticesDeliveredAsync();

        Assert.Equal(0, host.Executor.StartsOf("gwangju", "moved"));
        var gwangju = await host.Region("gwangju").GetAsync();
        Assert.Equal((0, 0, 0), (gwangju.RunningJobs, gwangju.Pools[0].Busy, gwangju.QueuedJobs));
        var job = (await host.Job("moved").GetAsync())!;
        Assert.Equal((JobState.Queued, "suncheon"), (job.State, job.Region));
        Assert.Equal(["Submitted", "Queued"], job.History.Select(e => e.Kind));
    }

    [Fact]
    public async Task The_end_of_an_earlier_run_in_a_region_never_ends_a_later_admission_there()
    {
        // Found by the cluster chaos test ("Completed without a start"): a job released by a region and placed there again
        // took the end of its earlier run there, still on its way, for the end of the new admission.
        await using var host = await FederationTestHost.StartAsync();
        var request = Job("again", 8, 1, allowed: ["gwangju"]);
        await WriteRowAsync(host, request, JobState.Queued, "gwangju");
        var earlier = host.Clock.Now - TimeSpan.FromMinutes(10);
        var end = new RunEnd { Outcome = JobState.Completed, At = host.Clock.Now, Message = "ran", StartedAt = earlier };

        // Queued: no run of this admission has started, so no end is its.
        await host.Job("again").OnFinishedAsync("gwangju", end);
        Assert.Equal(JobState.Queued, (await host.Job("again").GetAsync())!.State);

        // Running since now (the region asked, the job committed): an end of the run that started ten minutes ago is not
        // its; its own run's end is.
        var now = host.Clock.Now;
        Assert.Equal(now, await host.Job("again").OnStartedAsync("gwangju", now, "H100"));
        await host.Job("again").OnFinishedAsync("gwangju", end);
        Assert.Equal(JobState.Running, (await host.Job("again").GetAsync())!.State);
        await host.Job("again").OnFinishedAsync("gwangju", end with { StartedAt = now });
        var job = (await host.Job("again").GetAsync())!;
        Assert.Equal(JobState.Completed, job.State);
        Assert.Equal(["Submitted", "Queued", "Started", "Completed"], job.History.Select(e => e.Kind));
    }

    [Fact]
    public async Task A_row_committed_after_the_region_read_its_rows_is_held_on_its_confirmation_and_runs_once()
    {
        // An activation of the region that is gone (its silo died, or it moved home) admitted the job; the job committed
        // its row after this activation had read the rows, and confirms to this one.
        await using var host = await FederationTestHost.StartAsync(configure: ShortDeadlines);
        await host.Region("gwangju").GetAsync();
        var request = Job("orphan", 8, 1, allowed: ["gwangju"]);
        await WriteRowAsync(host, request, JobState.Queued, "gwangju");

        await host.Region("gwangju").ConfirmAsync("orphan", started: false);
        await host.NoticesDeliveredAsync();
        var job = (await host.Job("orphan").GetAsync())!;
        Assert.Equal((JobState.Running, "gwangju"), (job.State, job.Region));
        Assert.Equal(1, host.Executor.StartsOf("gwangju", "orphan"));
        await host.AssertAccountingAsync("orphan");

        await host.AdvanceAsync(TimeSpan.FromHours(1));
        Assert.Equal(JobState.Completed, (await host.Job("orphan").GetAsync())!.State);
        Assert.Equal(1, host.Executor.StartsOf("gwangju", "orphan"));
    }

    [Fact]
    public async Task A_row_naming_the_region_that_it_does_not_hold_and_nobody_confirms_is_held_by_the_periodic_row_check()
    {
        await using var host = await FederationTestHost.StartAsync(configure: o =>
        {
            ShortDeadlines(o);
            o.RowCheckPeriod = TimeSpan.FromMilliseconds(100);
        });
        await host.Region("gwangju").GetAsync();
        var request = Job("unheld", 8, 1, allowed: ["gwangju"]);
        await WriteRowAsync(host, request, JobState.Running, "gwangju");

        // Two checks find it unchanged: the region holds it and, on the job's answer, re-attaches its run.
        await host.WaitUntilAsync(() => Task.FromResult(host.Executor.StartsOf("gwangju", "unheld") == 1), "the row held and its run re-attached");
        await host.AssertAccountingAsync("unheld");
        await host.AdvanceAsync(TimeSpan.FromHours(1));
        var job = (await host.Job("unheld").GetAsync())!;
        Assert.Equal(JobState.Completed, job.State);
        Assert.Equal(["Submitted", "Queued", "Started", "Completed"], job.History.Select(e => e.Kind));
    }

    /// <summary>Writes a job row as the job would have committed it (placed and, when Running, started in <paramref name="region"/>).</summary>
    private static async Task WriteRowAsync(FederationTestHost host, JobRequest request, JobState state, string region)
    {
        var now = host.Clock.Now;
        var record = new JobRecord { Request = request, State = state, Region = region, SubmittedAt = now, QueuedAt = now, DataReadyAt = now, StartedAt = state == JobState.Running ? now : null };
        record.AddEvent(now, JobEventKinds.Submitted, null, "submitted");
        record.AddEvent(now, JobEventKinds.Queued, region, $"queued in {region}");
        if (state == JobState.Running)
        {
            record.AddEvent(now, JobEventKinds.Started, region, $"started in {region}");
        }

        await host.Storage.WriteStateAsync(JobRecord.StateName, GrainId.Create(JobRecord.GrainTypeName, request.Id!), new GrainState<JobRecord>(record));
    }

    /// <summary>An admission made straight to a region, as a job's call would (no row written): ghosts, lost answers.</summary>
    private static async Task<AdmitResult> AdmitDirectlyAsync(FederationTestHost host, string region, JobRequest request) =>
        await host.Region(region).TryAdmitAsync(new AdmitRequest { JobId = request.Id!, Job = request, SubmittedAt = host.Clock.Now, DataReadyAt = host.Clock.Now });

    /// <summary>
    /// Waits until a confirmation-deadline check of <paramref name="region"/> has run past the deadline of everything
    /// admitted before this call, and every notice it sent is delivered: a probe admitted now, which no row names and
    /// which waits in the queue, is dropped by the first check past its own deadline.
    /// </summary>
    private static async Task DeadlineCheckPassedAsync(FederationTestHost host, string region)
    {
        var queued = (await host.Region(region).GetAsync()).QueuedJobs;
        var probe = await AdmitDirectlyAsync(host, region, Job("probe", 1, 1, allowed: [region]));
        Assert.Equal(JobState.Queued, probe.State);
        await host.WaitUntilAsync(async () => (await host.Region(region).GetAsync()).QueuedJobs == queued, "the probe dropped at its deadline");
        await host.NoticesDeliveredAsync();
    }
}

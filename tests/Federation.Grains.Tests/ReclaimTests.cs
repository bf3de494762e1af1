using Federation.Contracts;
using Federation.Grains.Hosting;
using Federation.Grains.Tests.Support;
using Federation.Scheduling;
using Federation.TestKit;
using static Federation.Grains.Tests.Support.TestMegaregion;

namespace Federation.Grains.Tests;

/// <summary>
/// Reclaim (issue 16) in the region grain: suncheon lends its 8 H100 to a gwangju job while gwangju is full, then one of
/// suncheon's own jobs needs all 8. With reclaim on and a preemptible offer (60 s grace) the lent job records the reclaim
/// in its row; without a checkpoint signal it runs to the end of its grace period and is stopped, with one
/// (<c>run.checkpointSignal</c>) it gets the signal, checkpoints and ends at once; either way it is preempted, placed again
/// (back home, behind gwangju's own job), and runs to completion there: once per admission, charged for what ran in each.
/// </summary>
public sealed class ReclaimTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(60);

    /// <summary>The test megaregion with suncheon's offer (8 H100, open-ended) preemptible or not, 60 s of grace.</summary>
    private static Megaregion SuncheonLends(bool preemptible)
    {
        var model = Create();
        var i = model.IndexOf("suncheon");
        var suncheon = model.Regions[i];
        var offer = suncheon.Offer with { Preemptible = preemptible, ReclaimGraceS = Grace.TotalSeconds };
        return new Megaregion(model.Regions.SetItem(i, suncheon with { Offer = offer }), model.Links);
    }

    private static void ReclaimOn(FederationGrainsOptions o) => o.Reclaim = true;

    /// <summary>
    /// gwangju's own job fills gwangju for 3 h; a 4-H100, 2 h gwangju job is lent suncheon's accelerators (it starts
    /// there at once); then suncheon's own 8-H100, 1 h job arrives. Returns when the three are submitted (now = t0).
    /// </summary>
    private static async Task SubmitLendAndNeedAsync(FederationTestHost host)
    {
        await host.SubmitAsync(Job("own-gwangju", 8, 3, allowed: ["gwangju"]));
        var lent = await host.SubmitAsync(Job("lent", 4, 2, allowed: ["gwangju", "suncheon"]));
        Assert.Equal((JobState.Running, "suncheon"), (lent.State, lent.Region));
        await host.SubmitAsync(Job("own-suncheon", 8, 1, home: "suncheon", allowed: ["suncheon"]));
        await host.NoticesDeliveredAsync();
    }

    /// <summary>Accelerator-hours from a job's history: every stretch from a start to its preemption or end.</summary>
    private static double HoursRun(JobSnapshot job)
    {
        var hours = 0.0;
        DateTimeOffset? start = null;
        foreach (var e in job.History)
        {
            if (e.Kind == JobEventKinds.Started)
            {
                start = e.At;
            }
            else if (start is { } s && e.Kind is JobEventKinds.Preempted or JobEventKinds.Completed or JobEventKinds.Failed or JobEventKinds.Cancelled)
            {
                hours += (e.At - s).TotalHours * job.Request.Accelerators.Count;
                start = null;
            }
        }

        return hours;
    }

    /// <summary>The project's usage equals the stretches the job rows record, and is what the scenario ran.</summary>
    private static async Task AssertUsageAsync(FederationTestHost host, double expectedHours, params string[] jobIds)
    {
        await host.FlushStatisticsAsync();
        var fromRows = 0.0;
        foreach (var id in jobIds)
        {
            fromRows += HoursRun((await host.Job(id).GetAsync())!);
        }

        Assert.Equal(expectedHours, fromRows, 9);
        Assert.Equal(expectedHours, (await host.Project("p1").GetAsync()).UsedAcceleratorHours, 9);
    }

    [Fact]
    public async Task A_lent_job_is_signalled_stopped_after_its_grace_period_requeued_and_run_once_more_to_completion()
    {
        await using var host = await FederationTestHost.StartAsync(configure: ReclaimOn, megaregion: SuncheonLends(preemptible: true));
        var t0 = host.Clock.Now;
        await SubmitLendAndNeedAsync(host);

        // The reclaim is recorded in the job's row; the job asked for no checkpoint signal, so none goes, and nothing is
        // stopped before the grace period is over.
        Assert.Empty(host.Executor.Signals);
        var reclaiming = Assert.Single((await host.Job("lent").GetAsync())!.History, e => e.Kind == JobEventKinds.Reclaiming);
        Assert.Equal((t0, "suncheon"), (reclaiming.At, reclaiming.Region));
        Assert.Equal(
            $"suncheon takes back the accelerators it lent to this job for its own job own-suncheon: no checkpoint signal (the job asked for none), stopped at {t0 + Grace:u} (60 s grace) unless it ends first",
            reclaiming.Message);
        await host.AdvanceAsync(Grace - TimeSpan.FromSeconds(1));
        Assert.Equal(0, host.Executor.StopsOf("suncheon", "lent"));
        Assert.Equal((JobState.Running, "suncheon"), ((await host.Job("lent").GetAsync())!.State, (await host.Job("lent").GetAsync())!.Region));
        Assert.Equal(JobState.Queued, (await host.Job("own-suncheon").GetAsync())!.State);
        await host.AssertAccountingAsync("own-gwangju", "lent", "own-suncheon");

        // The grace period is over: the lent job is stopped, suncheon's own job starts on its accelerators, and the lent job
        // is placed again (back home, behind gwangju's own job).
        await host.AdvanceAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(1, host.Executor.StopsOf("suncheon", "lent"));
        var own = (await host.Job("own-suncheon").GetAsync())!;
        Assert.Equal((JobState.Running, t0 + Grace), (own.State, own.StartedAt));
        var lent = (await host.Job("lent").GetAsync())!;
        Assert.Equal((JobState.Queued, "gwangju"), (lent.State, lent.Region));
        var preempted = Assert.Single(lent.History, e => e.Kind == JobEventKinds.Preempted);
        Assert.Equal((t0 + Grace, "suncheon"), (preempted.At, preempted.Region));
        Assert.Equal(
            $"preempted in suncheon after 0.017 h: suncheon took back the 4 H100 it lent to this job for its own job own-suncheon; charged 0.067 accelerator-hours for this run; no checkpoint signal, stopped at the end of its grace period at {t0 + Grace:u}; placed again",
            preempted.Message);
        Assert.Equal(1, (await host.Region("suncheon").GetAsync()).Preemptions);
        await host.AssertAccountingAsync("own-gwangju", "lent", "own-suncheon");

        // gwangju's own job ends at 3 h; the lent job then runs its 2 h there.
        await host.AdvanceAsync(t0 + TimeSpan.FromHours(3) - host.Clock.Now);
        Assert.Equal((JobState.Running, t0 + TimeSpan.FromHours(3)), ((await host.Job("lent").GetAsync())!.State, (await host.Job("lent").GetAsync())!.StartedAt));
        await host.AdvanceAsync(TimeSpan.FromHours(2));
        lent = (await host.Job("lent").GetAsync())!;
        Assert.Equal((JobState.Completed, "gwangju"), (lent.State, lent.Region));
        Assert.Equal(
            [JobEventKinds.Submitted, JobEventKinds.Overflowed, JobEventKinds.Started, JobEventKinds.Reclaiming, JobEventKinds.Preempted, JobEventKinds.Requeued, JobEventKinds.Started, JobEventKinds.Completed],
            lent.History.Select(e => e.Kind));
        Assert.Equal((t0 + TimeSpan.FromHours(3), t0 + TimeSpan.FromHours(5)), (lent.StartedAt, lent.EndedAt));
        Assert.Equal(JobState.Completed, (await host.Job("own-suncheon").GetAsync())!.State);

        // Run once per admission, never twice, never without a row naming the region.
        Assert.Equal(1, host.Executor.StartsOf("suncheon", "lent"));
        Assert.Equal(1, host.Executor.StartsOf("gwangju", "lent"));
        Assert.Empty(host.Executor.Signals);
        await host.AssertAccountingAsync("own-gwangju", "lent", "own-suncheon");

        // Charged for what ran: 4 H100 for the 60 s in suncheon and the 2 h in gwangju, plus the two own jobs.
        await AssertUsageAsync(host, (4 * 60.0 / 3600) + (4 * 2) + (8 * 3) + (8 * 1), "own-gwangju", "lent", "own-suncheon");
    }

    [Fact]
    public async Task A_restart_during_the_grace_period_keeps_the_original_reclaim_time_and_preempts_once()
    {
        // The job rows (with the reclaim recorded) survive in the shared store, the region's settings (with its count of
        // preemptions) in SQLite under one service id.
        var storage = new CountingStorage();
        using var file = new TempSqliteFile();
        var serviceId = Guid.NewGuid().ToString("N");
        var execution = new ManualTimeProvider();
        var model = SuncheonLends(preemptible: true);
        DateTimeOffset t0;
        await using (var first = await FederationTestHost.StartAsync(storage, execution, ReclaimOn, model, sqliteFile: file.Path, serviceId: serviceId))
        {
            t0 = first.Clock.Now;
            await SubmitLendAndNeedAsync(first);
            await first.AdvanceAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, first.Executor.StopsOf("suncheon", "lent"));
            Assert.Single((await first.Job("lent").GetAsync())!.History, e => e.Kind == JobEventKinds.Reclaiming);
        }

        // The rebuilt suncheon re-attaches the lent job's run and reads the reclaim from its row: the original reclaim time
        // (t0 + 60 s) holds, not a new grace period from the rebuild, and nothing new is decided or recorded.
        await using (var second = await FederationTestHost.StartAsync(storage, execution, ReclaimOn, model, sqliteFile: file.Path, serviceId: serviceId))
        {
            foreach (var region in RegionIds)
            {
                await second.Region(region).GetAsync();
            }

            await second.NoticesDeliveredAsync();
            var restartedAt = t0 + TimeSpan.FromSeconds(30);
            Assert.Equal(restartedAt, second.Clock.Now);
            Assert.Empty(second.Executor.Signals);
            var reattached = Assert.Single(second.Executor.Starts, s => s.Job == "lent");
            Assert.Equal(("suncheon", t0), (reattached.Region, reattached.StartedAt));

            await second.AdvanceAsync(TimeSpan.FromSeconds(29));
            Assert.Equal(0, second.Executor.StopsOf("suncheon", "lent"));
            Assert.Equal(JobState.Running, (await second.Job("lent").GetAsync())!.State);

            await second.AdvanceAsync(TimeSpan.FromSeconds(1));
            Assert.Equal(t0 + Grace, second.Clock.Now);
            Assert.Equal(1, second.Executor.StopsOf("suncheon", "lent"));
            var lent = (await second.Job("lent").GetAsync())!;
            Assert.Equal((JobState.Queued, "gwangju"), (lent.State, lent.Region));
            Assert.Equal((JobState.Running, t0 + Grace), ((await second.Job("own-suncheon").GetAsync())!.State, (await second.Job("own-suncheon").GetAsync())!.StartedAt));
            await second.AssertAccountingAsync("own-gwangju", "lent", "own-suncheon");

            await second.AdvanceAsync(t0 + TimeSpan.FromHours(3) - second.Clock.Now);
            await second.AdvanceAsync(TimeSpan.FromHours(2));
            lent = (await second.Job("lent").GetAsync())!;
            Assert.Equal(JobState.Completed, lent.State);
            Assert.Equal(
                [JobEventKinds.Submitted, JobEventKinds.Overflowed, JobEventKinds.Started, JobEventKinds.Reclaiming, JobEventKinds.Preempted, JobEventKinds.Requeued, JobEventKinds.Started, JobEventKinds.Completed],
                lent.History.Select(e => e.Kind));
            Assert.Equal(t0 + Grace, lent.History.Single(e => e.Kind == JobEventKinds.Preempted).At);

            // One run in suncheon (re-attached once, same start), one in gwangju; one preemption, counted by suncheon.
            Assert.Equal([t0], second.Executor.Starts.Where(s => s.Job == "lent" && s.Region == "suncheon").Select(s => s.StartedAt));
            Assert.Equal(1, second.Executor.StartsOf("gwangju", "lent"));
            Assert.Equal(1, (await second.Region("suncheon").GetAsync()).Preemptions);
            await second.AssertAccountingAsync("own-gwangju", "lent", "own-suncheon");

            // Charged for the 60 s it ran in suncheon and the 2 h in gwangju (the project's counts of the first cluster were
            // in memory: every charge came after the restart).
            await AssertUsageAsync(second, (4 * 60.0 / 3600) + (4 * 2) + (8 * 3) + (8 * 1), "own-gwangju", "lent", "own-suncheon");
        }

        // The count of preemptions is the region's, stored with its settings: a third cluster's suncheon still says 1.
        await using var third = await FederationTestHost.StartAsync(storage, execution, ReclaimOn, model, sqliteFile: file.Path, serviceId: serviceId);
        Assert.Equal(1, (await third.Region("suncheon").GetAsync()).Preemptions);
        Assert.Equal(0, (await third.Region("gwangju").GetAsync()).Preemptions);
    }

    [Fact]
    public async Task A_lent_job_with_a_checkpoint_signal_gets_it_checkpoints_and_ends_and_is_preempted_not_completed()
    {
        await using var host = await FederationTestHost.StartAsync(configure: ReclaimOn, megaregion: SuncheonLends(preemptible: true));
        var t0 = host.Clock.Now;
        await host.SubmitAsync(Job("own-gwangju", 8, 3, allowed: ["gwangju"]));
        var submitted = await host.SubmitAsync(Job("lent", 4, 2, allowed: ["gwangju", "suncheon"]) with
        {
            Run = new JobRun { Script = "#!/bin/bash\ntrap 'save; exit 0' USR1\ntrain\n", CheckpointSignal = "USR1" },
        });
        Assert.Equal((JobState.Running, "suncheon"), (submitted.State, submitted.Region));

        // Ten minutes in, suncheon's own job needs the 8 H100: the reclaim is recorded, then the signal goes.
        await host.AdvanceAsync(TimeSpan.FromMinutes(10));
        var signalledAt = t0 + TimeSpan.FromMinutes(10);
        await host.SubmitAsync(Job("own-suncheon", 8, 1, home: "suncheon", allowed: ["suncheon"]));
        await host.NoticesDeliveredAsync();
        Assert.Equal([new PreemptionSignal("suncheon", "lent", Grace, true)], host.Executor.Signals);

        // The simulated script checkpoints and exits at the signal: a preemption (not a completion) at once, and
        // suncheon's own job starts then, not at the end of the grace period. Nothing had to be stopped.
        await host.AdvanceAsync(TimeSpan.Zero);
        var lent = (await host.Job("lent").GetAsync())!;
        Assert.Equal((JobState.Queued, "gwangju"), (lent.State, lent.Region));
        Assert.Equal(
            [JobEventKinds.Submitted, JobEventKinds.Overflowed, JobEventKinds.Started, JobEventKinds.Reclaiming, JobEventKinds.Preempted, JobEventKinds.Requeued],
            lent.History.Select(e => e.Kind));
        Assert.Equal(
            $"suncheon takes back the accelerators it lent to this job for its own job own-suncheon: checkpoint signal USR1 now, stopped at {signalledAt + Grace:u} (60 s grace) unless it ends first",
            lent.History.Single(e => e.Kind == JobEventKinds.Reclaiming).Message);
        var preempted = lent.History.Single(e => e.Kind == JobEventKinds.Preempted);
        Assert.Equal((signalledAt, "suncheon"), (preempted.At, preempted.Region));
        Assert.Equal(
            $"preempted in suncheon after 0.167 h: suncheon took back the 4 H100 it lent to this job for its own job own-suncheon; charged 0.667 accelerator-hours for this run; checkpoint signal USR1 at {signalledAt:u}, checkpointed and ended at {signalledAt:u} (before its reclaim time {signalledAt + Grace:u}: checkpointed on USR1 and exited after 0.167 h (simulated executor)); placed again",
            preempted.Message);
        Assert.Equal((JobState.Running, signalledAt), ((await host.Job("own-suncheon").GetAsync())!.State, (await host.Job("own-suncheon").GetAsync())!.StartedAt));
        Assert.Equal(0, host.Executor.StopsOf("suncheon", "lent"));
        Assert.Equal(1, (await host.Region("suncheon").GetAsync()).Preemptions);
        await host.AssertAccountingAsync("own-gwangju", "lent", "own-suncheon");

        // The reclaim time passes with nothing left to do; the job runs its 2 h in gwangju once gwangju's own job ends.
        await host.AdvanceAsync(Grace);
        Assert.Equal(0, host.Executor.StopsOf("suncheon", "lent"));
        await host.AdvanceAsync(t0 + TimeSpan.FromHours(3) - host.Clock.Now);
        await host.AdvanceAsync(TimeSpan.FromHours(2));
        lent = (await host.Job("lent").GetAsync())!;
        Assert.Equal((JobState.Completed, "gwangju", t0 + TimeSpan.FromHours(3), t0 + TimeSpan.FromHours(5)), (lent.State, lent.Region, lent.StartedAt, lent.EndedAt));
        Assert.Equal(1, host.Executor.StartsOf("suncheon", "lent"));
        Assert.Equal(1, host.Executor.StartsOf("gwangju", "lent"));
        Assert.Single(host.Executor.Signals);
        Assert.Equal(1, (await host.Region("suncheon").GetAsync()).Preemptions);
        await host.AssertAccountingAsync("own-gwangju", "lent", "own-suncheon");
        await AssertUsageAsync(host, (4 * 10.0 / 60) + (4 * 2) + (8 * 3) + (8 * 1), "own-gwangju", "lent", "own-suncheon");
    }

    [Fact]
    public async Task A_lent_job_that_fails_after_its_checkpoint_signal_is_preempted_and_the_history_says_it_did_not_exit_cleanly()
    {
        await using var host = await FederationTestHost.StartAsync(configure: ReclaimOn, megaregion: SuncheonLends(preemptible: true));
        var t0 = host.Clock.Now;
        await host.SubmitAsync(Job("own-gwangju", 8, 3, allowed: ["gwangju"]));
        await host.SubmitAsync(Job("lent", 4, 2, allowed: ["gwangju", "suncheon"]) with
        {
            Run = new JobRun { Script = "#!/bin/bash\ntrain\n", CheckpointSignal = "TERM" },
        });
        await host.SubmitAsync(Job("own-suncheon", 8, 1, home: "suncheon", allowed: ["suncheon"]));
        await host.NoticesDeliveredAsync();
        Assert.Equal([new PreemptionSignal("suncheon", "lent", Grace, true)], host.Executor.Signals);

        // The script died of the signal (as a backend reports a run killed before its trap was set), before the
        // simulated checkpoint's end: still a preemption, and the history says the checkpoint may be incomplete.
        var end = new RunEnd { Outcome = JobState.Failed, At = t0, Message = "killed by TERM", ExitCode = 143, StartedAt = t0 };
        await host.Region("suncheon").OnExecutionEndedAsync("lent", end);
        await host.AdvanceAsync(TimeSpan.Zero);
        var lent = (await host.Job("lent").GetAsync())!;
        Assert.Equal((JobState.Queued, "gwangju"), (lent.State, lent.Region));
        Assert.Equal(
            [JobEventKinds.Submitted, JobEventKinds.Overflowed, JobEventKinds.Started, JobEventKinds.Reclaiming, JobEventKinds.Preempted, JobEventKinds.Requeued],
            lent.History.Select(e => e.Kind));
        Assert.Equal(
            $"preempted in suncheon after 0 h: suncheon took back the 4 H100 it lent to this job for its own job own-suncheon; charged 0 accelerator-hours for this run; checkpoint signal TERM at {t0:u}, ended at {t0:u} without a clean exit (before its reclaim time {t0 + Grace:u}: killed by TERM); its checkpoint may be incomplete; placed again",
            lent.History.Single(e => e.Kind == JobEventKinds.Preempted).Message);
        Assert.Equal((JobState.Running, t0), ((await host.Job("own-suncheon").GetAsync())!.State, (await host.Job("own-suncheon").GetAsync())!.StartedAt));
        Assert.Equal(1, (await host.Region("suncheon").GetAsync()).Preemptions);
        Assert.Equal(0, host.Executor.StopsOf("suncheon", "lent"));
        await host.AssertAccountingAsync("own-gwangju", "lent", "own-suncheon");
    }

    [Fact]
    public async Task A_lent_job_that_ends_on_its_own_during_its_grace_period_just_completes()
    {
        await using var host = await FederationTestHost.StartAsync(configure: ReclaimOn, megaregion: SuncheonLends(preemptible: true));
        var t0 = host.Clock.Now;
        await SubmitLendAndNeedAsync(host);
        Assert.Empty(host.Executor.Signals);

        // The job, which asked for no checkpoint signal and got none, ended on its own 30 s into its grace period.
        await host.AdvanceAsync(TimeSpan.FromSeconds(30));
        var end = new RunEnd { Outcome = JobState.Completed, At = host.Clock.Now, Message = "done", StartedAt = t0 };
        await host.Region("suncheon").OnExecutionEndedAsync("lent", end);
        await host.NoticesDeliveredAsync();
        Assert.Equal(t0 + TimeSpan.FromSeconds(30), (await host.Job("own-suncheon").GetAsync())!.StartedAt);

        // The reclaim time passes: nothing left to stop or preempt.
        await host.AdvanceAsync(TimeSpan.FromSeconds(30));
        var lent = (await host.Job("lent").GetAsync())!;
        Assert.Equal((JobState.Completed, "suncheon", t0 + TimeSpan.FromSeconds(30)), (lent.State, lent.Region, lent.EndedAt));
        Assert.Equal(
            [JobEventKinds.Submitted, JobEventKinds.Overflowed, JobEventKinds.Started, JobEventKinds.Reclaiming, JobEventKinds.Completed],
            lent.History.Select(e => e.Kind));
        Assert.Equal(0, host.Executor.StopsOf("suncheon", "lent"));
        Assert.Equal(0, (await host.Region("suncheon").GetAsync()).Preemptions);
        await host.AssertAccountingAsync("own-gwangju", "lent", "own-suncheon");
    }

    [Fact]
    public async Task A_lent_job_cancelled_during_its_grace_period_is_cancelled_not_preempted()
    {
        await using var host = await FederationTestHost.StartAsync(configure: ReclaimOn, megaregion: SuncheonLends(preemptible: true));
        var t0 = host.Clock.Now;
        await SubmitLendAndNeedAsync(host);
        await host.AdvanceAsync(TimeSpan.FromSeconds(10));

        var cancelled = (await host.Job("lent").CancelAsync("not needed"))!;
        await host.NoticesDeliveredAsync();
        Assert.Equal(JobState.Cancelled, cancelled.State);
        Assert.Equal(t0 + TimeSpan.FromSeconds(10), (await host.Job("own-suncheon").GetAsync())!.StartedAt);

        await host.AdvanceAsync(Grace);
        var lent = (await host.Job("lent").GetAsync())!;
        Assert.Equal(
            [JobEventKinds.Submitted, JobEventKinds.Overflowed, JobEventKinds.Started, JobEventKinds.Reclaiming, JobEventKinds.Cancelled],
            lent.History.Select(e => e.Kind));
        Assert.Equal(1, host.Executor.StopsOf("suncheon", "lent"));
        Assert.Equal(0, (await host.Region("suncheon").GetAsync()).Preemptions);
        await host.AssertAccountingAsync("own-gwangju", "lent", "own-suncheon");
    }

    [Fact]
    public async Task An_offer_set_by_the_operator_carries_its_grace_period_to_the_reclaim()
    {
        await using var host = await FederationTestHost.StartAsync(configure: ReclaimOn);
        var suncheon = host.Region("suncheon");
        var negative = await Assert.ThrowsAsync<ArgumentException>(() => suncheon.SetOfferAsync(new OfferView
        {
            Accelerators = [new OfferedAcceleratorsView { Type = "H100", Count = 8 }],
            Preemptible = true,
            ReclaimGraceSeconds = -1,
        }));
        Assert.Contains("reclaimGraceSeconds: must be a finite number of seconds >= 0", negative.Message, StringComparison.Ordinal);
        Assert.Equal(60, (await suncheon.GetAsync()).Offer.ReclaimGraceSeconds);

        var view = await suncheon.SetOfferAsync(new OfferView
        {
            Accelerators = [new OfferedAcceleratorsView { Type = "H100", Count = 8 }],
            Preemptible = true,
            ReclaimGraceSeconds = 30,
        });
        Assert.Equal((true, 30.0), (view.Offer.Preemptible, view.Offer.ReclaimGraceSeconds));

        var t0 = host.Clock.Now;
        await SubmitLendAndNeedAsync(host);
        Assert.Empty(host.Executor.Signals);
        Assert.Contains("(30 s grace)", (await host.Job("lent").GetAsync())!.History.Single(e => e.Kind == JobEventKinds.Reclaiming).Message, StringComparison.Ordinal);
        await host.AdvanceAsync(TimeSpan.FromSeconds(29));
        Assert.Equal(JobState.Running, (await host.Job("lent").GetAsync())!.State);
        await host.AdvanceAsync(TimeSpan.FromSeconds(1));
        var lent = (await host.Job("lent").GetAsync())!;
        Assert.Equal((JobState.Queued, "gwangju"), (lent.State, lent.Region));
        Assert.Equal(t0 + TimeSpan.FromSeconds(30), (await host.Job("own-suncheon").GetAsync())!.StartedAt);
        await host.AssertAccountingAsync("own-gwangju", "lent", "own-suncheon");
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public async Task Without_reclaim_or_under_a_non_preemptible_offer_a_lent_job_runs_to_its_end(bool reclaim, bool preemptible)
    {
        await using var host = await FederationTestHost.StartAsync(configure: o => o.Reclaim = reclaim, megaregion: SuncheonLends(preemptible));
        var t0 = host.Clock.Now;
        await SubmitLendAndNeedAsync(host);
        Assert.Empty(host.Executor.Signals);

        await host.AdvanceAsync(TimeSpan.FromHours(2));
        var lent = (await host.Job("lent").GetAsync())!;
        Assert.Equal((JobState.Completed, "suncheon", t0 + TimeSpan.FromHours(2)), (lent.State, lent.Region, lent.EndedAt));
        Assert.Equal(
            [JobEventKinds.Submitted, JobEventKinds.Overflowed, JobEventKinds.Started, JobEventKinds.Completed],
            lent.History.Select(e => e.Kind));
        Assert.Equal(t0 + TimeSpan.FromHours(2), (await host.Job("own-suncheon").GetAsync())!.StartedAt);

        await host.AdvanceAsync(TimeSpan.FromHours(1));
        Assert.Empty(host.Executor.Signals);
        Assert.Equal(0, host.Executor.StopsOf("suncheon", "lent"));
        Assert.Equal(0, (await host.Region("suncheon").GetAsync()).Preemptions);
        await host.AssertAccountingAsync("own-gwangju", "lent", "own-suncheon");
        await AssertUsageAsync(host, (4 * 2) + (8 * 3) + (8 * 1), "own-gwangju", "lent", "own-suncheon");
    }
}

using Federation.Contracts;
using Federation.Grains.Jobs;
using Federation.Grains.Tests.Support;
using static Federation.Grains.Tests.Support.TestMegaregion;

namespace Federation.Grains.Tests;

/// <summary>
/// Submit, resubmit, run, cancel. A grain answers facts (<see cref="JobSnapshot"/>): the placement in numbers, which the
/// REST API renders in words; these tests pin the numbers every word is rendered from.
/// </summary>
public sealed class JobLifecycleTests
{
    [Fact]
    public async Task Submit_places_in_the_home_region_when_it_starts_soonest_and_explains_every_candidate()
    {
        await using var host = await FederationTestHost.StartAsync();

        var result = await host.Job("j1").SubmitAsync(Job("j1", 4, 2));

        Assert.True(result.Created);
        var job = result.Job!;
        Assert.Equal(JobState.Running, job.State);
        Assert.Equal("gwangju", job.Region);

        // No words are kept for a placement: the reason is rendered from the decision when the job is shown.
        Assert.Null(job.Reason);
        var placement = job.Placement!;
        Assert.Equal("EarliestStart", placement.Policy);
        Assert.Equal("gwangju", placement.ChosenRegion);
        // Other regions are a link's latency (5 ms) away even without data to move.
        var candidates = placement.Candidates;
        Assert.Equal(4, candidates.Length);
        ScoreAssert.Score(candidates[0], "gwangju", start: 0, transfer: 0);
        ScoreAssert.Score(candidates[1], "suncheon", start: 0.005, transfer: 0.005);
        ScoreAssert.Score(candidates[2], "gwangyang", start: null, transfer: 0.005, excluded: "no accelerator of an acceptable type");
        ScoreAssert.Score(candidates[3], "daegu", start: 0.005, transfer: 0.005);
        Assert.Equal([true, true, false, true], placement.Candidates.Select(c => c.Eligible));
        Assert.Equal(["Submitted", "Queued", "Started"], job.History.Select(e => e.Kind));
        Assert.Equal([null, "gwangju", "gwangju"], job.History.Select(e => e.Region));
        await host.AssertAccountingAsync("j1");
    }

    [Fact]
    public async Task Resubmitting_the_same_body_returns_the_existing_job_and_counts_it_once()
    {
        await using var host = await FederationTestHost.StartAsync();
        var first = await host.Job("j1").SubmitAsync(Job("j1", 4, 2));

        var again = await host.Job("j1").SubmitAsync(Job("j1", 4, 2));

        Assert.True(first.Created);
        Assert.False(again.Created);
        Assert.Null(again.Conflict);
        Assert.Equal(first.Job!.History.Length, again.Job!.History.Length);
        Assert.Equal(first.Job.Region, again.Job.Region);

        // The silo reports the submission the job committed to the project.
        await host.FlushStatisticsAsync();
        Assert.Equal(1, (await host.Project("p1").GetAsync()).JobsSubmitted);
        await host.AssertAccountingAsync("j1");
    }

    [Fact]
    public async Task Resubmitting_a_different_body_under_the_same_id_is_a_conflict_and_changes_nothing()
    {
        await using var host = await FederationTestHost.StartAsync();
        await host.SubmitAsync(Job("j1", 4, 2));
        var writes = host.Storage.WritesOf(JobRecord.StateName);

        var conflict = await host.Job("j1").SubmitAsync(Job("j1", 8, 2));

        Assert.False(conflict.Created);
        Assert.Equal("job 'j1' already exists with a different body; nothing was changed", conflict.Conflict);
        var job = (await host.Job("j1").GetAsync())!;
        Assert.Equal(4, job.Request.Accelerators.Count);
        Assert.Equal(JobState.Running, job.State);
        Assert.Equal(writes, host.Storage.WritesOf(JobRecord.StateName));
        await host.AssertAccountingAsync("j1");
    }

    [Fact]
    public async Task A_job_runs_for_its_duration_then_completes_and_the_accounting_returns_to_zero()
    {
        await using var host = await FederationTestHost.StartAsync();
        await host.SubmitAsync(Job("j1", 4, 2));
        await host.SubmitAsync(Job("j2", 2, 1));
        await host.AssertAccountingAsync("j1", "j2");

        await host.AdvanceAsync(TimeSpan.FromHours(1));
        Assert.Equal(JobState.Completed, (await host.Job("j2").GetAsync())!.State);
        Assert.Equal(JobState.Running, (await host.Job("j1").GetAsync())!.State);
        await host.AssertAccountingAsync("j1", "j2");

        await host.AdvanceAsync(TimeSpan.FromHours(1));
        var j1 = (await host.Job("j1").GetAsync())!;
        Assert.Equal(JobState.Completed, j1.State);
        Assert.Equal(host.Execution.Start + TimeSpan.FromHours(2), j1.EndedAt);
        Assert.Equal(["Submitted", "Queued", "Started", "Completed"], j1.History.Select(e => e.Kind));
        await host.AssertAccountingAsync("j1", "j2");
        var gwangju = await host.Region("gwangju").GetAsync();
        Assert.Equal(0, gwangju.Pools[0].Busy);
        Assert.Equal(0, gwangju.RunningJobs);

        // The silo reports the usage each job committed at its end to the project: 4 x 2 h + 2 x 1 h.
        await host.FlushStatisticsAsync();
        Assert.Equal(10, (await host.Project("p1").GetAsync()).UsedAcceleratorHours, 9);
    }

    [Fact]
    public async Task A_job_keeps_nothing_in_memory_between_calls_and_answers_every_call_from_its_row()
    {
        await using var host = await FederationTestHost.StartAsync();
        await host.SubmitAsync(Job("j1", 4, 1));
        await host.SubmitAsync(Job("j2", 4, 5));
        var reads = host.Storage.ReadsOf(JobRecord.StateName);

        // Every call activates the job from its row and releases it once done: each read reads the row once.
        Assert.Equal(JobState.Running, (await host.Job("j1").GetAsync())!.State);
        Assert.Equal(JobState.Running, (await host.Job("j1").GetAsync())!.State);
        Assert.Equal(reads + 2, host.Storage.ReadsOf(JobRecord.StateName));

        // j1 completes: the end notice activates it from its row, commits, and releases it.
        await host.AdvanceAsync(TimeSpan.FromHours(1));
        var completed = (await host.Job("j1").GetAsync())!;
        Assert.Equal(JobState.Completed, completed.State);
        Assert.Equal(["Submitted", "Queued", "Started", "Completed"], completed.History.Select(e => e.Kind));
        Assert.Equal(JobState.Running, (await host.Job("j2").GetAsync())!.State);

        // A cancelled job, and a resubmission of the same body, answer from the row.
        await host.Job("j2").CancelAsync("done with it");
        var again = await host.Job("j2").SubmitAsync(Job("j2", 4, 5));
        Assert.False(again.Created);
        Assert.Equal(JobState.Cancelled, again.Job!.State);
        await host.AssertAccountingAsync("j1", "j2");
    }

    [Fact]
    public async Task A_job_activation_is_released_after_each_call_so_each_call_reads_the_row_once()
    {
        await using var host = await FederationTestHost.StartAsync();
        await host.SubmitAsync(Job("big", 8, 5, allowed: ["gwangju"]));
        await host.SubmitAsync(Job("q", 4, 1, allowed: ["gwangju"]));

        // Reads, a refused move, a resubmission, a conflict and a cancel: five calls of five kinds, each one
        // activation reading the row once. An activation kept between calls would read it once for all of them.
        var before = host.Storage.ReadsOf(JobRecord.StateName);
        var writes = host.Storage.WritesOf(JobRecord.StateName);
        Assert.Equal(JobState.Queued, (await host.Job("q").GetAsync())!.State);
        Assert.False(await host.Job("q").TryMoveAsync("suncheon", "daegu", "not where it is"));
        Assert.False((await host.Job("q").SubmitAsync(Job("q", 4, 1, allowed: ["gwangju"]))).Created);
        Assert.NotNull((await host.Job("q").SubmitAsync(Job("q", 2, 1, allowed: ["gwangju"]))).Conflict);
        Assert.Equal(JobState.Cancelled, (await host.Job("q").CancelAsync("test"))!.State);

        Assert.Equal(before + 5, host.Storage.ReadsOf(JobRecord.StateName));
        Assert.Equal(writes + 1, host.Storage.WritesOf(JobRecord.StateName));
        await host.AssertAccountingAsync("big", "q");
    }

    [Fact]
    public async Task Cancelling_a_running_job_frees_its_accelerators_and_the_queued_job_behind_it_starts()
    {
        await using var host = await FederationTestHost.StartAsync();
        await host.SubmitAsync(Job("big", 8, 5, allowed: ["gwangju"]));
        await host.SubmitAsync(Job("next", 6, 1, allowed: ["gwangju"]));
        Assert.Equal(JobState.Queued, (await host.Job("next").GetAsync())!.State);
        await host.AssertAccountingAsync("big", "next");

        var cancelled = await host.Job("big").CancelAsync("not needed");

        Assert.Equal(JobState.Cancelled, cancelled!.State);
        Assert.Equal("cancelled: not needed", cancelled.Reason);

        // The region started "next" when big's accelerators came free; its start notice reaches the job from the outbox.
        await host.NoticesDeliveredAsync();
        Assert.Equal(JobState.Running, (await host.Job("next").GetAsync())!.State);
        await host.AssertAccountingAsync("big", "next");
        Assert.Equal(6, (await host.Region("gwangju").GetAsync()).Pools[0].Busy);
    }

    [Fact]
    public async Task Cancelling_a_queued_job_removes_it_from_the_queue_and_a_finished_job_is_returned_unchanged()
    {
        await using var host = await FederationTestHost.StartAsync();
        await host.SubmitAsync(Job("big", 8, 5, allowed: ["gwangju"]));
        await host.SubmitAsync(Job("waiting", 4, 1, allowed: ["gwangju"]));

        var cancelled = await host.Job("waiting").CancelAsync("");

        Assert.Equal(JobState.Cancelled, cancelled!.State);
        Assert.Equal("cancelled", cancelled.Reason);
        var gwangju = await host.Region("gwangju").GetAsync();
        Assert.Equal(0, gwangju.QueuedJobs);
        Assert.Equal(0, gwangju.QueuedDemand);
        await host.AssertAccountingAsync("big", "waiting");
        var again = await host.Job("waiting").CancelAsync("twice");
        Assert.Equal("cancelled", again!.Reason);
        Assert.Equal(cancelled.History.ToArray(), again.History.ToArray());
        Assert.Null(await host.Job("nobody").CancelAsync("x"));
        Assert.Null(await host.Job("nobody").GetAsync());
    }

    [Fact]
    public async Task A_job_no_region_can_run_fails_with_every_region_excluded_in_words()
    {
        await using var host = await FederationTestHost.StartAsync();

        // Valid on its own (gwangju has a pool of 8 H100), but gwangju lends only 4 to other regions, daegu's H100 pool
        // holds 4, and the others are not allowed: placement finds no region. (A gang no allowed pool could ever hold,
        // e.g. 16 H100, is refused by the rules before placement: see GrainRulesTests.)
        var job = await host.SubmitAsync(Job("six", 6, 1, home: "suncheon", allowed: ["gwangju", "daegu"]));

        Assert.Equal(JobState.Failed, job.State);
        Assert.Null(job.Region);
        Assert.Null(job.Placement!.ChosenRegion);
        Assert.Equal(
            [
                ("gwangju", "offer to other regions too small for the job"),
                ("suncheon", "not in the job's allowed regions"),
                ("gwangyang", "not in the job's allowed regions"),
                ("daegu", "gang larger than any matching pool"),
            ],
            job.Placement.Candidates.Select(c => (c.Region, c.ExcludedBecause)));
        Assert.Equal(["Submitted", "Failed"], job.History.Select(e => e.Kind));
        await host.AssertAccountingAsync("six");
    }
}

namespace Federation.Scheduling.Tests;

public sealed class RegionSchedulerRestoreTests
{
    private static RegionScheduler Sched(int count = 8) => new(Build.Region("a", Build.Offer(("H100", 4)), Build.Pool("H100", count)));

    [Fact]
    public void A_restored_running_job_holds_its_accelerators_until_completed()
    {
        var s = Sched();
        s.RestoreRunning(7, Build.Job("r", 6, 100), 0, external: false, startS: 50);

        Assert.Equal(6, s.Busy);
        Assert.Equal(1, s.RunningCount);
        Assert.True(s.TryGetRunningPool(7, out var pool));
        Assert.Equal(0, pool);

        // It ends at 150 by its estimate: an 8-wide job queued now gets that as its reservation.
        s.Enqueue(8, Build.Job("wide", 8, 10), 60);
        Assert.Equal(150, s.HeadReservation(60, out _));
        Assert.True(s.Complete(7));
        Assert.Equal(0, s.Busy);
    }

    [Fact]
    public void A_restored_external_job_counts_against_the_offer()
    {
        var s = Sched();
        s.RestoreRunning(1, 0, 3, external: true, estimatedEndS: 100);

        Assert.Equal(3, s.PoolExternalBusy(0));

        // Only one offered accelerator is left for jobs from elsewhere.
        var started = new List<StartedJob>();
        s.Enqueue(2, Build.Job("ext", 2, 10, home: "b"), 0);
        s.Schedule(0, started);
        Assert.Empty(started);
    }

    [Fact]
    public void A_copy_restored_from_the_same_allocations_and_queue_estimates_the_same_start()
    {
        var original = Sched();
        var started = new List<StartedJob>();
        original.Enqueue(1, Build.Job("r", 6, 100), 0);
        original.Schedule(0, started);
        original.Enqueue(2, Build.Job("q", 8, 50), 0);
        var running = new List<RunningAllocation>();
        original.CopyRunning(0, running);

        var copy = Sched();
        foreach (var r in running)
        {
            copy.RestoreRunning(r.Ticket, r.Pool, r.Count, r.External, r.EstimatedEndS);
        }

        var q = original.QueuedAt(0);
        copy.EnqueueChecked(q.Ticket, q.Job, 0, q.External, original.QueuedMaskAt(0));
        var probe = Build.Job("p", 4, 10);

        Assert.Equal(150, original.EstimateStart(probe, 0, 0));
        Assert.Equal(original.EstimateStart(probe, 0, 0), copy.EstimateStart(probe, 0, 0));
    }

    [Fact]
    public void Restoring_rejects_an_unknown_pool_a_non_positive_count_and_a_ticket_already_running()
    {
        var s = Sched();
        s.RestoreRunning(1, 0, 1, false, 10);

        Assert.Throws<ArgumentOutOfRangeException>(() => s.RestoreRunning(2, 1, 1, false, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.RestoreRunning(2, 0, 0, false, 10));
        Assert.Throws<ArgumentException>(() => s.RestoreRunning(1, 0, 1, false, 10));
    }
}

public sealed class RegionSchedulerEnqueueBehindEstimateTests
{
    private static RegionScheduler Deep(out List<StartedJob> started)
    {
        var s = new RegionScheduler(Build.Region("a", Build.Pool("H100", 8)), new SchedulerOptions { EstimateDepth = 4 });
        started = [];
        s.Enqueue(1, Build.Job("run", 8, 100), 0);
        s.Schedule(0, started);
        for (var i = 0; i < 6; i++)
        {
            s.Enqueue(10 + i, Build.Job($"q{i}", 2 + (i % 3), 50 + i), 0);
        }

        return s;
    }

    [Fact]
    public void A_job_behind_a_deep_queue_is_estimated_exactly_as_with_a_full_rebuild()
    {
        var fast = Deep(out _);
        var slow = Deep(out _);
        var probe = Build.Job("p", 4, 30);
        _ = fast.EstimateStart(probe, 0, 0);
        var job = Build.Job("new", 3, 40);
        _ = fast.Check(job, 0, out var mask);

        Assert.True(fast.TryEnqueueBehindEstimate(99, job, 0, false, mask));
        slow.EnqueueChecked(99, job, 0, false, mask);

        Assert.Equal(slow.QueuedCount, fast.QueuedCount);
        Assert.Equal(slow.EstimateStart(probe, 0, 0), fast.EstimateStart(probe, 0, 0), 9);
        Assert.Equal(slow.EstimateQueuedStart(6, 0), fast.EstimateQueuedStart(6, 0), 9);
    }

    [Fact]
    public void A_job_ahead_of_a_lower_priority_tail_but_behind_the_head_keeps_the_profile()
    {
        // A router's copy ends with a summed slot of lowest priority (jobs whose data is in transit).
        var fast = Deep(out _);
        var slow = Deep(out _);
        fast.Enqueue(50, Build.Job("tail", 1, 500, priority: int.MinValue), 0);
        slow.Enqueue(50, Build.Job("tail", 1, 500, priority: int.MinValue), 0);
        var probe = Build.Job("p", 4, 30);
        _ = fast.EstimateStart(probe, 0, 0);
        var job = Build.Job("new", 3, 40);
        _ = fast.Check(job, 0, out var mask);

        Assert.True(fast.TryEnqueueBehindEstimate(99, job, 0, false, mask));
        slow.EnqueueChecked(99, job, 0, false, mask);

        Assert.Equal(slow.QueuedCount, fast.QueuedCount);
        Assert.Equal(slow.EstimateStart(probe, 0, 0), fast.EstimateStart(probe, 0, 0), 9);
        Assert.Equal(slow.EstimateQueuedStart(7, 0), fast.EstimateQueuedStart(7, 0), 9);
    }

    [Fact]
    public void It_refuses_when_the_profile_is_stale_the_queue_is_short_or_the_job_would_jump_ahead()
    {
        var s = Deep(out _);
        var job = Build.Job("new", 3, 40);
        _ = s.Check(job, 0, out var mask);
        Assert.False(s.TryEnqueueBehindEstimate(99, job, 0, false, mask));
        _ = s.EstimateStart(job, 0, 0);
        Assert.False(s.TryEnqueueBehindEstimate(98, Build.Job("urgent", 1, 1, priority: 5), 0, false, mask));
        var shallow = new RegionScheduler(Build.Region("a", Build.Pool("H100", 8)));
        _ = shallow.EstimateStart(job, 0, 0);
        Assert.False(shallow.TryEnqueueBehindEstimate(97, job, 0, false, mask));
        Assert.Equal(6, s.QueuedCount);
    }
}

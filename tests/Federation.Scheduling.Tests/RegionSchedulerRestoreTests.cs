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

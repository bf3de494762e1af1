namespace Federation.Scheduling.Tests;

/// <summary>
/// A region rebuilt during a lent job's grace period (its row recorded the reclaim) marks the run as being reclaimed
/// with the reclaim time decided before: the head's reservation stays that time and nothing is planned again.
/// </summary>
public sealed class RestoreReclaimingTests
{
    [Fact]
    public void A_restored_reclaim_keeps_its_reclaim_time_and_is_not_planned_again()
    {
        var offer = Build.Offer(("H100", 6)) with { Preemptible = true, ReclaimGraceS = 60 };
        var s = new RegionScheduler(Build.Region("a", offer, Build.Pool("H100", 10)), new SchedulerOptions { Reclaim = true });
        s.RestoreRunning(1, Build.Job("home-running", 4, 10_000), 0, external: false, startS: 0);
        s.RestoreRunning(2, Build.Job("lent", 6, 10_000, home: "b"), 0, external: true, startS: 0);

        // Decided at 50 before the restart: due back at 110.
        Assert.True(s.RestoreReclaiming(2, 110));
        Assert.True(s.IsReclaiming(2));
        Assert.Equal((1, 0L), (s.ReclaimingCount, s.PreemptionCount));
        Assert.False(s.RestoreReclaiming(2, 200));
        Assert.False(s.RestoreReclaiming(99, 110));

        // The rebuilt region's own job at the head: reserved for the original reclaim time, no new plan at 80.
        s.Enqueue(3, Build.Job("home", 5, 100), 80);
        var started = new List<StartedJob>();
        s.Schedule(80, started);
        Assert.Empty(started);
        var preemptions = new List<Preemption>();
        Assert.Equal(0, s.PlanReclaim(80, preemptions));
        Assert.Equal(110, s.HeadReservation(80, out _));

        Assert.True(s.Complete(2));
        Assert.Equal(0, s.ReclaimingCount);
        s.Schedule(110, started);
        Assert.Equal(3, Assert.Single(started).Ticket);
    }
}

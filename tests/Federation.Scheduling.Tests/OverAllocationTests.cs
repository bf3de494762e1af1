namespace Federation.Scheduling.Tests;

/// <summary>Allocations enforced in the region scheduler (issue 16): over-allocation jobs queue behind and are preempted first.</summary>
public sealed class OverAllocationTests
{
    private static JobSpec Over(JobSpec job) => job with { OverAllocation = true };

    private static List<StartedJob> Run(RegionScheduler s, double now)
    {
        var started = new List<StartedJob>();
        s.Schedule(now, started);
        return started;
    }

    private static List<Preemption> Plan(RegionScheduler s, double now)
    {
        var list = new List<Preemption>();
        Assert.Equal(s.PlanReclaim(now, list), list.Count);
        return list;
    }

    [Fact]
    public void An_over_allocation_job_queues_behind_every_allocated_job_whatever_the_priorities()
    {
        var s = new RegionScheduler(Build.Region("a", Build.Pool("H100", 4)));
        s.Enqueue(1, Build.Job("running", 4, 100), 0);
        Run(s, 0);
        s.Enqueue(2, Over(Build.Job("over-urgent", 4, 10, priority: 1000)), 1);
        s.Enqueue(3, Build.Job("low", 4, 10, priority: -1000), 2);
        s.Enqueue(4, Over(Build.Job("over-plain", 4, 10)), 3);
        s.Enqueue(5, Build.Job("plain", 4, 10), 4);

        Assert.Equal([5L, 3, 2, 4], Enumerable.Range(0, s.QueuedCount).Select(i => s.QueuedAt(i).Ticket));
    }

    [Fact]
    public void Over_allocation_jobs_are_preempted_before_lent_jobs_and_only_as_many_as_needed()
    {
        // 10 H100, 4 lent under a preemptible offer with reclaim on; an own over-allocation job holds 4, another 2.
        var offer = Build.Offer(("H100", 4)) with { Preemptible = true, ReclaimGraceS = 30 };
        var s = new RegionScheduler(Build.Region("a", offer, Build.Pool("H100", 10)), new SchedulerOptions { Reclaim = true });
        s.Enqueue(1, Build.Job("lent", 4, 1_000, home: "b"), 0);
        s.Enqueue(2, Over(Build.Job("over-big", 4, 1_000)), 0);
        s.Enqueue(3, Over(Build.Job("over-small", 2, 1_000)), 10);
        Assert.Equal(3, Run(s, 10).Count);
        Assert.Equal(2, s.OverAllocationRunningCount);

        // The allocated head needs 5: both over-allocation jobs go (6 accelerators), the lent job keeps running.
        s.Enqueue(4, Build.Job("allocated", 5, 100), 20);
        Assert.Empty(Run(s, 20));
        var victims = Plan(s, 20);
        Assert.Equal(
            [new Preemption(3, 0, 2, 20, 50) { OverAllocation = true }, new Preemption(2, 0, 4, 20, 50) { OverAllocation = true }],
            victims);
        Assert.False(s.IsReclaiming(1));
    }

    [Fact]
    public void Lent_jobs_are_preempted_only_when_the_over_allocation_jobs_are_not_enough()
    {
        var offer = Build.Offer(("H100", 6)) with { Preemptible = true, ReclaimGraceS = 0 };
        var s = new RegionScheduler(Build.Region("a", offer, Build.Pool("H100", 8)), new SchedulerOptions { Reclaim = true });
        s.Enqueue(1, Build.Job("lent", 6, 1_000, home: "b"), 0);
        s.Enqueue(2, Over(Build.Job("over", 2, 1_000)), 0);
        Run(s, 0);

        s.Enqueue(3, Build.Job("allocated", 8, 100), 5);
        var victims = Plan(s, 5);
        Assert.Equal([(2L, true), (1L, false)], victims.Select(v => (v.Ticket, v.OverAllocation)));
    }

    [Fact]
    public void Over_allocation_jobs_are_preempted_without_reclaim_or_a_preemptible_offer_but_never_for_another_over_allocation_job()
    {
        var s = new RegionScheduler(Build.Region("a", Build.Pool("H100", 4)));
        s.Enqueue(1, Over(Build.Job("over", 4, 1_000)), 0);
        Run(s, 0);
        Assert.True(s.MayPreempt);

        s.Enqueue(2, Over(Build.Job("over-too", 2, 10, priority: 5)), 1);
        Assert.Empty(Plan(s, 1));

        s.Enqueue(3, Build.Job("allocated", 2, 10), 2);
        var p = Assert.Single(Plan(s, 2));
        Assert.Equal(new Preemption(1, 0, 4, 2, 2 + SpareCapacityOffer.DefaultReclaimGraceS) { OverAllocation = true }, p);

        // The head's reservation is the reclaim time; once the accelerators are back, the allocated job starts first.
        Assert.True(s.Complete(1));
        Assert.False(s.MayPreempt);
        Assert.Equal([3L, 2], Run(s, 62).Select(j => j.Ticket));
    }

    [Fact]
    public void With_no_over_allocation_job_the_schedule_is_the_one_without_allocations()
    {
        var jobs = Enumerable.Range(0, 200).Select(i => Build.Job($"j{i}", 1 + (i % 4), 10 + (i * 7 % 50), priority: i % 3)).ToArray();
        var on = new RegionScheduler(Build.Region("a", Build.Pool("H100", 8)));
        var off = new RegionScheduler(Build.Region("a", Build.Pool("H100", 8)), new SchedulerOptions { PreemptOverAllocation = false });
        var startsOn = new List<(long, double)>();
        var startsOff = new List<(long, double)>();
        for (var t = 0; t < 4000; t++)
        {
            foreach (var (s, starts) in new[] { (on, startsOn), (off, startsOff) })
            {
                foreach (var (ticket, at) in starts)
                {
                    if (at + jobs[ticket].EstimatedDurationS == t)
                    {
                        Assert.True(s.Complete(ticket));
                    }
                }

                if (t < jobs.Length)
                {
                    s.Enqueue(t, jobs[t], t);
                }

                foreach (var j in Run(s, t))
                {
                    starts.Add((j.Ticket, t));
                }

                Assert.Empty(Plan(s, t));
            }
        }

        Assert.Equal(startsOff, startsOn);
        Assert.Equal(200, startsOn.Count);
    }
}

namespace Federation.Scheduling.Tests;

public sealed class RegionSchedulerTests
{
    private static RegionScheduler Sched(int count = 10) => new(Build.Region("a", Build.Pool("H100", count)));

    private static List<StartedJob> Run(RegionScheduler s, double now)
    {
        var started = new List<StartedJob>();
        s.Schedule(now, started);
        return started;
    }

    [Fact]
    public void Queue_order_is_priority_then_fifo()
    {
        var s = Sched(1);
        s.Enqueue(1, Build.Job("blocker", 1, 10), 0);
        Assert.Single(Run(s, 0));
        s.Enqueue(2, Build.Job("a", 1, 10), 1);
        s.Enqueue(3, Build.Job("b", 1, 10, priority: 5), 2);
        s.Enqueue(4, Build.Job("c", 1, 10), 3);
        s.Enqueue(5, Build.Job("d", 1, 10, priority: 5), 4);

        var order = new List<string>();
        var now = 10.0;
        s.Complete(1);
        while (s.QueuedCount > 0)
        {
            var started = Run(s, now);
            Assert.Single(started);
            order.Add(started[0].Job.Id);
            s.Complete(started[0].Ticket);
            now += 10;
        }

        Assert.Equal(["b", "d", "a", "c"], order);
    }

    [Fact]
    public void A_gang_starts_all_at_once_or_not_at_all()
    {
        var s = Sched(8);
        s.Enqueue(1, Build.Job("r", 5, 100), 0);
        Run(s, 0);
        s.Enqueue(2, Build.Job("gang", 4, 10), 0);
        Assert.Empty(Run(s, 0));
        Assert.Equal(5, s.Busy);
        s.Complete(1);
        var started = Run(s, 100);
        Assert.Equal("gang", Assert.Single(started).Job.Id);
        Assert.Equal(4, s.Busy);
    }

    [Fact]
    public void Easy_backfill_starts_short_jobs_and_jobs_within_the_extra_accelerators_but_not_jobs_that_delay_the_head()
    {
        // 10 accelerators; 6 busy until t=100. Head needs 8 → reservation at 100 with 10 − 8 = 2 extra.
        var s = Sched(10);
        s.Enqueue(1, Build.Job("running", 6, 100), 0);
        Run(s, 0);
        s.Enqueue(2, Build.Job("head", 8, 50), 0);
        s.Enqueue(3, Build.Job("long3", 3, 500), 0);   // outlives the reservation and needs more than the 2 extra
        s.Enqueue(4, Build.Job("long2", 2, 500), 0);   // outlives it but fits in the 2 extra
        s.Enqueue(5, Build.Job("long2b", 2, 500), 0);  // the extra is used up now
        s.Enqueue(6, Build.Job("short2", 2, 100), 0);  // ends exactly at the reservation

        Assert.Equal(100, s.HeadReservation(0, out _));
        var started = Run(s, 0).Select(j => j.Job.Id).ToArray();

        Assert.Equal(["long2", "short2"], started);
        Assert.Equal(100, s.HeadReservation(0, out _));
        Assert.Equal(10, s.Busy);
    }

    [Fact]
    public void Backfill_never_delays_the_head_reservation_and_every_head_starts_by_its_reservation()
    {
        // Random workloads on two pools with an offer; exact duration estimates (as in the simulator), equal priorities.
        for (var seed = 1; seed <= 40; seed++)
        {
            var rng = new Random(seed);
            var region = Build.Region("a", Build.Offer(("H100", 6), ("A100", 3)), Build.Pool("H100", 12), Build.Pool("A100", 6));
            var s = new RegionScheduler(region);
            var completions = new PriorityQueue<long, double>();
            var reservation = new Dictionary<long, double>();
            var started = new List<StartedJob>();
            var now = 0.0;
            long next = 0;
            long headTicket = -1;
            var nextArrival = rng.NextDouble() * 5;
            while (next <= 300 || completions.Count > 0)
            {
                // Discrete-event order: a completion due before the next arrival happens first, so every job
                // runs exactly its estimated duration.
                if (completions.TryPeek(out var done, out var at) && (next > 300 || at <= nextArrival))
                {
                    completions.Dequeue();
                    now = at;
                    Assert.True(s.Complete(done));
                }
                else
                {
                    now = nextArrival;
                    nextArrival += rng.NextDouble() * 5;
                    var count = rng.Next(1, 9);
                    var external = rng.NextDouble() < 0.3;
                    s.Enqueue(next, Build.Job($"j{next}", external ? Math.Min(count, 3) : count, 1 + (rng.NextDouble() * 60), home: external ? "x" : "a"), now);
                    next++;
                }

                started.Clear();
                s.Schedule(now, started);
                foreach (var j in started)
                {
                    completions.Enqueue(j.Ticket, now + j.Job.EstimatedDurationS);
                    if (reservation.TryGetValue(j.Ticket, out var r))
                    {
                        Assert.True(now <= r + 1e-9, $"seed {seed}: job {j.Ticket} started at {now} after its reservation {r}");
                    }
                }

                Assert.True(s.PoolBusy(0) <= 12 && s.PoolBusy(1) <= 6);
                Assert.True(s.PoolExternalBusy(0) <= 6 && s.PoolExternalBusy(1) <= 3);
                if (s.QueuedCount > 0)
                {
                    var head = s.QueuedAt(0).Ticket;
                    var r = s.HeadReservation(now, out _);
                    if (head == headTicket)
                    {
                        Assert.True(r <= reservation[head] + 1e-9, $"seed {seed}: head {head} reservation moved from {reservation[head]} to {r}");
                    }
                    else
                    {
                        headTicket = head;
                        reservation[head] = r;
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData(5)]
    [InlineData(SchedulerOptions.DefaultBackfillDepth)]
    public void Incremental_backfill_gives_exactly_the_schedule_of_a_full_pass(int depth)
    {
        for (var seed = 1; seed <= 40; seed++)
        {
            var region = Build.Region("a", Build.Offer(("H100", 6), ("A100", 3)), Build.Pool("H100", 12), Build.Pool("A100", 6));
            var full = new RegionScheduler(region, new SchedulerOptions { IncrementalBackfill = false, BackfillDepth = depth });
            var fast = new RegionScheduler(region, new SchedulerOptions { BackfillDepth = depth });
            var rng = new Random(seed);
            var completions = new PriorityQueue<long, double>();
            var now = 0.0;
            var nextArrival = 0.0;
            long next = 0;
            var a = new List<StartedJob>();
            var b = new List<StartedJob>();
            var total = 0;
            while (next < 400 || completions.Count > 0)
            {
                if (completions.TryPeek(out var done, out var at) && (next >= 400 || at <= nextArrival))
                {
                    completions.Dequeue();
                    now = at;
                    Assert.True(full.Complete(done));
                    Assert.True(fast.Complete(done));
                }
                else
                {
                    // Bursts of arrivals at one instant as well as spread ones; some high-priority jobs jump the queue.
                    now = nextArrival;
                    nextArrival += rng.NextDouble() < 0.3 ? 0 : rng.NextDouble() * 3;
                    var external = rng.NextDouble() < 0.3;
                    var job = Build.Job($"j{next}", external ? rng.Next(1, 4) : rng.Next(1, 13), 1 + (rng.NextDouble() * 60), home: external ? "x" : "a", priority: rng.NextDouble() < 0.1 ? 1 : 0);
                    full.Enqueue(next, job, now);
                    fast.Enqueue(next, job, now);
                    if (rng.NextDouble() < 0.05 && next > 3)
                    {
                        var victim = next - rng.Next(1, 4);
                        Assert.Equal(full.TryRemoveQueued(victim), fast.TryRemoveQueued(victim));
                    }

                    next++;
                }

                a.Clear();
                b.Clear();
                full.Schedule(now, a);
                fast.Schedule(now, b);
                Assert.Equal(a.Select(x => (x.Ticket, x.PoolIndex)), b.Select(x => (x.Ticket, x.PoolIndex)));
                foreach (var j in a)
                {
                    completions.Enqueue(j.Ticket, now + j.Job.EstimatedDurationS);
                    total++;
                }
            }

            Assert.True(total > 300, $"seed {seed}: only {total} jobs ran");
            Assert.True(fast.BackfillTests < full.BackfillTests, $"seed {seed}: the incremental pass tested {fast.BackfillTests} jobs, the full one {full.BackfillTests}");
        }
    }

    [Fact]
    public void External_jobs_use_only_the_offer_while_home_jobs_use_the_rest()
    {
        var s = new RegionScheduler(Build.Region("a", Build.Offer(("H100", 4)), Build.Pool("H100", 8)));
        s.Enqueue(1, Build.Job("ext1", 3, 10, home: "b"), 0);
        s.Enqueue(2, Build.Job("ext2", 3, 10, home: "b"), 0);
        s.Enqueue(3, Build.Job("home", 4, 10, home: "a"), 0);
        var started = Run(s, 0).Select(j => j.Job.Id).ToArray();

        // ext2 would exceed the offer (3 + 3 > 4); the home job may backfill past it: it ends when ext1 does.
        Assert.Equal(["ext1", "home"], started);
        Assert.Equal(3, s.PoolExternalBusy(0));
    }

    [Fact]
    public void Enqueue_refuses_a_job_that_breaks_a_hard_constraint()
    {
        var s = Sched(4);
        Assert.Equal(ConstraintFailure.GangTooLarge, s.Enqueue(1, Build.Job("big", 5, 10), 0));
        Assert.Equal(0, s.QueuedCount);
    }

    [Fact]
    public void Complete_and_remove_report_unknown_tickets()
    {
        var s = Sched(1);
        s.Enqueue(1, Build.Job("a", 1, 10), 0);
        s.Enqueue(2, Build.Job("b", 1, 10), 0);
        Run(s, 0);
        Assert.False(s.Complete(2));
        Assert.False(s.TryRemoveQueued(1));
        Assert.True(s.TryRemoveQueued(2));
        Assert.True(s.Complete(1));
        Assert.False(s.Complete(1));
        Assert.Equal(0, s.Busy);
        Assert.Equal(0, s.QueuedDemand);
    }

    [Fact]
    public void Estimates_follow_the_availability_profile()
    {
        var s = Sched(8);
        Assert.Equal(5, s.EstimateStart(Build.Job("x", 8, 10), 5, 0));
        s.Enqueue(1, Build.Job("r", 8, 100), 0);
        Run(s, 0);

        Assert.Equal(100, s.EstimateStart(Build.Job("x", 4, 10), 0, 0));
        s.Enqueue(2, Build.Job("q", 8, 50), 0);
        Assert.Equal(100, s.EstimateQueuedStart(0, 0));
        Assert.Equal(s.HeadReservation(0, out _), s.EstimateQueuedStart(0, 0));

        // Behind the queued 8-wide job: after it ends at 150.
        Assert.Equal(150, s.EstimateStart(Build.Job("x", 4, 100), 0, 0));
        Assert.Equal(double.PositiveInfinity, s.EstimateStart(Build.Job("x", 9, 1), 0, 0));
    }

    [Fact]
    public void Estimates_see_holes_a_short_job_can_backfill()
    {
        var s = Sched(8);
        s.Enqueue(1, Build.Job("r", 4, 100), 0);
        Run(s, 0);
        s.Enqueue(2, Build.Job("head", 8, 50), 0);
        Assert.Equal(0, s.EstimateStart(Build.Job("short", 4, 100), 0, 0));
        Assert.Equal(150, s.EstimateStart(Build.Job("long", 4, 101), 0, 0));
    }

    [Fact]
    public void Estimates_spread_the_work_of_jobs_beyond_the_estimate_depth()
    {
        var s = new RegionScheduler(Build.Region("a", Build.Pool("H100", 2)), new SchedulerOptions { EstimateDepth = 1 });
        s.Enqueue(1, Build.Job("r", 2, 100), 0);
        Run(s, 0);
        s.Enqueue(2, Build.Job("q1", 2, 100), 0);
        s.Enqueue(3, Build.Job("q2", 2, 100), 0);

        // q1 placed at [100, 200); q2's 200 accelerator-seconds spread over 2 accelerators: +100 s.
        Assert.Equal(300, s.EstimateStart(Build.Job("x", 1, 10), 0, 0));
        Assert.Equal(200, s.EstimateQueuedStart(1, 0));
    }
}

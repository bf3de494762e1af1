namespace Federation.Scheduling.Tests;

public sealed class ReclaimTests
{
    private static readonly SchedulerOptions ReclaimOn = new() { Reclaim = true };

    /// <summary>Region "a": one pool of 10 H100, 6 of them lent under an open-ended offer.</summary>
    private static RegionScheduler Lender(bool preemptible = true, double grace = 60, SchedulerOptions? options = null)
    {
        var offer = Build.Offer(("H100", 6)) with { Preemptible = preemptible, ReclaimGraceS = grace };
        return new RegionScheduler(Build.Region("a", offer, Build.Pool("H100", 10)), options ?? ReclaimOn);
    }

    private static List<StartedJob> Run(RegionScheduler s, double now)
    {
        var started = new List<StartedJob>();
        s.Schedule(now, started);
        return started;
    }

    private static List<Preemption> Reclaim(RegionScheduler s, double now)
    {
        var list = new List<Preemption>();
        Assert.Equal(s.PlanReclaim(now, list), list.Count);
        return list;
    }

    [Fact]
    public void A_home_job_at_the_head_gets_the_lent_accelerators_back_after_the_grace_period()
    {
        var s = Lender();
        s.Enqueue(1, Build.Job("home-running", 4, 10_000), 0);
        s.Enqueue(2, Build.Job("lent", 6, 10_000, home: "b"), 0);
        Assert.Equal(2, Run(s, 0).Count);

        s.Enqueue(3, Build.Job("home", 5, 100), 50);
        Assert.Empty(Run(s, 50));
        var p = Assert.Single(Reclaim(s, 50));
        Assert.Equal(new Preemption(2, 0, 6, 50, 110), p);
        Assert.True(s.IsReclaiming(2));
        Assert.Equal(1, s.ReclaimingCount);
        Assert.Equal(1, s.PreemptionCount);

        // The head's reservation is the reclaim time; nothing starts in between, and nothing more is preempted.
        Assert.Equal(110, s.HeadReservation(60, out _));
        Assert.Empty(Run(s, 60));
        Assert.Empty(Reclaim(s, 60));

        Assert.True(s.Complete(2));
        Assert.Equal(0, s.ReclaimingCount);
        var started = Assert.Single(Run(s, 110));
        Assert.Equal(3, started.Ticket);
    }

    [Fact]
    public void During_the_grace_period_only_jobs_that_end_before_the_reclaim_time_are_backfilled_onto_the_free_accelerator()
    {
        var s = Lender(grace: 100);
        s.Enqueue(1, Build.Job("home-running", 3, 10_000), 0);
        s.Enqueue(2, Build.Job("lent", 6, 10_000, home: "b"), 0);
        Run(s, 0);
        s.Enqueue(3, Build.Job("home-head", 7, 100), 10);
        Assert.Empty(Run(s, 10));
        Assert.Single(Reclaim(s, 10));

        // One accelerator is free until the reclaim at 110, and the head needs it then.
        s.Enqueue(4, Build.Job("long-small", 1, 1_000), 20);
        s.Enqueue(5, Build.Job("short-small", 1, 50), 20);
        Assert.Equal(5, Assert.Single(Run(s, 20)).Ticket);
        s.Complete(5);
        s.Complete(2);
        Assert.Equal(3, Assert.Single(Run(s, 110)).Ticket);
        Assert.Equal(10, s.Busy);
        Assert.Equal(4, s.QueuedAt(0).Ticket);
    }

    [Fact]
    public void Victims_are_the_fewest_accelerator_seconds_lost_then_the_youngest_and_unneeded_ones_are_kept()
    {
        var offer = Build.Offer(("H100", 8)) with { Preemptible = true, ReclaimGraceS = 0 };
        var s = new RegionScheduler(Build.Region("a", offer, Build.Pool("H100", 8)), ReclaimOn);
        s.Enqueue(1, Build.Job("old-big", 4, 10_000, home: "b"), 0);
        Run(s, 0);
        s.Enqueue(2, Build.Job("young-small", 1, 10_000, home: "b"), 100);
        Run(s, 100);
        s.Enqueue(3, Build.Job("young-big", 3, 10_000, home: "c"), 200);
        Run(s, 200);

        // At 300: old-big lost 4 × 300 = 1200, young-small 1 × 200 = 200, young-big 3 × 100 = 300.
        // Need 4: cheapest first takes young-small + young-big (4 accelerators, 500 lost), not old-big.
        s.Enqueue(4, Build.Job("home", 4, 100), 300);
        Run(s, 300);
        var victims = Reclaim(s, 300);
        Assert.Equal([2L, 3L], victims.Select(v => v.Ticket).Order().ToArray());
        Assert.All(victims, v => Assert.Equal(300, v.ReclaimAtS));

        // A cheap victim the others already cover is dropped again: need 3 → young-small (1) is not needed once
        // young-big (3) is in.
        var t = new RegionScheduler(Build.Region("a", offer, Build.Pool("H100", 8)), ReclaimOn);
        t.Enqueue(1, Build.Job("old-big", 5, 10_000, home: "b"), 0);
        Run(t, 0);
        t.Enqueue(2, Build.Job("young-small", 1, 10_000, home: "b"), 100);
        t.Enqueue(3, Build.Job("young-big", 2, 10_000, home: "c"), 100);
        Run(t, 100);
        t.Enqueue(4, Build.Job("home", 2, 100), 200);
        Run(t, 200);
        Assert.Equal(3, Assert.Single(Reclaim(t, 200)).Ticket);
    }

    [Fact]
    public void Nothing_is_preempted_when_running_jobs_free_the_gang_within_the_grace_period_or_preemption_cannot_free_it()
    {
        var s = Lender(grace: 100);
        s.Enqueue(1, Build.Job("home-running", 4, 50), 0);
        s.Enqueue(2, Build.Job("lent", 6, 10_000, home: "b"), 0);
        Run(s, 0);

        // Home job needing 4: the home job ending at 50 frees them before 0 + 100.
        s.Enqueue(3, Build.Job("home", 4, 100), 0);
        Assert.Empty(Run(s, 0));
        Assert.Empty(Reclaim(s, 0));

        // Home job needing more than the pool minus what home jobs hold for hours: preempting cannot help.
        var t = Lender(grace: 10);
        t.Enqueue(1, Build.Job("home-running", 4, 10_000), 0);
        t.Enqueue(2, Build.Job("home-running-2", 2, 10_000), 0);
        t.Enqueue(3, Build.Job("lent", 4, 10_000, home: "b"), 0);
        Assert.Equal(3, Run(t, 0).Count);
        t.Enqueue(4, Build.Job("home", 5, 100), 0);
        Run(t, 0);
        Assert.Empty(Reclaim(t, 0));
        Assert.Equal(0, t.PreemptionCount);
    }

    [Fact]
    public void Home_jobs_are_never_preempted_and_an_external_head_preempts_nothing()
    {
        var s = Lender();
        s.Enqueue(1, Build.Job("home-running", 10, 10_000), 0);
        Run(s, 0);
        s.Enqueue(2, Build.Job("home", 1, 100), 0);
        Run(s, 0);
        Assert.Empty(Reclaim(s, 0));

        var t = Lender();
        t.Enqueue(1, Build.Job("lent", 6, 10_000, home: "b"), 0);
        t.Enqueue(2, Build.Job("home-running", 4, 10_000), 0);
        Run(t, 0);
        t.Enqueue(3, Build.Job("external-head", 2, 100, home: "c"), 0);
        Run(t, 0);
        Assert.Equal(3, t.QueuedAt(0).Ticket);
        Assert.Empty(Reclaim(t, 0));
    }

    [Fact]
    public void A_non_preemptible_offer_preempts_nothing_and_lends_only_what_ends_inside_its_window()
    {
        var offer = new SpareCapacityOffer([new OfferedAccelerators("H100", 6)], 0, 1_000, false);
        var s = new RegionScheduler(Build.Region("a", offer, Build.Pool("H100", 10)), ReclaimOn);
        s.Enqueue(1, Build.Job("lent-fits", 6, 900, home: "b"), 0);
        Assert.Single(Run(s, 0));
        Assert.Equal(ConstraintFailure.OutsideOfferWindow, s.Enqueue(9, Build.Job("lent-too-long", 1, 1_001, home: "b"), 0));

        s.Enqueue(2, Build.Job("home", 8, 100), 10);
        Assert.Empty(Run(s, 10));
        Assert.Empty(Reclaim(s, 10));
        Assert.False(s.IsReclaiming(1));
    }

    [Fact]
    public void Reclaim_off_by_default_preempts_nothing_and_keeps_fifo_between_home_and_external_jobs()
    {
        var off = Lender(options: SchedulerOptions.Default);
        Assert.False(SchedulerOptions.Default.Reclaim);
        off.Enqueue(1, Build.Job("home-running", 4, 10_000), 0);
        off.Enqueue(2, Build.Job("lent", 6, 10_000, home: "b"), 0);
        Run(off, 0);
        off.Enqueue(3, Build.Job("queued-external", 1, 100, home: "b"), 1);
        off.Enqueue(4, Build.Job("home", 5, 100), 2);
        Assert.Empty(Reclaim(off, 2));
        Assert.Equal(3, off.QueuedAt(0).Ticket);

        var on = Lender();
        on.Enqueue(1, Build.Job("home-running", 4, 10_000), 0);
        on.Enqueue(2, Build.Job("lent", 6, 10_000, home: "b"), 0);
        Run(on, 0);
        on.Enqueue(3, Build.Job("queued-external", 1, 100, home: "b"), 1);
        on.Enqueue(4, Build.Job("home", 5, 100), 2);
        on.Enqueue(5, Build.Job("home-high", 1, 100, priority: 1), 3);
        on.Enqueue(6, Build.Job("external-high", 1, 100, home: "b", priority: 1), 4);
        Assert.Equal([5L, 6L, 4L, 3L], Enumerable.Range(0, on.QueuedCount).Select(i => on.QueuedAt(i).Ticket).ToArray());
    }

    [Fact]
    public void The_grace_period_comes_from_the_offer_file_and_defaults_to_the_named_constant()
    {
        Assert.Equal(SpareCapacityOffer.DefaultReclaimGraceS, SpareCapacityOffer.None.ReclaimGraceS);
        var json = """
            {"regions":[{"id":"a","name":"a","storagePb":1,"pools":[{"type":"H100","count":4,"pfPerUnit":1,"memoryGb":80}],
             "offer":{"accelerators":[{"type":"H100","count":2}],"preemptible":true,"reclaimGraceS":30}}]}
            """;
        var m = MegaregionLoader.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json)));
        Assert.Equal(30, m.Regions[0].Offer.ReclaimGraceS);
        Assert.True(m.Regions[0].Offer.Preemptible);
        var bad = json.Replace("30", "-1", StringComparison.Ordinal);
        var e = Assert.Throws<MegaregionFormatException>(() => MegaregionLoader.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(bad))));
        Assert.Equal("regions[0].offer.reclaimGraceS must be a finite number >= 0", e.Message);
    }

    [Fact]
    public void Under_reclaim_a_home_job_is_estimated_to_start_when_the_lent_accelerators_come_back_and_an_external_one_is_not()
    {
        var s = Lender(grace: 100);
        s.Enqueue(1, Build.Job("home-running", 4, 10_000), 0);
        s.Enqueue(2, Build.Job("lent", 6, 5_000, home: "b"), 0);
        Run(s, 0);
        Assert.Equal(100, s.EstimateStart(Build.Job("home", 6, 100), 0, 0));
        Assert.Equal(5_000, s.EstimateStart(Build.Job("external", 6, 100, home: "c"), 0, 0));

        var off = Lender(grace: 100, options: SchedulerOptions.Default);
        off.Enqueue(1, Build.Job("home-running", 4, 10_000), 0);
        off.Enqueue(2, Build.Job("lent", 6, 5_000, home: "b"), 0);
        Run(off, 0);
        Assert.Equal(5_000, off.EstimateStart(Build.Job("home", 6, 100), 0, 0));
        Assert.True(s.ReclaimsLentCapacity);
        Assert.False(off.ReclaimsLentCapacity);
        Assert.False(Lender(preemptible: false).ReclaimsLentCapacity);
    }

    [Fact]
    public void Placement_charges_a_job_the_grace_period_of_a_region_that_reclaims_and_nothing_without_reclaim()
    {
        var a = Build.Region("a", Build.Offer(("H100", 4)) with { Preemptible = true, ReclaimGraceS = 100 }, Build.Pool("H100", 4));
        var b = Build.Region("b", Build.Offer(("H100", 4)) with { Preemptible = true, ReclaimGraceS = 100 }, Build.Pool("H100", 4));
        var mega = Build.Mega([a, b], new Link("a", "b", 0, 400));
        var scores = new CandidateScore[2];
        var job = Build.Job("j", 4, 1_000, home: "b");

        foreach (var (options, penalty, chosen) in new[] { (ReclaimOn, 100.0, 0), (SchedulerOptions.Default, 0.0, 0) })
        {
            // b is busy for 150 s with its own job, a is free: a wins by 150 − penalty.
            RegionScheduler[] regions = [new(a, options), new(b, options)];
            regions[1].Enqueue(9, Build.Job("b-own", 4, 150, home: "b"), 0);
            regions[1].Schedule(0, []);
            Assert.Equal(chosen, Placement.Decide(PlacementPolicy.EarliestStart, job, mega, regions, 0, scores, new Random(1)));
            Assert.Equal(penalty, scores[0].PenaltyS);
            Assert.Equal(penalty, scores[0].Score);
            Assert.Equal(150, scores[1].Score);
        }

        // Busy for only 50 s at home: under reclaim the job waits at home rather than run where it can be reclaimed.
        RegionScheduler[] r2 = [new(a, ReclaimOn), new(b, ReclaimOn)];
        r2[1].Enqueue(9, Build.Job("b-own", 4, 50, home: "b"), 0);
        r2[1].Schedule(0, []);
        Assert.Equal(1, Placement.Decide(PlacementPolicy.EarliestStart, job, mega, r2, 0, scores, new Random(1)));
    }
}

using System.Collections.Immutable;
using Federation.Scheduling;

namespace Federation.Simulator;

/// <summary>Engine parameters.</summary>
public sealed record EngineOptions
{
    /// <summary>Default for <see cref="RebalanceIntervalS"/>.</summary>
    public const double DefaultRebalanceIntervalS = 300;

    /// <summary>Default for <see cref="UtilizationBuckets"/>.</summary>
    public const int DefaultUtilizationBuckets = 200;

    public long Seed { get; init; } = 1;

    /// <summary>Simulated seconds between rebalancer rounds.</summary>
    public double RebalanceIntervalS { get; init; } = DefaultRebalanceIntervalS;

    public RebalancerOptions Rebalancer { get; init; } = RebalancerOptions.Default;

    public PlacementOptions Placement { get; init; } = PlacementOptions.Default;

    public SchedulerOptions Scheduler { get; init; } = SchedulerOptions.Default;

    /// <summary>Time buckets of the utilization-over-time series (over the trace's submit span).</summary>
    public int UtilizationBuckets { get; init; } = DefaultUtilizationBuckets;

    /// <summary>
    /// Reclaim of lent capacity (issue 16): every region's offer is replayed as preemptible and each region runs
    /// <see cref="RegionScheduler.PlanReclaim"/> after its backfill pass (<see cref="SchedulerOptions.Reclaim"/>).
    /// </summary>
    public bool Reclaim { get; init; }
}

/// <summary>A stretch a job ran before it was preempted (its last stretch is in <see cref="PolicyResult.LastStartS"/> / <see cref="PolicyResult.EndS"/>).</summary>
public readonly record struct RunSegment(int Job, int Region, int Pool, double StartS, double EndS, bool External);

/// <summary>What one policy's run produced, per job (indexed like <see cref="Workload.Jobs"/>) and per region.</summary>
public sealed class PolicyResult
{
    internal PolicyResult(SimPolicy policy, Megaregion megaregion, int jobs, int buckets, double bucketS)
    {
        Policy = policy;
        Megaregion = megaregion;
        Region = new int[jobs];
        Pool = new int[jobs];
        StartS = new double[jobs];
        LastStartS = new double[jobs];
        EndS = new double[jobs];
        Preemptions = new int[jobs];
        SuspendedS = new double[jobs];
        PreemptionsByRegion = new int[megaregion.Regions.Length];
        Moves = new int[jobs];
        DataMovedGb = new double[jobs];
        External = new bool[jobs];
        Array.Fill(Region, -1);
        BusyAcceleratorS = new double[megaregion.Regions.Length][];
        for (var r = 0; r < BusyAcceleratorS.Length; r++)
        {
            BusyAcceleratorS[r] = new double[buckets];
        }

        BucketS = bucketS;
    }

    public SimPolicy Policy { get; }

    /// <summary>The megaregion as simulated (one region, <c>pooled</c>, for the pooled policy).</summary>
    public Megaregion Megaregion { get; }

    /// <summary>Region index each job ran in; -1 if it never ran.</summary>
    public int[] Region { get; }

    public int[] Pool { get; }

    /// <summary>First start of each job.</summary>
    public double[] StartS { get; }

    /// <summary>Start of each job's last stretch (= <see cref="StartS"/> unless it was preempted).</summary>
    public double[] LastStartS { get; }

    public double[] EndS { get; }

    /// <summary>Times each job was preempted (reclaimed by a lender).</summary>
    public int[] Preemptions { get; }

    /// <summary>Seconds each job spent requeued after preemptions (from each reclaim to the next start).</summary>
    public double[] SuspendedS { get; }

    /// <summary>Preemptions by the region that reclaimed its accelerators.</summary>
    public int[] PreemptionsByRegion { get; }

    /// <summary>Stretches that ended in a preemption, in the order they happened.</summary>
    public List<RunSegment> PreemptedSegments { get; } = [];

    /// <summary>Rebalancer moves per job.</summary>
    public int[] Moves { get; }

    /// <summary>Dataset GB copied out of the dataset's region for each job (once per placement or move away from it).</summary>
    public double[] DataMovedGb { get; }

    /// <summary>Whether the job ran as an external job (inside the region's offer).</summary>
    public bool[] External { get; }

    /// <summary>Busy accelerator-seconds per region per time bucket.</summary>
    public double[][] BusyAcceleratorS { get; }

    public double BucketS { get; }

    public long Events { get; internal set; }

    public int RebalanceRounds { get; internal set; }
}

/// <summary>
/// The discrete-event simulation of one policy. Events: job arrival (from the trace, in order), data arrival
/// in the chosen region (after the dataset transfer), completion. At equal times completions go first, then
/// data arrivals, then new submissions, then the rebalancer. After every event the touched region runs its
/// EASY-backfill pass (<see cref="RegionScheduler.Schedule"/>). The placement, queue and rebalancer are the
/// <c>Federation.Scheduling</c> code the grains use.
/// </summary>
public static class SimulationEngine
{
    public static PolicyResult Run(Workload workload, SimPolicy policy, EngineOptions options, Action<int>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(options);
        var pooled = policy == SimPolicy.Pooled;
        var reclaim = options.Reclaim && !pooled;
        var mega = pooled ? Pool(workload.Megaregion) : reclaim ? PreemptibleOffers(workload.Megaregion) : workload.Megaregion;
        var jobs = workload.Jobs;
        var n = mega.Regions.Length;
        var buckets = Math.Max(1, options.UtilizationBuckets);
        var bucketS = Math.Max(1.0, workload.HorizonS) / buckets;
        var result = new PolicyResult(policy, mega, jobs.Length, buckets, bucketS);
        var scheds = new RegionScheduler[n];
        var schedOptions = reclaim ? options.Scheduler with { Reclaim = true } : options.Scheduler;
        for (var r = 0; r < n; r++)
        {
            scheds[r] = new RegionScheduler(mega.Regions[r], schedOptions);
        }

        // Per job: the spec the scheduler sees (its estimate shrinks with what ran before a preemption), the actual
        // run time left, and where and until when it runs now (-1 / NaN when not running).
        var spec = new JobSpec[jobs.Length];
        var remaining = new double[jobs.Length];
        var runningIn = new int[jobs.Length];
        var runningEnd = new double[jobs.Length];
        var reclaimedAt = new double[jobs.Length];
        for (var j = 0; j < jobs.Length; j++)
        {
            spec[j] = jobs[j].Spec;
            remaining[j] = jobs[j].DurationS;
        }

        Array.Fill(runningIn, -1);
        Array.Fill(runningEnd, double.NaN);
        var preemptions = new List<Preemption>();

        var placementPolicy = policy switch
        {
            SimPolicy.Isolated => PlacementPolicy.Isolated,
            SimPolicy.Random => PlacementPolicy.Random,
            SimPolicy.LeastLoaded => PlacementPolicy.LeastLoaded,
            _ => PlacementPolicy.EarliestStart,
        };
        var rebalance = policy == SimPolicy.EarliestStartRebalance;
        var heap = new EventHeap();
        var started = new List<StartedJob>(64);
        var scores = new CandidateScore[n];
        var rng = new Random((int)(options.Seed ^ (options.Seed >> 32)) ^ (int)policy);
        var moves = new List<RebalanceMove>();
        var planned = new double[n];
        var nextRebalance = rebalance ? options.RebalanceIntervalS : double.PositiveInfinity;
        var ai = 0;
        var reported = 0;
        long events = 0;

        while (true)
        {
            var ta = ai < jobs.Length ? jobs[ai].SubmitS : double.PositiveInfinity;
            var te = heap.Count > 0 ? heap.PeekTime : double.PositiveInfinity;
            if (double.IsPositiveInfinity(ta) && double.IsPositiveInfinity(te))
            {
                break;
            }

            events++;
            if (te <= ta && te <= nextRebalance)
            {
                var ev = heap.Pop();
                if (ev.Kind == EventKind.Completion)
                {
                    // A preempted stretch's completion is stale: the job runs elsewhere or later, or not at all.
                    if (runningIn[ev.Job] != ev.Region || runningEnd[ev.Job] != ev.Time)
                    {
                        continue;
                    }

                    scheds[ev.Region].Complete(ev.Job);
                    runningIn[ev.Job] = -1;
                }
                else if (ev.Kind == EventKind.Reclaim)
                {
                    if (runningIn[ev.Job] != ev.Region || !scheds[ev.Region].IsReclaiming(ev.Job))
                    {
                        // It ended on its own before its grace period was over.
                        continue;
                    }

                    Requeue(ev.Job, ev.Region, ev.Time);
                }
                else
                {
                    EnqueueAt(ev.Job, ev.Region, ev.Time);
                }

                ScheduleRegion(ev.Region, ev.Time);
            }
            else if (ta <= nextRebalance)
            {
                var j = ai++;
                Arrive(j, ta);
                if ((ai & 0xFFF) == 0)
                {
                    ct.ThrowIfCancellationRequested();
                    progress?.Invoke(ai - reported);
                    reported = ai;
                }
            }
            else
            {
                var now = nextRebalance;
                nextRebalance += options.RebalanceIntervalS;
                Rebalance(now);
            }
        }

        progress?.Invoke(jobs.Length - reported);
        result.Events = events;
        return result;

        void Arrive(int j, double now)
        {
            var job = jobs[j];
            if (pooled)
            {
                scheds[0].EnqueueChecked(j, job.Spec, now, false, 1);
                ScheduleRegion(0, now);
                return;
            }

            var r = Placement.Decide(placementPolicy, spec[j], mega, scheds, now, scores, rng, options.Placement);
            if (r < 0)
            {
                // The home region is feasible by construction (WorkloadBuilder), so this only happens with a
                // megaregion whose offer windows or links exclude everything; the job then never runs.
                return;
            }

            PlaceAt(j, r, now);
        }

        void PlaceAt(int j, int r, double now)
        {
            var job = jobs[j];
            var transfer = mega.TransferTimeS(job.Dataset, r, job.Spec.DatasetSizeGb);
            if (r != job.Dataset)
            {
                result.DataMovedGb[j] += job.Spec.DatasetSizeGb;
            }

            if (transfer > 0)
            {
                heap.Push(now + transfer, EventKind.DataArrived, j, r);
                return;
            }

            EnqueueAt(j, r, now);
            ScheduleRegion(r, now);
        }

        void EnqueueAt(int j, int r, double now)
        {
            var s = spec[j];
            if (pooled)
            {
                scheds[0].EnqueueChecked(j, s, now, false, 1);
                return;
            }

            if (scheds[r].Enqueue(j, s, now) != ConstraintFailure.None)
            {
                // The region's offer closed while the data was in flight: the job goes home, where it always fits.
                var home = jobs[j].Home;
                scheds[home].Enqueue(j, s, now);
                ScheduleRegion(home, now);
            }
        }

        // The lender takes its accelerators back: the job keeps what it ran (it checkpointed during the grace period)
        // and the federation places the rest again, by the same policy, as a new submission from its home.
        void Requeue(int j, int r, double now)
        {
            scheds[r].Complete(j);
            var ran = now - result.LastStartS[j];
            result.PreemptedSegments.Add(new RunSegment(j, r, result.Pool[j], result.LastStartS[j], now, result.External[j]));
            AddBusy(result.BusyAcceleratorS[r], bucketS, now, runningEnd[j], -jobs[j].Spec.AcceleratorCount);
            runningIn[j] = -1;
            runningEnd[j] = double.NaN;
            reclaimedAt[j] = now;
            result.Preemptions[j]++;
            result.PreemptionsByRegion[r]++;
            var before = remaining[j];
            remaining[j] = Math.Max(0, before - ran);
            spec[j] = spec[j] with { EstimatedDurationS = spec[j].EstimatedDurationS * (remaining[j] / before) };

            // The region's own job waiting for these accelerators starts first; then the federation places the rest.
            ScheduleRegion(r, now);
            Arrive(j, now);
        }

        void ScheduleRegion(int r, double now)
        {
            started.Clear();
            scheds[r].Schedule(now, started);
            foreach (var s in started)
            {
                var j = (int)s.Ticket;
                if (runningIn[j] >= 0 || (result.Region[j] >= 0 && result.Preemptions[j] == 0))
                {
                    throw new InvalidOperationException($"job {jobs[j].Spec.Id} started twice (in {mega.Regions[Math.Max(0, result.Region[j])].Id} and {mega.Regions[r].Id})");
                }

                var end = now + remaining[j];
                if (result.Preemptions[j] == 0)
                {
                    result.StartS[j] = now;
                }
                else
                {
                    result.SuspendedS[j] += now - reclaimedAt[j];
                }

                result.Region[j] = r;
                result.Pool[j] = s.PoolIndex;
                result.LastStartS[j] = now;
                result.EndS[j] = end;
                result.External[j] = s.External;
                runningIn[j] = r;
                runningEnd[j] = end;
                heap.Push(end, EventKind.Completion, j, r);
                AddBusy(result.BusyAcceleratorS[r], bucketS, now, end, s.Job.AcceleratorCount);
            }

            if (!reclaim)
            {
                return;
            }

            preemptions.Clear();
            scheds[r].PlanReclaim(now, preemptions);
            foreach (var p in preemptions)
            {
                heap.Push(p.ReclaimAtS, EventKind.Reclaim, (int)p.Ticket, r);
            }
        }

        void Rebalance(double now)
        {
            var anyQueued = false;
            foreach (var s in scheds)
            {
                anyQueued |= s.QueuedCount > 0;
            }

            if (!anyQueued)
            {
                return;
            }

            result.RebalanceRounds++;
            moves.Clear();
            Rebalancer.Plan(mega, scheds, now, options.Rebalancer, moves, planned);
            foreach (var m in moves)
            {
                if (!scheds[m.FromRegion].TryRemoveQueued(m.Ticket))
                {
                    continue;
                }

                var j = (int)m.Ticket;
                result.Moves[j]++;
                PlaceAt(j, m.ToRegion, now);
                ScheduleRegion(m.FromRegion, now);
            }
        }
    }

    /// <summary>The megaregion with every region's offer preemptible (same accelerators, window and grace period).</summary>
    public static Megaregion PreemptibleOffers(Megaregion m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var regions = ImmutableArray.CreateBuilder<Region>(m.Regions.Length);
        foreach (var r in m.Regions)
        {
            regions.Add(r with { Offer = r.Offer with { Preemptible = true } });
        }

        return new Megaregion(regions.MoveToImmutable(), m.Links);
    }

    /// <summary>The pooled lower bound: one region with the megaregion's total accelerators in a single pool.</summary>
    public static Megaregion Pool(Megaregion m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var mem = 0;
        var pf = 0.0;
        foreach (var r in m.Regions)
        {
            foreach (var p in r.Pools)
            {
                mem = Math.Max(mem, p.MemoryGb);
                pf = Math.Max(pf, p.PetaflopsPerUnit);
            }
        }

        var pool = new AcceleratorPool("any", m.TotalAccelerators, pf, mem);
        var region = new Region("pooled", "pooled megaregion (lower bound)", [pool], 0, true, SpareCapacityOffer.None);
        return new Megaregion([region], ImmutableArray<Link>.Empty);
    }

    private static void AddBusy(double[] series, double bucketS, double start, double end, int count)
    {
        var b = (int)(start / bucketS);
        while (b < series.Length)
        {
            var bs = b * bucketS;
            var be = bs + bucketS;
            var overlap = Math.Min(end, be) - Math.Max(start, bs);
            if (overlap <= 0)
            {
                break;
            }

            series[b] += overlap * count;
            b++;
        }
    }
}

namespace Federation.Scheduling;

/// <summary>
/// A lent job the region takes its accelerators back from: the job gets a checkpoint signal at
/// <paramref name="SignalS"/> and its accelerators return to the region at <paramref name="ReclaimAtS"/>
/// (signal + the offer's grace period). The caller then calls <see cref="RegionScheduler.Complete"/> for it (unless it
/// ended on its own first) and requeues it through the federation, charging only what ran.
/// </summary>
public readonly record struct Preemption(long Ticket, int PoolIndex, int Count, double SignalS, double ReclaimAtS)
{
    /// <summary>The job was preempted because it runs over its project's allocation (else: it runs on lent accelerators).</summary>
    public bool OverAllocation { get; init; }
}

/// <summary>
/// Reclaim (issue 16): the region's own job at the head of the queue gets back accelerators lent to external jobs.
/// When the head is one of the region's own jobs, cannot start now and would not find its gang free by
/// <c>now + grace</c> from the running jobs' estimated ends alone, but would if some lent jobs of a pool gave their
/// accelerators back, those lent jobs are preempted: the ones losing the fewest accelerator-seconds of work
/// (count × time run), youngest first, then the highest ticket; victims that turn out unnecessary are dropped again;
/// among the head's pools the one losing the least work wins (then the fewest accelerators, then the lower index).
/// A preempted job's estimated end becomes its reclaim time, so EASY reserves the head's gang for then and backfill
/// cannot take it. Lent jobs are only ever preempted under a preemptible offer; under a non-preemptible one the
/// offer's window already admits only lends that end inside it (<see cref="SpareCapacityOffer.Admits"/>).
/// The region's own jobs are never preempted, unless they run over their project's allocation: such jobs
/// (<see cref="JobSpec.OverAllocation"/>) are preempted first, before any lent job, for a head that is not over allocation.
/// </summary>
public sealed partial class RegionScheduler
{
    private Victim[] _victims = new Victim[16];
    private Victim[] _bestVictims = new Victim[16];
    private int _reclaiming;
    private int _overAllocationRunning;

    /// <summary>Running lent jobs that have been told to give their accelerators back and have not yet.</summary>
    public int ReclaimingCount => _reclaiming;

    /// <summary>Lent jobs preempted by <see cref="PlanReclaim"/> so far.</summary>
    public long PreemptionCount { get; private set; }

    /// <summary>Running jobs over their project's allocation (<see cref="JobSpec.OverAllocation"/>).</summary>
    public int OverAllocationRunningCount => _overAllocationRunning;

    /// <summary>
    /// Whether <see cref="PlanReclaim"/> can find anything to preempt: lent capacity under a preemptible offer with
    /// reclaim on, or a running job over allocation.
    /// </summary>
    public bool MayPreempt => ReclaimsLentCapacity || (Options.PreemptOverAllocation && _overAllocationRunning > 0);

    /// <summary>
    /// Picks the running jobs to preempt for the head of the queue at <paramref name="nowS"/> (call it after
    /// <see cref="Schedule"/>), appends them to <paramref name="preemptions"/> and returns how many. Jobs over allocation
    /// (with <see cref="SchedulerOptions.PreemptOverAllocation"/>) go first, for a head of the region's own that is not
    /// over allocation itself; lent jobs (with <see cref="SchedulerOptions.Reclaim"/> and a preemptible offer) only when
    /// those are not enough, for a head of the region's own. Returns 0 when nothing may be preempted, the head can start
    /// by <c>now + grace</c> (the offer's grace period) without preempting anything, or preempting every candidate would
    /// still not let it start then.
    /// </summary>
    public int PlanReclaim(double nowS, List<Preemption> preemptions)
    {
        ArgumentNullException.ThrowIfNull(preemptions);
        var offer = Region.Offer;
        if (_queueLen == 0)
        {
            return 0;
        }

        ref readonly var head = ref Q(0);
        if (head.External || head.OverAllocation)
        {
            return 0;
        }

        var lent = Options.Reclaim && offer.Preemptible;
        var over = Options.PreemptOverAllocation && _overAllocationRunning > 0;
        if (!lent && !over)
        {
            return 0;
        }

        var reclaimAt = nowS + offer.ReclaimGraceS;
        var bestPool = -1;
        var bestLent = int.MaxValue;
        var bestLost = double.PositiveInfinity;
        var bestCount = int.MaxValue;
        var bestLen = 0;
        var mask = head.Mask;
        while (mask != 0)
        {
            var p = System.Numerics.BitOperations.TrailingZeroCount(mask);
            mask &= mask - 1;
            var pool = _pools[p];
            if (pool.Capacity < head.Count)
            {
                continue;
            }

            // Accelerators free by the reclaim time without preempting anything (items are sorted by end).
            var avail = pool.Capacity - pool.Busy;
            var items = pool.Items;
            var k = 0;
            for (; k < pool.Len && items[k].EndS <= reclaimAt; k++)
            {
                avail += items[k].Count;
            }

            if (avail >= head.Count)
            {
                return 0;
            }

            var need = head.Count - avail;
            var len = 0;
            var preemptible = 0;
            for (; k < pool.Len; k++)
            {
                ref readonly var it = ref items[k];
                var overVictim = over && it.OverAllocation;
                if (it.Reclaiming || !(overVictim || (lent && it.External)))
                {
                    continue;
                }

                if (len == _victims.Length)
                {
                    Array.Resize(ref _victims, len * 2);
                }

                var ran = double.IsNaN(it.StartS) ? double.PositiveInfinity : Math.Max(0, nowS - it.StartS);
                _victims[len++] = new Victim(overVictim ? 0 : 1, it.Count * ran, it.StartS, it.Ticket, it.Count);
                preemptible += it.Count;
            }

            if (preemptible < need)
            {
                continue;
            }

            var chosen = Choose(_victims, len, need, out var lost, out var count, out var lentTaken);
            if (lentTaken < bestLent || (lentTaken == bestLent && (lost < bestLost || (lost == bestLost && count < bestCount))))
            {
                bestPool = p;
                bestLent = lentTaken;
                bestLost = lost;
                bestCount = count;
                bestLen = chosen;
                (_victims, _bestVictims) = (_bestVictims, _victims);
            }
        }

        if (bestPool < 0)
        {
            return 0;
        }

        for (var v = 0; v < bestLen; v++)
        {
            var ticket = _bestVictims[v].Ticket;
            MarkReclaiming(_pools[bestPool], ticket, reclaimAt);
            preemptions.Add(new Preemption(ticket, bestPool, _bestVictims[v].Count, nowS, reclaimAt) { OverAllocation = _bestVictims[v].Category == 0 });
        }

        PreemptionCount += bestLen;
        _reclaiming += bestLen;
        _dirty = true;
        _stateChanged = true;
        return bestLen;
    }

    /// <summary>Whether <paramref name="ticket"/> runs here and has been told to give its accelerators back.</summary>
    public bool IsReclaiming(long ticket)
    {
        if (!_runningPool.TryGetValue(ticket, out var p))
        {
            return false;
        }

        var pool = _pools[p];
        for (var i = 0; i < pool.Len; i++)
        {
            if (pool.Items[i].Ticket == ticket)
            {
                return pool.Items[i].Reclaiming;
            }
        }

        return false;
    }

    /// <summary>
    /// Sorts the first <paramref name="len"/> candidates cheapest first and keeps the shortest prefix covering
    /// <paramref name="need"/>, then drops (most expensive first) any victim the others already cover.
    /// Returns how many victims remain at the front of <paramref name="v"/>.
    /// </summary>
    private static int Choose(Victim[] v, int len, int need, out double lost, out int count, out int lentTaken)
    {
        // Insertion sort: candidates per pool are few, and it allocates nothing.
        for (var i = 1; i < len; i++)
        {
            var x = v[i];
            var j = i - 1;
            while (j >= 0 && Before(in x, in v[j]))
            {
                v[j + 1] = v[j];
                j--;
            }

            v[j + 1] = x;
        }

        var n = 0;
        count = 0;
        while (count < need)
        {
            count += v[n++].Count;
        }

        for (var i = n - 1; i >= 0; i--)
        {
            if (count - v[i].Count >= need)
            {
                count -= v[i].Count;
                Array.Copy(v, i + 1, v, i, n - i - 1);
                n--;
            }
        }

        lost = 0;
        lentTaken = 0;
        for (var i = 0; i < n; i++)
        {
            lost += v[i].Lost;
            if (v[i].Category != 0)
            {
                lentTaken += v[i].Count;
            }
        }

        return n;
    }

    /// <summary>Cheapest first: jobs over allocation before lent jobs, then least work lost, then the youngest (latest start), then the highest ticket.</summary>
    private static bool Before(in Victim a, in Victim b)
    {
        if (a.Category != b.Category)
        {
            return a.Category < b.Category;
        }

        if (a.Lost != b.Lost)
        {
            return a.Lost < b.Lost;
        }

        var sa = double.IsNaN(a.StartS) ? double.NegativeInfinity : a.StartS;
        var sb = double.IsNaN(b.StartS) ? double.NegativeInfinity : b.StartS;
        return sa != sb ? sa > sb : a.Ticket > b.Ticket;
    }

    private static void MarkReclaiming(PoolState pool, long ticket, double reclaimAtS)
    {
        for (var i = 0; i < pool.Len; i++)
        {
            if (pool.Items[i].Ticket == ticket)
            {
                var item = pool.RemoveAt(i);
                pool.Insert(item with { EndS = reclaimAtS, Reclaiming = true });
                return;
            }
        }

        throw new InvalidOperationException($"ticket {ticket} is not running in the pool it was chosen from");
    }

    /// <summary>A candidate: <paramref name="Category"/> 0 for a job over allocation, 1 for a lent job.</summary>
    private readonly record struct Victim(int Category, double Lost, double StartS, long Ticket, int Count);
}

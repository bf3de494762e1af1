namespace Federation.Scheduling;

/// <summary>A job the scheduler just started.</summary>
public readonly record struct StartedJob(long Ticket, JobSpec Job, int PoolIndex, bool External, double StartS);

/// <summary>A read-only view of one queued job.</summary>
public readonly record struct QueuedJobView(long Ticket, JobSpec Job, bool External, double EnqueuedS);

/// <summary>Tuning of <see cref="RegionScheduler"/>.</summary>
public sealed record SchedulerOptions
{
    /// <summary>Default for <see cref="BackfillDepth"/> (Slurm's <c>bf_max_job_test</c> default is 500).</summary>
    public const int DefaultBackfillDepth = 500;

    /// <summary>Default for <see cref="EstimateDepth"/>.</summary>
    public const int DefaultEstimateDepth = 64;

    /// <summary>How many queued jobs behind the head one backfill pass considers.</summary>
    public int BackfillDepth { get; init; } = DefaultBackfillDepth;

    /// <summary>
    /// How many queued jobs the start-time estimate places individually in the availability profile;
    /// the work of the rest is spread over the region's capacity (a fluid approximation).
    /// </summary>
    public int EstimateDepth { get; init; } = DefaultEstimateDepth;

    /// <summary>
    /// When only jobs were appended to the tail of the queue since the last pass (no start, completion, removal or
    /// priority insertion), the next pass tests only the new jobs: every older one failed the same test against the
    /// same state. Gives the same schedule as a full pass (a test compares both); off only to check exactly that.
    /// </summary>
    public bool IncrementalBackfill { get; init; } = true;

    /// <summary>
    /// Lending that never hurts the lender (issue 16): the region's own jobs queue ahead of external jobs of the same
    /// priority, and when the region's own job at the head of the queue could start only on accelerators lent to
    /// external jobs, <see cref="RegionScheduler.PlanReclaim"/> picks lent jobs to preempt (only under a
    /// <see cref="SpareCapacityOffer.Preemptible"/> offer). The region's own jobs are then estimated as if lent
    /// accelerators came back after the grace period, and placement charges a job the grace period for running
    /// where it can be reclaimed (<see cref="RegionScheduler.ReclaimsLentCapacity"/>). Off by default: the schedule
    /// is then exactly the one without reclaim.
    /// </summary>
    public bool Reclaim { get; init; }

    /// <summary>
    /// Allocations enforced (issue 16): a job over its project's allocation (<see cref="JobSpec.OverAllocation"/>)
    /// runs only on spare capacity. It always queues behind every other job, whatever the priorities, and when a job
    /// that is not over allocation is at the head of the queue and cannot start, <see cref="RegionScheduler.PlanReclaim"/>
    /// takes accelerators back from running over-allocation jobs before it takes any from lent jobs. On by default:
    /// with no over-allocation job queued or running, the schedule is exactly the one without it.
    /// </summary>
    public bool PreemptOverAllocation { get; init; } = true;

    public static SchedulerOptions Default { get; } = new();
}

/// <summary>
/// One region's scheduler: running allocations per pool, a local queue ordered by priority then FIFO,
/// and EASY backfill (the head job gets a reservation at the earliest time enough accelerators free up,
/// from the running jobs' estimated ends; a later job may start now only if it does not delay that
/// reservation). Single-threaded; times are seconds on the caller's clock. Gangs are all-or-nothing in
/// one pool. Jobs from other regions (external) use at most the region's offer, per type.
/// </summary>
public sealed partial class RegionScheduler
{
    private readonly PoolState[] _pools;
    private readonly Dictionary<long, int> _runningPool = new();
    private readonly int _capacity;
    // The queue is _queue[_qHead .. _qHead + _queueLen): starts from the head (the common case) and removals near
    // the front move the front part, so a long queue costs no copying per start.
    private QueueEntry[] _queue = new QueueEntry[16];
    private int _qHead;
    private int _queueLen;
    private long _seq;
    private int _busy;
    private long _queuedDemand;
    private bool _stateChanged = true;
    private int _cleanPrefix;

    public RegionScheduler(Region region, SchedulerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(region);
        if (region.Pools.Length > HardConstraints.MaxPoolsPerRegion)
        {
            throw new ArgumentException($"region {region.Id} has more than {HardConstraints.MaxPoolsPerRegion} pools", nameof(region));
        }

        Region = region;
        Options = options ?? SchedulerOptions.Default;
        _pools = new PoolState[region.Pools.Length];
        for (var i = 0; i < _pools.Length; i++)
        {
            var p = region.Pools[i];
            _pools[i] = new PoolState(p.Count, Math.Min(p.Count, region.Offer.CountFor(p.Type)));
            _capacity += p.Count;
        }

        _profiles = new Profile[_pools.Length];
        for (var i = 0; i < _profiles.Length; i++)
        {
            _profiles[i] = new Profile();
        }
    }

    public Region Region { get; }

    public SchedulerOptions Options { get; }

    /// <summary>Total accelerators.</summary>
    public int Capacity => _capacity;

    /// <summary>Accelerators allocated to running jobs.</summary>
    public int Busy => _busy;

    /// <summary>Accelerators requested by queued jobs.</summary>
    public long QueuedDemand => _queuedDemand;

    public int QueuedCount => _queueLen;

    public int RunningCount => _runningPool.Count;

    /// <summary>Queued jobs tested by backfill passes so far (a cost counter).</summary>
    public long BackfillTests { get; private set; }

    /// <summary>Accelerators busy in pool <paramref name="pool"/>.</summary>
    public int PoolBusy(int pool) => _pools[pool].Busy;

    /// <summary>Accelerators used by external jobs in pool <paramref name="pool"/>.</summary>
    public int PoolExternalBusy(int pool) => _pools[pool].ExternalBusy;

    /// <summary>(busy + queued demand) / capacity: the least-loaded policy's measure.</summary>
    public double Load => _capacity > 0 ? (_busy + (double)_queuedDemand) / _capacity : _busy + _queuedDemand > 0 ? double.MaxValue : 0;

    /// <summary>Whether <paramref name="job"/> counts as external here (its home is another region).</summary>
    public bool IsExternal(JobSpec job) => !string.Equals(job.HomeRegion, Region.Id, StringComparison.Ordinal);

    /// <summary>The hard constraints of <paramref name="job"/> against this region.</summary>
    public ConstraintFailure Check(JobSpec job, double nowS, out int poolMask) =>
        HardConstraints.Check(job, Region, nowS, out poolMask);

    /// <summary>Queues a job after checking the hard constraints; returns the failed constraint (and queues nothing) if any.</summary>
    public ConstraintFailure Enqueue(long ticket, JobSpec job, double nowS)
    {
        var failure = HardConstraints.Check(job, Region, nowS, out var mask);
        if (failure != ConstraintFailure.None)
        {
            return failure;
        }

        EnqueueChecked(ticket, job, nowS, IsExternal(job), mask);
        return ConstraintFailure.None;
    }

    /// <summary>
    /// Queues a job whose constraints the caller has already checked (<paramref name="poolMask"/> from
    /// <see cref="Check"/>), or that a lower-bound model deliberately relaxes.
    /// </summary>
    public void EnqueueChecked(long ticket, JobSpec job, double nowS, bool external, int poolMask)
    {
        if (poolMask == 0)
        {
            throw new ArgumentException("empty pool mask", nameof(poolMask));
        }

        var e = new QueueEntry
        {
            Ticket = ticket,
            Job = job,
            Mask = poolMask,
            External = external,
            Seq = _seq++,
            EnqueuedS = nowS,
            Priority = job.Priority,
            Count = job.AcceleratorCount,
            DurationS = job.EstimatedDurationS,
            OverAllocation = job.OverAllocation,
        };

        // Priority descending, then FIFO: the common case (equal priority) appends.
        var pos = _queueLen;
        var rank = Rank(in e);
        if (_queueLen > 0 && Rank(in Q(_queueLen - 1)) < rank)
        {
            int lo = 0, hi = _queueLen;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (Rank(in Q(mid)) >= rank)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            pos = lo;
        }

        if (_qHead + _queueLen == _queue.Length)
        {
            if (_queueLen * 2 > _queue.Length)
            {
                Array.Resize(ref _queue, _queue.Length * 2);
            }

            // Move the entries to the front of the array (after a resize, or to reuse the slots freed by starts).
            if (_qHead > 0)
            {
                Array.Copy(_queue, _qHead, _queue, 0, _queueLen);
                Array.Clear(_queue, _queueLen, _qHead);
                _qHead = 0;
            }
        }

        if (pos < _queueLen)
        {
            Array.Copy(_queue, _qHead + pos, _queue, _qHead + pos + 1, _queueLen - pos);
            _stateChanged = true;
        }

        _queue[_qHead + pos] = e;
        _queueLen++;
        _queuedDemand += e.Count;
        _dirty = true;
    }

    /// <summary>The queued job at position <paramref name="index"/> (0 = head).</summary>
    public QueuedJobView QueuedAt(int index)
    {
        if ((uint)index >= (uint)_queueLen)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"{_queueLen} jobs are queued");
        }

        ref var e = ref Q(index);
        return new QueuedJobView(e.Ticket, e.Job, e.External, e.EnqueuedS);
    }

    /// <summary>Removes a queued job (e.g. moved by the rebalancer or cancelled). Returns false if it is not queued here.</summary>
    public bool TryRemoveQueued(long ticket)
    {
        for (var i = 0; i < _queueLen; i++)
        {
            if (Q(i).Ticket == ticket)
            {
                RemoveQueuedAt(i);
                _stateChanged = true;
                return true;
            }
        }

        return false;
    }

    /// <summary>Releases the accelerators of a running job. Returns false if it is not running here.</summary>
    public bool Complete(long ticket)
    {
        if (!_runningPool.Remove(ticket, out var p))
        {
            return false;
        }

        var pool = _pools[p];
        var items = pool.Items;
        for (var i = 0; i < pool.Len; i++)
        {
            if (items[i].Ticket == ticket)
            {
                var r = items[i];
                pool.Busy -= r.Count;
                _busy -= r.Count;
                if (r.External)
                {
                    pool.ExternalBusy -= r.Count;
                }

                if (r.Reclaiming)
                {
                    _reclaiming--;
                }

                if (r.OverAllocation)
                {
                    _overAllocationRunning--;
                }

                Array.Copy(items, i + 1, items, i, pool.Len - i - 1);
                pool.Len--;
                _dirty = true;
                _stateChanged = true;
                return true;
            }
        }

        throw new InvalidOperationException($"running index and pool {p} disagree on ticket {ticket}");
    }

    /// <summary>
    /// Starts every job EASY backfill allows at <paramref name="nowS"/>, appending them to
    /// <paramref name="started"/>; returns how many started.
    /// </summary>
    public int Schedule(double nowS, List<StartedJob> started)
    {
        ArgumentNullException.ThrowIfNull(started);
        var before = started.Count;
        var changed = _stateChanged || !Options.IncrementalBackfill || !CanSkipTested(nowS);
        while (_queueLen > 0)
        {
            var p = FindStartNow(in Q(0), nowS);
            if (p < 0)
            {
                break;
            }

            StartAt(0, p, nowS, started);
            changed = true;
        }

        // Entries [1, _cleanPrefix) have failed the backfill test against the current state; the rest are untested.
        var from = changed ? 1 : Math.Max(1, _cleanPrefix);
        _cleanPrefix = 1;
        if (_queueLen > 1 && AnyFree())
        {
            _cleanPrefix = Backfill(nowS, started, from);
        }

        _stateChanged = false;
        return started.Count - before;
    }

    /// <summary>
    /// The head job's reservation: the earliest time (&gt;= now) its gang fits in one of its pools, given the
    /// running jobs' estimated ends. Returns +infinity when it can never fit (e.g. the offer window closed).
    /// </summary>
    public double HeadReservation(double nowS, out int pool)
    {
        pool = -1;
        if (_queueLen == 0)
        {
            return double.NaN;
        }

        return Reserve(in Q(0), nowS, out pool, out _, out _);
    }

    /// <summary>
    /// Whether jobs that failed the backfill test earlier would fail it again now, given no state change: true unless
    /// time passing can help (a running job overdue past its estimated end moves the reservation; an offer window
    /// that opens later admits external jobs it did not admit before).
    /// </summary>
    private bool CanSkipTested(double nowS)
    {
        if (Region.Offer.WindowStartS > 0 || !double.IsPositiveInfinity(Region.Offer.WindowEndS))
        {
            return false;
        }

        foreach (var pool in _pools)
        {
            if (pool.Len > 0 && pool.Items[0].EndS < nowS)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Tests queued jobs from index <paramref name="from"/> on; returns the index of the first job it did not test.</summary>
    private int Backfill(double nowS, List<StartedJob> started, int from)
    {
        ref readonly var head = ref Q(0);
        var headExternal = head.External;
        var shadow = Reserve(in head, nowS, out var resPool, out var extraFree, out var extraExt);
        var limit = Options.BackfillDepth;
        var i = from;
        var tested = from - 1;
        while (i < _queueLen && tested < limit)
        {
            tested++;
            BackfillTests++;
            ref readonly var e = ref Q(i);
            var best = -1;
            var bestSlack = int.MaxValue;
            var end = nowS + e.DurationS;
            var mask = e.Mask;
            while (mask != 0)
            {
                var p = System.Numerics.BitOperations.TrailingZeroCount(mask);
                mask &= mask - 1;
                var pool = _pools[p];
                var free = pool.Capacity - pool.Busy;
                if (free < e.Count || !ExternalFits(in e, pool, nowS))
                {
                    continue;
                }

                if (p == resPool && end > shadow &&
                    (e.Count > extraFree || (e.External && headExternal && e.Count > extraExt)))
                {
                    continue;
                }

                var slack = free - e.Count;
                if (slack < bestSlack)
                {
                    bestSlack = slack;
                    best = p;
                }
            }

            if (best < 0)
            {
                i++;
                continue;
            }

            if (best == resPool && end > shadow)
            {
                extraFree -= e.Count;
                if (e.External)
                {
                    extraExt -= e.Count;
                }
            }

            StartAt(i, best, nowS, started);
            if (!AnyFree())
            {
                return i;
            }
        }

        return i;
    }

    private double Reserve(in QueueEntry head, double nowS, out int resPool, out int extraFree, out int extraExt)
    {
        var bestT = double.PositiveInfinity;
        resPool = -1;
        extraFree = 0;
        extraExt = 0;
        var mask = head.Mask;
        var offer = Region.Offer;
        while (mask != 0)
        {
            var p = System.Numerics.BitOperations.TrailingZeroCount(mask);
            mask &= mask - 1;
            var pool = _pools[p];
            var free = pool.Capacity - pool.Busy;
            var ext = pool.Offered - pool.ExternalBusy;
            var t = double.PositiveInfinity;
            if (free >= head.Count && (!head.External || ext >= head.Count))
            {
                t = nowS;
            }
            else
            {
                var items = pool.Items;
                for (var k = 0; k < pool.Len; k++)
                {
                    free += items[k].Count;
                    if (items[k].External)
                    {
                        ext += items[k].Count;
                    }

                    if (free >= head.Count && (!head.External || ext >= head.Count))
                    {
                        t = Math.Max(nowS, items[k].EndS);
                        break;
                    }
                }
            }

            if (head.External)
            {
                t = Math.Max(t, offer.WindowStartS);
                if (!offer.Admits(t, head.DurationS))
                {
                    t = double.PositiveInfinity;
                }
            }

            if (t < bestT)
            {
                bestT = t;
                resPool = p;
            }
        }

        if (resPool >= 0)
        {
            // Accelerators free at the shadow time beyond what the head needs: a backfilled job that
            // outlives the shadow time may use only these.
            var pool = _pools[resPool];
            var free = pool.Capacity - pool.Busy;
            var ext = pool.Offered - pool.ExternalBusy;
            var items = pool.Items;
            for (var k = 0; k < pool.Len && Math.Max(nowS, items[k].EndS) <= bestT; k++)
            {
                free += items[k].Count;
                if (items[k].External)
                {
                    ext += items[k].Count;
                }
            }

            extraFree = free - head.Count;
            extraExt = ext - head.Count;
        }

        return bestT;
    }

    private int FindStartNow(in QueueEntry e, double nowS)
    {
        var best = -1;
        var bestSlack = int.MaxValue;
        var mask = e.Mask;
        while (mask != 0)
        {
            var p = System.Numerics.BitOperations.TrailingZeroCount(mask);
            mask &= mask - 1;
            var pool = _pools[p];
            var free = pool.Capacity - pool.Busy;
            if (free < e.Count || !ExternalFits(in e, pool, nowS))
            {
                continue;
            }

            var slack = free - e.Count;
            if (slack < bestSlack)
            {
                bestSlack = slack;
                best = p;
            }
        }

        return best;
    }

    private bool ExternalFits(in QueueEntry e, PoolState pool, double nowS) =>
        !e.External || (pool.Offered - pool.ExternalBusy >= e.Count && Region.Offer.Admits(nowS, e.DurationS));

    private bool AnyFree()
    {
        return _busy < _capacity;
    }

    private void StartAt(int index, int p, double nowS, List<StartedJob> started)
    {
        var e = Q(index);
        RemoveQueuedAt(index);
        var pool = _pools[p];
        pool.Busy += e.Count;
        _busy += e.Count;
        if (e.External)
        {
            pool.ExternalBusy += e.Count;
        }

        pool.Insert(new RunningItem(nowS + e.DurationS, e.Ticket, e.Count, e.External, nowS, false, e.OverAllocation));
        if (e.OverAllocation)
        {
            _overAllocationRunning++;
        }

        _runningPool.Add(e.Ticket, p);
        started.Add(new StartedJob(e.Ticket, e.Job, p, e.External, nowS));
    }

    private void RemoveQueuedAt(int index)
    {
        _queuedDemand -= Q(index).Count;
        if (index < _queueLen / 2)
        {
            // Closer to the head: shift the entries before it one slot back and advance the head.
            Array.Copy(_queue, _qHead, _queue, _qHead + 1, index);
            _queue[_qHead] = default;
            _qHead++;
        }
        else
        {
            Array.Copy(_queue, _qHead + index + 1, _queue, _qHead + index, _queueLen - index - 1);
            _queue[_qHead + _queueLen - 1] = default;
        }

        _queueLen--;
        if (_queueLen == 0)
        {
            _qHead = 0;
        }

        _dirty = true;
    }

    private ref QueueEntry Q(int index) => ref _queue[_qHead + index];

    /// <summary>
    /// Queue order key, higher first: jobs over allocation behind every other job, then priority, then (with reclaim) the
    /// region's own jobs ahead of external ones.
    /// </summary>
    private long Rank(in QueueEntry e) => Rank(e.Priority, e.External, e.OverAllocation);

    private long Rank(int priority, bool external, bool overAllocation)
    {
        var rank = Options.Reclaim ? ((long)priority * 2) + (external ? 0 : 1) : priority;
        return overAllocation && Options.PreemptOverAllocation ? rank : rank + AllocatedRankOffset;
    }

    /// <summary>Lifts every job not over allocation above every job that is (priorities are far smaller: <see cref="JobRules.MaxPriority"/>).</summary>
    private const long AllocatedRankOffset = 1L << 40;

    private struct QueueEntry
    {
        public long Ticket;
        public JobSpec Job;
        public int Mask;
        public bool External;
        public long Seq;
        public double EnqueuedS;
        public int Priority;
        public int Count;
        public double DurationS;
        public bool OverAllocation;
    }

    /// <summary>A running allocation; <paramref name="EndS"/> is the estimated end, or the reclaim time once <paramref name="Reclaiming"/>.</summary>
    private readonly record struct RunningItem(double EndS, long Ticket, int Count, bool External, double StartS, bool Reclaiming, bool OverAllocation);

    private sealed class PoolState(int capacity, int offered)
    {
        public readonly int Capacity = capacity;
        public readonly int Offered = offered;
        public int Busy;
        public int ExternalBusy;
        public RunningItem[] Items = new RunningItem[8];
        public int Len;

        /// <summary>Keeps <see cref="Items"/> sorted by estimated end (ties: insertion order).</summary>
        public void Insert(RunningItem item)
        {
            if (Len == Items.Length)
            {
                Array.Resize(ref Items, Items.Length * 2);
            }

            int lo = 0, hi = Len;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (Items[mid].EndS <= item.EndS)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            if (lo < Len)
            {
                Array.Copy(Items, lo, Items, lo + 1, Len - lo);
            }

            Items[lo] = item;
            Len++;
        }

        /// <summary>Removes the item at <paramref name="index"/> and returns it.</summary>
        public RunningItem RemoveAt(int index)
        {
            var item = Items[index];
            Array.Copy(Items, index + 1, Items, index, Len - index - 1);
            Len--;
            return item;
        }
    }
}

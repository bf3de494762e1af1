namespace Federation.Scheduling;

/// <summary>
/// Start-time estimates. An availability profile per pool (free accelerators, and free offer for
/// external jobs, as a step function of time) is built from the running jobs' estimated ends; the first
/// <see cref="SchedulerOptions.EstimateDepth"/> queued jobs are then placed in it in queue order at their
/// earliest fitting slot (as conservative backfill would), and the work of any deeper queued jobs is
/// spread evenly over the region's capacity. A new job's estimate is its earliest fitting slot after
/// that, plus the spread-out work. The profile is rebuilt only after the region's state changed, so
/// estimating several jobs between two changes costs one slot search each.
/// With reclaim (<see cref="SchedulerOptions.Reclaim"/> and a preemptible offer) the region's own jobs are estimated
/// in a second profile, in which lent accelerators come back at <c>now + grace</c> at the latest and only the
/// region's own queued jobs hold slots: that is what the region would do for them.
/// </summary>
public sealed partial class RegionScheduler
{
    private readonly Profile[] _profiles;
    private double[] _queuedEstimate = new double[16];
    private double _backlogS;
    private bool _dirty = true;
    private Profile[]? _homeProfiles;
    private double _homeBacklogS;

    /// <summary>Whether this region takes lent accelerators back for its own jobs (reclaim on, preemptible offer).</summary>
    public bool ReclaimsLentCapacity => Options.Reclaim && Region.Offer.Preemptible;

    /// <summary>Expected start of <paramref name="job"/> if queued here now, its data ready at <paramref name="readyS"/>; +infinity when infeasible.</summary>
    public double EstimateStart(JobSpec job, double readyS, double nowS)
    {
        var failure = HardConstraints.Check(job, Region, nowS, out var mask);
        return failure != ConstraintFailure.None ? double.PositiveInfinity : EstimateStart(job, readyS, nowS, IsExternal(job), mask);
    }

    /// <summary>Expected start for a job whose pool mask is known (see <see cref="Check"/>).</summary>
    public double EstimateStart(JobSpec job, double readyS, double nowS, bool external, int poolMask)
    {
        ArgumentNullException.ThrowIfNull(job);
        EnsureProfile(nowS);
        var ready = Math.Max(readyS, nowS);
        var best = double.PositiveInfinity;
        var mask = poolMask;
        var home = !external && ReclaimsLentCapacity;
        var profiles = home ? _homeProfiles! : _profiles;
        while (mask != 0)
        {
            var p = System.Numerics.BitOperations.TrailingZeroCount(mask);
            mask &= mask - 1;
            var t = profiles[p].FindSlot(job.AcceleratorCount, job.EstimatedDurationS, ready, external);
            if (t < best)
            {
                best = t;
            }
        }

        if (external && !double.IsPositiveInfinity(best))
        {
            best = Math.Max(best, Region.Offer.WindowStartS);
            if (!Region.Offer.Admits(best, job.EstimatedDurationS))
            {
                return double.PositiveInfinity;
            }
        }

        return best + (home ? _homeBacklogS : _backlogS);
    }

    /// <summary>Expected start of the queued job at <paramref name="index"/>.</summary>
    public double EstimateQueuedStart(int index, double nowS)
    {
        EnsureProfile(nowS);
        var depth = Math.Min(_queueLen, Options.EstimateDepth);
        if (index < depth)
        {
            return _queuedEstimate[index];
        }

        // Beyond the individually placed jobs: the last placed one's start, plus the work from it up to this job
        // spread over the region's capacity.
        var t = depth > 0 ? _queuedEstimate[depth - 1] : nowS;
        var work = 0.0;
        for (var i = Math.Max(0, depth - 1); i < index; i++)
        {
            work += Q(i).Count * Q(i).DurationS;
        }

        return t + (work / _capacity);
    }

    private void EnsureProfile(double nowS)
    {
        if (!_dirty)
        {
            return;
        }

        _dirty = false;
        for (var p = 0; p < _pools.Length; p++)
        {
            var pool = _pools[p];
            _profiles[p].Reset(nowS, pool.Capacity - pool.Busy, pool.Offered - pool.ExternalBusy);
            var items = pool.Items;
            for (var k = 0; k < pool.Len; k++)
            {
                _profiles[p].Release(Math.Max(nowS, items[k].EndS), items[k].Count, items[k].External);
            }
        }

        var depth = Math.Min(_queueLen, Options.EstimateDepth);
        if (_queuedEstimate.Length < depth)
        {
            _queuedEstimate = new double[Math.Max(depth, _queuedEstimate.Length * 2)];
        }

        for (var i = 0; i < depth; i++)
        {
            ref readonly var e = ref Q(i);
            var best = double.PositiveInfinity;
            var bestPool = -1;
            var mask = e.Mask;
            while (mask != 0)
            {
                var p = System.Numerics.BitOperations.TrailingZeroCount(mask);
                mask &= mask - 1;
                var t = _profiles[p].FindSlot(e.Count, e.DurationS, nowS, e.External);
                if (t < best)
                {
                    best = t;
                    bestPool = p;
                }
            }

            _queuedEstimate[i] = best;
            if (bestPool >= 0)
            {
                _profiles[bestPool].Reserve(best, e.DurationS, e.Count, e.External);
            }
        }

        var backlog = 0.0;
        for (var i = depth; i < _queueLen; i++)
        {
            backlog += Q(i).Count * Q(i).DurationS;
        }

        _backlogS = backlog / _capacity;
        if (ReclaimsLentCapacity)
        {
            BuildHomeProfiles(nowS, depth);
        }
    }

    /// <summary>
    /// The profile the region's own jobs see under reclaim: releases in time order are the running jobs ending by
    /// <c>now + grace</c>, then at <c>now + grace</c> every lent job still running (it would be reclaimed), then the
    /// region's own jobs ending later; the region's own queued jobs hold their slots, lent queued jobs none.
    /// </summary>
    private void BuildHomeProfiles(double nowS, int depth)
    {
        if (_homeProfiles is null)
        {
            _homeProfiles = new Profile[_pools.Length];
            for (var i = 0; i < _homeProfiles.Length; i++)
            {
                _homeProfiles[i] = new Profile();
            }
        }

        var reclaimAt = nowS + Region.Offer.ReclaimGraceS;
        for (var p = 0; p < _pools.Length; p++)
        {
            var pool = _pools[p];
            var prof = _homeProfiles[p];
            prof.Reset(nowS, pool.Capacity - pool.Busy, pool.Offered - pool.ExternalBusy);
            var items = pool.Items;
            var k = 0;
            for (; k < pool.Len && items[k].EndS <= reclaimAt; k++)
            {
                prof.Release(Math.Max(nowS, items[k].EndS), items[k].Count, items[k].External);
            }

            for (var i = k; i < pool.Len; i++)
            {
                if (items[i].External)
                {
                    prof.Release(reclaimAt, items[i].Count, true);
                }
            }

            for (; k < pool.Len; k++)
            {
                if (!items[k].External)
                {
                    prof.Release(items[k].EndS, items[k].Count, false);
                }
            }
        }

        for (var i = 0; i < depth; i++)
        {
            ref readonly var e = ref Q(i);
            if (e.External)
            {
                continue;
            }

            var best = double.PositiveInfinity;
            var bestPool = -1;
            var mask = e.Mask;
            while (mask != 0)
            {
                var p = System.Numerics.BitOperations.TrailingZeroCount(mask);
                mask &= mask - 1;
                var t = _homeProfiles[p].FindSlot(e.Count, e.DurationS, nowS, false);
                if (t < best)
                {
                    best = t;
                    bestPool = p;
                }
            }

            if (bestPool >= 0)
            {
                _homeProfiles[bestPool].Reserve(best, e.DurationS, e.Count, false);
            }
        }

        var backlog = 0.0;
        for (var i = depth; i < _queueLen; i++)
        {
            if (!Q(i).External)
            {
                backlog += Q(i).Count * Q(i).DurationS;
            }
        }

        _homeBacklogS = backlog / _capacity;
    }

    /// <summary>Free accelerators (and free offer) of one pool as a step function from a start time on.</summary>
    private sealed class Profile
    {
        private double[] _t = new double[16];
        private int[] _free = new int[16];
        private int[] _ext = new int[16];
        private int _len;

        public void Reset(double nowS, int free, int ext)
        {
            _len = 1;
            _t[0] = nowS;
            _free[0] = free;
            _ext[0] = ext;
        }

        /// <summary>Adds a release at <paramref name="t"/>; releases must come in non-decreasing time order.</summary>
        public void Release(double t, int count, bool external)
        {
            var last = _len - 1;
            var extAdd = external ? count : 0;
            if (t <= _t[last])
            {
                _free[last] += count;
                _ext[last] += extAdd;
                return;
            }

            Grow();
            _t[_len] = t;
            _free[_len] = _free[last] + count;
            _ext[_len] = _ext[last] + extAdd;
            _len++;
        }

        /// <summary>Earliest t &gt;= ready such that count accelerators are free during [t, t + duration).</summary>
        public double FindSlot(int count, double duration, double ready, bool external)
        {
            var i = 0;
            while (i + 1 < _len && _t[i + 1] <= ready)
            {
                i++;
            }

            while (i < _len)
            {
                var s = Math.Max(_t[i], ready);
                var end = s + duration;
                var j = i;
                var ok = true;
                while (j < _len && (j == i || _t[j] < end))
                {
                    if (_free[j] < count || (external && _ext[j] < count))
                    {
                        ok = false;
                        break;
                    }

                    j++;
                }

                if (ok)
                {
                    return s;
                }

                i = j + 1;
            }

            return double.PositiveInfinity;
        }

        public void Reserve(double start, double duration, int count, bool external)
        {
            if (double.IsPositiveInfinity(start))
            {
                return;
            }

            var a = Split(start);
            var b = Split(start + duration);
            for (var k = a; k < b; k++)
            {
                _free[k] -= count;
                if (external)
                {
                    _ext[k] -= count;
                }
            }
        }

        /// <summary>Index of the segment starting exactly at <paramref name="t"/>, splitting one if needed.</summary>
        private int Split(double t)
        {
            var k = _len - 1;
            while (k > 0 && _t[k] > t)
            {
                k--;
            }

            if (_t[k] == t)
            {
                return k;
            }

            Grow();
            var at = k + 1;
            Array.Copy(_t, at, _t, at + 1, _len - at);
            Array.Copy(_free, at, _free, at + 1, _len - at);
            Array.Copy(_ext, at, _ext, at + 1, _len - at);
            _t[at] = t;
            _free[at] = _free[k];
            _ext[at] = _ext[k];
            _len++;
            return at;
        }

        private void Grow()
        {
            if (_len < _t.Length)
            {
                return;
            }

            Array.Resize(ref _t, _t.Length * 2);
            Array.Resize(ref _free, _free.Length * 2);
            Array.Resize(ref _ext, _ext.Length * 2);
        }
    }
}

namespace Federation.Scheduling;

/// <summary>
/// Rebuilding a scheduler from state kept elsewhere: a region grain after a restart or an offer change
/// (the jobs' durable rows say what runs where), and a router's estimator copy of a region.
/// </summary>
public sealed partial class RegionScheduler
{
    /// <summary>
    /// Records a job that is already running in pool <paramref name="poolIndex"/> (started at
    /// <paramref name="startS"/>), so it holds its accelerators until <see cref="Complete"/>.
    /// </summary>
    public void RestoreRunning(long ticket, JobSpec job, int poolIndex, bool external, double startS)
    {
        ArgumentNullException.ThrowIfNull(job);
        RestoreRunning(ticket, poolIndex, job.AcceleratorCount, external, startS + job.EstimatedDurationS, startS, job.OverAllocation);
    }

    /// <summary>Records a running allocation by its shape only (an estimator copy needs no job).</summary>
    public void RestoreRunning(long ticket, int poolIndex, int count, bool external, double estimatedEndS) =>
        RestoreRunning(ticket, poolIndex, count, external, estimatedEndS, double.NaN, false);

    private void RestoreRunning(long ticket, int poolIndex, int count, bool external, double estimatedEndS, double startS, bool overAllocation)
    {
        if ((uint)poolIndex >= (uint)_pools.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(poolIndex), poolIndex, $"region {Region.Id} has {_pools.Length} pools");
        }

        if (count <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "a running job holds at least one accelerator");
        }

        if (!_runningPool.TryAdd(ticket, poolIndex))
        {
            throw new ArgumentException($"ticket {ticket} is already running", nameof(ticket));
        }

        var pool = _pools[poolIndex];
        pool.Busy += count;
        _busy += count;
        if (external)
        {
            pool.ExternalBusy += count;
        }

        pool.Insert(new RunningItem(estimatedEndS, ticket, count, external, startS, false, overAllocation));
        if (overAllocation)
        {
            _overAllocationRunning++;
        }

        _dirty = true;

        // A new allocation can move the head's reservation, so the next backfill pass must test every job again.
        _stateChanged = true;
    }

    /// <summary>
    /// Marks a restored running lent job as being reclaimed (its reclaim decision was recorded before the restart or the
    /// scheduler's rebuild): its accelerators are due back at <paramref name="reclaimAtS"/>, the time decided then, and
    /// <see cref="PlanReclaim"/> does not pick it again. False when the ticket does not run here or is already marked.
    /// </summary>
    public bool RestoreReclaiming(long ticket, double reclaimAtS)
    {
        if (!_runningPool.TryGetValue(ticket, out var p) || IsReclaiming(ticket))
        {
            return false;
        }

        MarkReclaiming(_pools[p], ticket, reclaimAtS);
        _reclaiming++;
        _dirty = true;
        _stateChanged = true;
        return true;
    }

    /// <summary>Whether <paramref name="ticket"/> is running here, and in which pool.</summary>
    public bool TryGetRunningPool(long ticket, out int poolIndex) => _runningPool.TryGetValue(ticket, out poolIndex);

    /// <summary>Copies the running allocations of pool <paramref name="poolIndex"/> into <paramref name="into"/> as (ticket, count, external, estimated end).</summary>
    public void CopyRunning(int poolIndex, List<RunningAllocation> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        var pool = _pools[poolIndex];
        for (var i = 0; i < pool.Len; i++)
        {
            var item = pool.Items[i];
            into.Add(new RunningAllocation(item.Ticket, poolIndex, item.Count, item.External, item.EndS));
        }
    }

    /// <summary>
    /// Queues a job that lands behind the individually estimated head of the queue (the queue already
    /// holds <see cref="SchedulerOptions.EstimateDepth"/> jobs and the new one goes behind them), keeping the
    /// availability profile: only the spread-out work behind the head grows. Returns false, queuing
    /// nothing, when the job would land elsewhere or the profile is not built; then use
    /// <see cref="EnqueueChecked"/>. A router mirroring its admissions into a copy of a busy region uses
    /// this so a decision does not rebuild the profile after every admission.
    /// </summary>
    public bool TryEnqueueBehindEstimate(long ticket, JobSpec job, double nowS, bool external, int poolMask)
    {
        ArgumentNullException.ThrowIfNull(job);
        // The job lands at or after the head's end when the head's last job has at least its priority
        // (a lower-priority tail, e.g. a router copy's summed slot for jobs whose data is in transit,
        // lies behind the head and only carries spread-out work, which the job then joins).
        if (_dirty || _queueLen < Options.EstimateDepth ||
            Rank(in Q(Options.EstimateDepth - 1)) < Rank(job.Priority, external, job.OverAllocation))
        {
            return false;
        }

        EnqueueChecked(ticket, job, nowS, external, poolMask);
        _dirty = false;
        _backlogS += job.AcceleratorCount * job.EstimatedDurationS / _capacity;
        if (!external)
        {
            _homeBacklogS += job.AcceleratorCount * job.EstimatedDurationS / _capacity;
        }
        return true;
    }

    /// <summary>The pool mask a queued job was admitted with (position <paramref name="index"/>, 0 = head).</summary>
    public int QueuedMaskAt(int index) => Q(index).Mask;
}

/// <summary>One running allocation of a scheduler.</summary>
public readonly record struct RunningAllocation(long Ticket, int Pool, int Count, bool External, double EstimatedEndS);

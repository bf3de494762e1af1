using Federation.Contracts;
using Federation.Grains.Diagnostics;
using Federation.Grains.Jobs;
using Federation.Scheduling;

namespace Federation.Grains.Regions;

/// <summary>
/// Reclaim (issue 16): with <see cref="Hosting.FederationGrainsOptions.Reclaim"/> on and a preemptible offer, after each
/// schedule the region asks its scheduler which lent jobs to take its accelerators back from for its own job at the head
/// of its queue (<see cref="RegionScheduler.PlanReclaim"/>, the simulator's code). Each such job is asked to record the
/// decision in its row (the run, the signal time, the reclaim time = signal + the offer's grace period: a
/// <c>Reclaiming</c> event); on its answer, a job that asked for a checkpoint signal (<c>run.checkpointSignal</c>) gets it
/// from the executor. One alarm on the execution clock, for the earliest reclaim time, stops what still runs when its
/// grace period is over. Either way, the run's end after its signal (it checkpointed and exited) or its stop at the
/// reclaim time is a preemption: its accelerators go back to the scheduler, the region's count of preemptions is stored,
/// and the job gets a <c>Preempted</c> notice through the outbox, on which it records the preemption, is charged for what
/// ran and is placed again. A lent job that ends before it was signalled just completes. A region rebuilt during a grace
/// period reads the decision from the job's row: the original reclaim time holds, and the signal is sent again (a script
/// that got it is exiting or gone).
/// </summary>
public sealed partial class RegionGrain
{
    private readonly List<Preemption> _preemptions = new();
    private readonly PriorityQueue<Entry, (long DueTicks, long Sequence)> _reclaimsByTime = new();
    private long _reclaimSequence;
    private IDisposable? _reclaimAlarm;
    private long _reclaimAlarmTicks = long.MaxValue;

    public async Task OnReclaimDueAsync()
    {
        _reclaimAlarm = null;
        _reclaimAlarmTicks = long.MaxValue;
        var now = _clock.Now;
        var preempted = false;
        while (_reclaimsByTime.TryPeek(out var entry, out var due) && due.DueTicks <= now.UtcTicks)
        {
            _reclaimsByTime.Dequeue();

            // Ended, cancelled or released meanwhile: nothing to take back.
            if (entry.ReclaimAt is null || !entry.Running || !_entries.TryGetValue(entry.JobId, out var current) || !ReferenceEquals(current, entry))
            {
                continue;
            }

            await PreemptAsync(entry, now, null);
            preempted = true;
        }

        ArmReclaimAlarm();
        if (preempted)
        {
            RunSchedule();
        }
    }

    /// <summary>Asks the scheduler which lent jobs to reclaim now, asks each job to record it and arms the alarm for their reclaim time.</summary>
    private void PlanReclaim(DateTimeOffset now, double nowS)
    {
        if (!_scheduler.MayPreempt)
        {
            return;
        }

        _preemptions.Clear();
        if (_scheduler.PlanReclaim(nowS, _preemptions) == 0)
        {
            return;
        }

        var head = _byTicket[_scheduler.QueuedAt(0).Ticket];
        var grace = TimeSpan.FromSeconds(_scheduler.Region.Offer.ReclaimGraceS);
        foreach (var p in _preemptions)
        {
            var entry = _byTicket[p.Ticket];
            if (entry.ReclaimAt is not null)
            {
                // Already being reclaimed (a new scheduler, after an offer or capacity change, forgot it): the first
                // reclaim time holds.
                continue;
            }

            entry.ReclaimAt = now + grace;
            entry.SignalledAt = now;
            entry.ReclaimFor = head.JobId;
            entry.ReclaimOverAllocation = p.OverAllocation;
            GrainsLog.Reclaiming(_logger, Id, entry.JobId, head.JobId, entry.ReclaimAt.Value);
            Send(entry.JobId, new Notice(NoticeKind.Reclaiming, now, entry, ""));
            _reclaimsByTime.Enqueue(entry, (entry.ReclaimAt.Value.UtcTicks, ++_reclaimSequence));
        }

        ArmReclaimAlarm();
    }

    /// <summary>
    /// A running job whose row recorded a reclaim of this run here (before a restart): the original signal and reclaim
    /// times hold, and the alarm is armed for it; the signal goes again when the run is handed to the executor.
    /// </summary>
    private void RestoreReclaim(Entry entry, JobRecord record)
    {
        if (record.Reclaim is not { } reclaim || !string.Equals(reclaim.Region, Id, StringComparison.Ordinal) || reclaim.StartedAt != entry.StartedAt)
        {
            return;
        }

        entry.ReclaimAt = reclaim.ReclaimAt;
        entry.SignalledAt = reclaim.SignalledAt;
        entry.ReclaimFor = reclaim.ForJobId;
        entry.ReclaimOverAllocation = reclaim.OverAllocation;
        entry.ReclaimRecorded = true;
        GrainsLog.ReclaimRestored(_logger, Id, entry.JobId, reclaim.ReclaimAt);
        _reclaimsByTime.Enqueue(entry, (reclaim.ReclaimAt.UtcTicks, ++_reclaimSequence));
        ArmReclaimAlarm();
    }

    /// <summary>What the job is asked to record, from the entry as it is when the notice goes (its start answered by then).</summary>
    private RunReclaim ToReclaim(Entry entry) => new()
    {
        Region = Id,
        StartedAt = entry.StartedAt,
        SignalledAt = entry.SignalledAt,
        ReclaimAt = entry.ReclaimAt!.Value,
        ForJobId = entry.ReclaimFor,
        OverAllocation = entry.ReclaimOverAllocation,
    };

    /// <summary>The job recorded the reclaim (or said the run is not its own): the checkpoint signal may go.</summary>
    private void OnReclaimRecorded(Entry entry, bool recorded)
    {
        if (!recorded || entry.ReclaimAt is null || entry.ReclaimRecorded || !_entries.TryGetValue(entry.JobId, out var current) || !ReferenceEquals(current, entry))
        {
            return;
        }

        entry.ReclaimRecorded = true;
        if (entry.Executing)
        {
            Signal(entry);
        }
    }

    /// <summary>The checkpoint signal, with the grace period left, to a job that asked for one (a job that begins executing during its grace period gets it then).</summary>
    private void Signal(Entry entry)
    {
        if (entry.Spec.CheckpointSignal is null)
        {
            return;
        }

        entry.Signalled = true;
        var left = entry.ReclaimAt!.Value - _clock.Now;
        _ = ObserveAsync(_executor.PreemptAsync(Id, entry.JobId, left > TimeSpan.Zero ? left : TimeSpan.Zero), entry.JobId, "checkpoint signal");
    }

    /// <summary>
    /// The run is over here: it ended after its checkpoint signal (<paramref name="end"/>), or its grace period is over and
    /// it is stopped. The accelerators go back, the count is stored, then the job is told (so it is placed again only once
    /// it no longer runs here).
    /// </summary>
    private async Task PreemptAsync(Entry entry, DateTimeOffset at, RunEnd? end)
    {
        Remove(entry);
        if (end is null && entry.Executing)
        {
            try
            {
                await _executor.StopAsync(Id, entry.JobId);
            }
            catch (Exception ex)
            {
                GrainsLog.ReclaimStopFailed(_logger, ex, Id, entry.JobId);
            }
        }

        _config.State.Preemptions++;
        try
        {
            await _config.WriteStateAsync();
        }
        catch (Exception ex)
        {
            GrainsLog.PreemptionCountNotStored(_logger, ex, Id, _config.State.Preemptions);
        }

        GrainsLog.Preempted(_logger, Id, entry.JobId, end is null ? "stopped at its reclaim time" : $"checkpointed after its signal and ended ({end.Message})");
        NotifyPreempted(entry.JobId, new RunPreempted
        {
            At = at,
            StartedAt = entry.StartedAt,
            ForJobId = entry.ReclaimFor,
            SignalledAt = entry.SignalledAt,
            ReclaimAt = entry.ReclaimAt ?? at,
            Signal = entry.Signalled ? entry.Spec.CheckpointSignal : null,
            Checkpointed = end is { Outcome: JobState.Completed },
            EndMessage = end?.Message,
            Accelerators = entry.Count,
            AcceleratorType = entry.Pool >= 0 ? _baseModel.Pools[entry.Pool].Type : null,
            OverAllocation = entry.ReclaimOverAllocation,
        });
    }

    /// <summary>Arms the alarm for the earliest reclaim, unless one is armed for that time or earlier.</summary>
    private void ArmReclaimAlarm()
    {
        if (!_reclaimsByTime.TryPeek(out _, out var next) || next.DueTicks >= _reclaimAlarmTicks)
        {
            return;
        }

        _reclaimAlarm?.Dispose();
        _reclaimAlarmTicks = next.DueTicks;
        _reclaimAlarm = _clock.At(new DateTimeOffset(next.DueTicks, TimeSpan.Zero), static self => self.OnReclaimDueAsync(), _grains.Region(Id));
    }
}

using Federation.Contracts;
using Federation.Grains.Diagnostics;
using Federation.Scheduling;

namespace Federation.Grains.Regions;

/// <summary>
/// Reclaim (issue 16): with <see cref="Hosting.FederationGrainsOptions.Reclaim"/> on and a preemptible offer, after each
/// schedule the region asks its scheduler which lent jobs to take its accelerators back from for its own job at the head
/// of its queue (<see cref="RegionScheduler.PlanReclaim"/>, the simulator's code). Each such job gets its checkpoint
/// signal from the executor at once, and one alarm on the execution clock, for the earliest reclaim time, stops it when
/// its grace period is over: its accelerators go back to the scheduler, the executor stops it, and the job gets a
/// <c>Preempted</c> notice through the outbox, on which it records the preemption, is charged for what ran and is placed
/// again. A lent job that ends before its reclaim time just completes (its entry is gone when the alarm comes). Nothing
/// of a reclaim is stored: after a restart the rebuilt scheduler plans again, with a new grace period from the rebuild.
/// </summary>
public sealed partial class RegionGrain
{
    private readonly List<Preemption> _preemptions = new();
    private readonly PriorityQueue<Entry, (long DueTicks, long Sequence)> _reclaimsByTime = new();
    private long _reclaimSequence;
    private IDisposable? _reclaimAlarm;
    private long _reclaimAlarmTicks = long.MaxValue;
    private long _preempted;

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

            await PreemptAsync(entry, now);
            preempted = true;
        }

        ArmReclaimAlarm();
        if (preempted)
        {
            RunSchedule();
        }
    }

    /// <summary>Asks the scheduler which lent jobs to reclaim now, signals them and arms the alarm for their reclaim time.</summary>
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
            if (entry.Executing)
            {
                Signal(entry);
            }

            _reclaimsByTime.Enqueue(entry, (entry.ReclaimAt.Value.UtcTicks, ++_reclaimSequence));
        }

        ArmReclaimAlarm();
    }

    /// <summary>The checkpoint signal, with the grace period left (a job that begins executing during its grace period gets it then).</summary>
    private void Signal(Entry entry)
    {
        var left = entry.ReclaimAt!.Value - _clock.Now;
        _ = ObserveAsync(_executor.PreemptAsync(Id, entry.JobId, left > TimeSpan.Zero ? left : TimeSpan.Zero), entry.JobId, "checkpoint signal");
    }

    /// <summary>
    /// The grace period is over: the accelerators go back, the run is stopped, then the job is told (so it is placed again
    /// only once it no longer runs here).
    /// </summary>
    private async Task PreemptAsync(Entry entry, DateTimeOffset now)
    {
        Remove(entry);
        _preempted++;
        if (entry.Executing)
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

        GrainsLog.Preempted(_logger, Id, entry.JobId);
        NotifyPreempted(entry.JobId, new RunPreempted
        {
            At = now,
            StartedAt = entry.StartedAt,
            ForJobId = entry.ReclaimFor,
            SignalledAt = entry.SignalledAt,
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

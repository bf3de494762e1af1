using Federation.Contracts;
using Federation.Scheduling;

namespace Federation.Grains.Regions;

/// <summary>
/// Jobs whose dataset is still moving here wait staged, in order of arrival time, behind one alarm on the execution
/// clock for the earliest, so the region holds one alarm however many jobs are in transit, and one alarm firing admits
/// every job due by then. A staged job that leaves (withdrawn, stopped, dropped) stays in the queue until its time and
/// is skipped then.
/// </summary>
public sealed partial class RegionGrain
{
    private readonly PriorityQueue<Entry, (long DueTicks, long Sequence)> _stagedByArrival = new();
    private long _stagedSequence;
    private IDisposable? _arrivalAlarm;
    private long _arrivalAlarmTicks = long.MaxValue;

    public Task OnDataReadyAsync()
    {
        _arrivalAlarm = null;
        _arrivalAlarmTicks = long.MaxValue;
        var now = _clock.Now;
        var arrived = false;
        while (_stagedByArrival.TryPeek(out var entry, out var due) && due.DueTicks <= now.UtcTicks)
        {
            _stagedByArrival.Dequeue();
            if (entry.Staging && _entries.TryGetValue(entry.JobId, out var current) && ReferenceEquals(current, entry))
            {
                Arrived(entry);
                arrived = true;
            }
        }

        ArmArrivalAlarm();
        if (arrived)
        {
            RunSchedule();
        }

        return Task.CompletedTask;
    }

    private void Stage(Entry entry)
    {
        entry.Staging = true;
        _staging++;
        _stagingDemand += entry.Count;
        _stagingWork += Work(entry.Spec);
        _stagedByArrival.Enqueue(entry, (entry.DataReadyAt.UtcTicks, ++_stagedSequence));
        ArmArrivalAlarm();
    }

    /// <summary>The job's data is here: it joins the queue, or is released when it no longer fits (the offer changed meanwhile).</summary>
    private void Arrived(Entry entry)
    {
        entry.Staging = false;
        _staging--;
        _stagingDemand -= entry.Count;
        _stagingWork -= Work(entry.Spec);
        var nowS = _clock.NowSeconds;
        var failure = _scheduler.Check(entry.Spec, nowS, out var mask);
        if (failure != ConstraintFailure.None)
        {
            // The offer changed or its window closed while the data was in transit.
            _entries.Remove(entry.JobId);
            _unconfirmed.Remove(entry);
            NotifyReleased(entry.JobId, $"{HardConstraints.Describe(failure)} when its data arrived");
        }
        else
        {
            Enqueue(entry, mask, nowS);
        }
    }

    /// <summary>Arms the alarm for the earliest staged job, unless one is armed for that time or earlier.</summary>
    private void ArmArrivalAlarm()
    {
        if (!_stagedByArrival.TryPeek(out _, out var next) || next.DueTicks >= _arrivalAlarmTicks)
        {
            return;
        }

        _arrivalAlarm?.Dispose();
        _arrivalAlarmTicks = next.DueTicks;
        _arrivalAlarm = _clock.At(new DateTimeOffset(next.DueTicks, TimeSpan.Zero), static self => self.OnDataReadyAsync(), _grains.Region(Id));
    }
}

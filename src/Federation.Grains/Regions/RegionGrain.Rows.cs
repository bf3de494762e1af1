using Federation.Contracts;
using Federation.Grains.Diagnostics;
using Federation.Grains.Execution;
using Federation.Grains.Jobs;
using Federation.Grains.Model;
using Federation.Scheduling;

namespace Federation.Grains.Regions;

/// <summary>
/// The job rows are the source of truth of what a region holds. An activation builds its queue and allocations from the
/// rows that name the region (<see cref="RebuildAsync"/>). A row can also come to name the region after that read: an
/// activation that is gone (its silo died, or it moved home) admitted the job and the job committed the row once this
/// activation had read the rows. Such a row is taken in when the job's confirmation reaches this activation (<see
/// cref="ConfirmAsync"/>), and in any case by a periodic check of the rows (<see cref="CheckRowsAsync"/>), which takes in a row
/// this activation does not hold when two checks in a row see it unchanged. A job taken in this way runs only on its own
/// answer to a start (the outbox), so a row read a moment before the job changed it never runs anything.
/// </summary>
public sealed partial class RegionGrain
{
    // Rows the last check found naming this region, unheld here: job id → the length of its history then.
    private Dictionary<string, int> _unheldRows = new(StringComparer.Ordinal);
    private bool _checkingRows;

    /// <summary>How a row was taken in.</summary>
    private enum Held
    {
        Running,
        Queued,
        Staged,

        /// <summary>Not held: it no longer fits here (a running job with no pool left, a queued one the offer now refuses).</summary>
        Refused,
    }

    public async ValueTask ConfirmAsync(string jobId, bool started)
    {
        if (_entries.TryGetValue(jobId, out var entry))
        {
            if (!entry.Confirmed)
            {
                Confirm(entry, started);
            }

            return;
        }

        // Not held here. A job with a notice from this activation on its way was let go here (released, ended) and has not
        // heard yet; any other was admitted by an activation of this region that is gone, after this one read the rows.
        if (_outbox.ContainsKey(jobId))
        {
            return;
        }

        JobRecord? row;
        try
        {
            row = await _rows.ReadAsync(jobId);
        }
        catch (Exception ex)
        {
            GrainsLog.AdoptionReadFailed(_logger, ex, Id, jobId);
            return;
        }

        if (row is { IsActive: true } && string.Equals(row.Region, Id, StringComparison.Ordinal) && !_entries.ContainsKey(jobId) && !_outbox.ContainsKey(jobId))
        {
            TakeIn(jobId, row);
            RunSchedule();
        }
    }

    /// <summary>
    /// Rebuilds the queue and running allocations from the job rows that name this region (the rows are
    /// the source of truth, so every entry is confirmed), re-attaches running jobs to the executor, and lets draining hand back what
    /// it should have handed back before a restart.
    /// </summary>
    private async Task RebuildAsync(CancellationToken cancellationToken)
    {
        var rows = await _rows.ActiveInRegionAsync(Id, cancellationToken);

        // Queue order is priority, then the order the jobs joined this region.
        rows.Sort(static (a, b) =>
        {
            var c = Nullable.Compare(a.Record.QueuedAt, b.Record.QueuedAt);
            return c != 0 ? c : string.CompareOrdinal(a.Id, b.Id);
        });
        int running = 0, queued = 0;
        var refused = new List<string>();
        foreach (var (jobId, record) in rows)
        {
            switch (Hold(jobId, record, reattach: true))
            {
                case Held.Running:
                    running++;
                    break;
                case Held.Queued:
                    queued++;
                    break;
                case Held.Refused:
                    refused.Add(jobId);
                    break;
            }
        }

        GrainsLog.RegionRebuilt(_logger, Id, running, queued, _staging);
        foreach (var jobId in refused)
        {
            NotifyReleased(jobId, $"{Id} can no longer hold it after a restart");
        }

        if (_config.State.Draining && _config.State.RequeueQueued)
        {
            ReleaseQueued($"{Id} is draining");
        }

        RunSchedule();
    }

    /// <summary>
    /// Every <see cref="Hosting.FederationGrainsOptions.RowCheckPeriod"/>: the rows naming this region that this activation
    /// does not hold, and has not let go of (no notice on its way), are taken in once a second check finds them unchanged
    /// (a row a job was about to change — a cancel, a release handled — has changed or gone by then).
    /// </summary>
    private async Task CheckRowsAsync()
    {
        if (_checkingRows)
        {
            return;
        }

        _checkingRows = true;
        try
        {
            List<(string Id, JobRecord Record)> rows;
            try
            {
                rows = await _rows.ActiveInRegionAsync(Id);
            }
            catch (Exception ex)
            {
                GrainsLog.RowCheckFailed(_logger, ex, Id);
                return;
            }

            var unheld = new Dictionary<string, int>(StringComparer.Ordinal);
            var changed = false;
            foreach (var (jobId, record) in rows)
            {
                if (_entries.ContainsKey(jobId) || _outbox.ContainsKey(jobId))
                {
                    continue;
                }

                if (_unheldRows.TryGetValue(jobId, out var seen) && seen == record.History.Count)
                {
                    TakeIn(jobId, record);
                    changed = true;
                    continue;
                }

                unheld[jobId] = record.History.Count;
            }

            _unheldRows = unheld;
            if (changed)
            {
                RunSchedule();
            }
        }
        finally
        {
            _checkingRows = false;
        }
    }

    /// <summary>Holds a row found after the rebuild; the job runs on its answer to a start, which the outbox asks at once for a running one.</summary>
    private void TakeIn(string jobId, JobRecord row)
    {
        GrainsLog.RowAdopted(_logger, Id, jobId, row.State);
        if (Hold(jobId, row, reattach: false) == Held.Refused)
        {
            NotifyReleased(jobId, $"{Id} cannot hold it");
        }
    }

    /// <summary>
    /// Holds the job a row names this region for: running (its accelerators taken; handed to the executor at once when
    /// <paramref name="reattach"/>, else once the job answers a start), queued, or staged while its data is in transit.
    /// </summary>
    private Held Hold(string jobId, JobRecord record, bool reattach)
    {
        var now = _clock.Now;
        var spec = DomainMapping.ToSpec(jobId, record.Request!, _residency.Current.Policy);
        if (JobEventKinds.IsOverAllocation(record.History))
        {
            spec = spec with { OverAllocation = true };
        }

        // From a committed row naming this region: confirmed by construction.
        var entry = new Entry(jobId, spec, _scheduler.IsExternal(spec), record.SubmittedAt, record.DataReadyAt ?? now) { Confirmed = true };
        if (record.State == JobState.Running)
        {
            entry.StartedAt = record.StartedAt ?? now;
            entry.Pool = PoolForRunning(spec);
            if (entry.Pool < 0)
            {
                GrainsLog.RunningDoesNotFit(_logger, Id, jobId);
                return Held.Refused;
            }

            entry.Running = true;
            _entries.Add(jobId, entry);
            RestoreReclaim(entry, record);
            RestoreRunning(entry);
            var pool = _baseModel.Pools[entry.Pool];
            if (_scheduler.PoolBusy(entry.Pool) > pool.Count)
            {
                GrainsLog.RunningOverCommitted(_logger, Id, jobId, pool.Type, _scheduler.PoolBusy(entry.Pool), pool.Count);
            }

            // Away from home the job keeps its accelerators (it runs on the region's hardware, out of reach) and the
            // home silo re-attaches it when the grain is back there.
            if (!_away)
            {
                if (reattach)
                {
                    StartExecution(entry);
                }
                else
                {
                    AskToStart(entry);
                }
            }

            return Held.Running;
        }

        if (!spec.ResidencyAllows(Id))
        {
            // Queued here under a class that no longer allows this region: placed again, within the class.
            return Held.Refused;
        }

        _entries.Add(jobId, entry);
        if (spec.DatasetSizeGb > 0 && entry.DataReadyAt > now)
        {
            Stage(entry);
            return Held.Staged;
        }

        var nowS = ExecutionClock.ToSeconds(now);
        var failure = _scheduler.Check(spec, nowS, out var mask);
        if (failure != ConstraintFailure.None)
        {
            _entries.Remove(jobId);
            return Held.Refused;
        }

        Enqueue(entry, mask, nowS);
        return Held.Queued;
    }

    private void RestoreRunning(Entry entry)
    {
        entry.Ticket = ++_nextTicket;
        _byTicket.Add(entry.Ticket, entry);
        _scheduler.RestoreRunning(entry.Ticket, entry.Spec, entry.Pool, entry.External, ExecutionClock.ToSeconds(entry.StartedAt));
        if (entry.ReclaimAt is { } reclaimAt)
        {
            // Being reclaimed: its accelerators are due back then, in this scheduler too (a rebuild, an offer change).
            _scheduler.RestoreReclaiming(entry.Ticket, ExecutionClock.ToSeconds(reclaimAt));
        }
    }

    /// <summary>
    /// A pool for a job recorded as running: the acceptable pool with the most free accelerators (the offer is not
    /// re-checked: it was when it started). A job that runs is kept running even when the pools look full: its row says
    /// it holds accelerators, which it does in the backend, and two activations of the region at once (a hung silo that
    /// resumed) may each have started jobs on the same accelerators. The pool is then over-committed, and starts nothing
    /// until its runs end; releasing the job instead would run it a second time. -1 only when no pool could ever hold it
    /// (the region's pools changed).
    /// </summary>
    private int PoolForRunning(JobSpec spec)
    {
        var best = -1;
        var bestFree = int.MinValue;
        for (var p = 0; p < _baseModel.Pools.Length; p++)
        {
            var pool = _baseModel.Pools[p];
            var free = pool.Count - _scheduler.PoolBusy(p);
            if (spec.Accepts(pool.Type) && pool.MemoryGb >= spec.MinMemoryGb && pool.Count >= spec.AcceleratorCount && free > bestFree)
            {
                best = p;
                bestFree = free;
            }
        }

        return best;
    }
}

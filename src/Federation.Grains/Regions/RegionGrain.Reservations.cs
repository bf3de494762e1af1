using Federation.Contracts;
using Federation.Grains.Diagnostics;
using Federation.Grains.Hosting;
using Federation.Grains.Jobs;

namespace Federation.Grains.Regions;

/// <summary>
/// Admissions reserve; execution waits for the row. An admission takes its place in the scheduler (a job that
/// fits holds its accelerators and the answer says Running), but the executor is called for a job only once a
/// committed row names this region: a job whose row write then fails, or whose answer is lost, must not have
/// run (a real backend would run it again after the client's retry). The job confirms after its write
/// (<see cref="ConfirmAsync"/>). A confirmation that never comes (the answer was lost, the job's call failed)
/// is resolved by one timer that reads the rows of reservations older than
/// <see cref="FederationGrainsOptions.ConfirmationDeadline"/>:
/// a row naming this region confirms the entry, any other row (or none) drops it, and the job gets a release
/// notice, so that a write that commits after the read (a slow store) is placed again rather than left naming
/// a region that no longer holds it. Entries rebuilt from rows at activation are confirmed by construction.
/// </summary>
public sealed partial class RegionGrain
{
    private readonly HashSet<Entry> _unconfirmed = new(ReferenceEqualityComparer.Instance);
    private readonly List<Entry> _due = new();
    private bool _checkingReservations;

    /// <summary>Admissions not yet confirmed by a committed row (tests and diagnostics).</summary>
    internal int UnconfirmedJobs => _unconfirmed.Count;

    private void Reserve(Entry entry)
    {
        entry.ReservedAt = _runtimeTime.GetTimestamp();
        _unconfirmed.Add(entry);
    }

    /// <summary>
    /// A committed row names this region: a job that already started here is handed to the executor now when that row
    /// says it runs (<paramref name="rowStarted"/>), or else asked to record the start and run on its answer. The row,
    /// not the admission's answer, decides: an answer saying "started" that the job could not commit (a failed write,
    /// a restore during an outage) must not run until a row says so.
    /// </summary>
    private void Confirm(Entry entry, bool rowStarted)
    {
        entry.Confirmed = true;
        _unconfirmed.Remove(entry);
        if (entry.Running && !entry.Executing)
        {
            if (rowStarted)
            {
                StartExecution(entry);
            }
            else
            {
                AskToStart(entry);
            }
        }
    }

    /// <summary>Reads the rows of reservations past the deadline and confirms or drops each (rare: a lost confirmation).</summary>
    private async Task CheckReservationsAsync()
    {
        if (_unconfirmed.Count == 0 || _checkingReservations)
        {
            return;
        }

        var now = _runtimeTime.GetTimestamp();
        _due.Clear();
        foreach (var entry in _unconfirmed)
        {
            if (_runtimeTime.GetElapsedTime(entry.ReservedAt, now) >= _options.ConfirmationDeadline)
            {
                _due.Add(entry);
            }
        }

        if (_due.Count == 0)
        {
            return;
        }

        // One check at a time (the guard), so _due is not refilled while this loop awaits the store.
        _checkingReservations = true;
        try
        {
            var dropped = false;
            foreach (var entry in _due)
            {
                JobRecord? row;
                try
                {
                    row = await _rows.ReadAsync(entry.JobId);
                }
                catch (Exception ex)
                {
                    // The store cannot answer: the reservation keeps its accelerators, unexecuted, until it can.
                    GrainsLog.ReservationCheckFailed(_logger, ex, Id, entry.JobId);
                    continue;
                }

                // The job may have confirmed, withdrawn or been admitted again while the row was read.
                if (entry.Confirmed || !_entries.TryGetValue(entry.JobId, out var current) || !ReferenceEquals(current, entry))
                {
                    continue;
                }

                if (row is { IsActive: true } && string.Equals(row.Region, Id, StringComparison.Ordinal))
                {
                    GrainsLog.ReservationConfirmedByRow(_logger, Id, entry.JobId, row.State);
                    Confirm(entry, row.State == JobState.Running);
                    continue;
                }

                GrainsLog.ReservationDropped(_logger, Id, entry.JobId, row?.State, row?.Region);
                Remove(entry);
                NotifyReleased(entry.JobId, $"{Id} dropped an admission no committed row named");
                dropped = true;
            }

            if (dropped)
            {
                RunSchedule();
            }
        }
        finally
        {
            _checkingReservations = false;
        }
    }
}

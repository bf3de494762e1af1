using Federation.Contracts;
using Federation.Scheduling;

namespace Federation.Grains.Ledger;

/// <summary>
/// The runs of a job as its row's history records them, the way the credit ledger counts them: a run goes from a
/// <c>Started</c> event in region R to the next Completed, Failed, Cancelled, Preempted or Requeued event (or, for the
/// job running there now, to <c>asOf</c>; for a finished job whose last run has no end event, to its end).
/// </summary>
public static class JobRuns
{
    /// <summary>Calls <paramref name="run"/> for every run of <paramref name="job"/>: (its Started event, its end, whether it still runs).</summary>
    public static void Each<TState>(JobSnapshot job, DateTimeOffset asOf, TState state, Action<TState, JobHistoryEntry, DateTimeOffset, bool> run)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(run);
        JobHistoryEntry? open = null;
        foreach (var e in job.History)
        {
            if (e.Kind == JobEventKinds.Started)
            {
                if (open is not null)
                {
                    // A start with no end between (not written by the grains): the earlier run ended when this one began.
                    run(state, open, e.At, false);
                }

                open = e;
            }
            else if (open is not null && IsRunEnd(e.Kind))
            {
                run(state, open, e.At, false);
                open = null;
            }
        }

        if (open is not null && string.Equals(job.Region, open.Region, StringComparison.Ordinal))
        {
            if (job.State == JobState.Running)
            {
                run(state, open, asOf, true);
            }
            else if (job.EndedAt is { } ended)
            {
                run(state, open, ended, false);
            }
        }
    }

    /// <summary>The run's type as its Started event keeps it; for rows written before it was kept, the request's only type, else the region's only pool type.</summary>
    public static string TypeOf(Megaregion megaregion, JobRequest request, JobHistoryEntry start)
    {
        ArgumentNullException.ThrowIfNull(megaregion);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(start);
        if (start.AcceleratorType is { Length: > 0 } kept)
        {
            return kept;
        }

        if (request.Accelerators.Types.Length == 1)
        {
            return request.Accelerators.Types[0];
        }

        var r = start.Region is null ? -1 : megaregion.IndexOf(start.Region);
        return r >= 0 && megaregion.Regions[r].Pools.Length == 1 ? megaregion.Regions[r].Pools[0].Type : LedgerStatement.UnknownType;
    }

    private static bool IsRunEnd(string kind) => kind is JobEventKinds.Completed or JobEventKinds.Failed or JobEventKinds.Cancelled
        or JobEventKinds.Preempted or JobEventKinds.Requeued;
}

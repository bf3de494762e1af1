using Federation.Contracts;
using Federation.Grains.Diagnostics;

namespace Federation.Grains.Jobs;

/// <summary>
/// The notices a region sends (one-way, retried until handled): started, what the backend says, finished, released. Each is idempotent by
/// state: a notice from a region the committed row does not name is stale and ignored, except a start there, which is
/// a ghost run the job stops.
/// </summary>
public sealed partial class JobGrain
{
    public async Task OnStartedAsync(string regionId, DateTimeOffset at)
    {
        if (Record.State != JobState.Queued || !string.Equals(Record.Region, regionId, StringComparison.Ordinal))
        {
            if (Record.State == JobState.Running && string.Equals(Record.Region, regionId, StringComparison.Ordinal))
            {
                // The echo of an admission that started the job at once (the answer said so already).
                return;
            }

            GrainsLog.StaleNotification(_logger, Id, "started", regionId, Record.State, Record.Region);

            // A ghost: the region runs a job whose committed row is elsewhere (an admission whose answer was lost,
            // e.g. a timed-out call, after which the job was placed again or never committed). Stop it there. Most
            // such notices are late: the region started the job and was then told to drop it (a write that
            // failed after the admission), so it no longer runs it and the stop finds nothing.
            if (!IsHeldBy(regionId) && await _grains.Region(regionId).StopAsync(Id))
            {
                GrainsLog.GhostDropped(_logger, Id, regionId, Record.State, Record.Region);
            }

            return;
        }

        Record.State = JobState.Running;
        Record.StartedAt = at;
        Record.AddEvent(at, JobEventKinds.Started, regionId);
        await CommitAsync();
    }

    public async Task OnFinishedAsync(string regionId, RunEnd end)
    {
        ArgumentNullException.ThrowIfNull(end);
        var (outcome, at, message) = (end.Outcome, end.At, end.Message);
        if (!Record.IsActive || !string.Equals(Record.Region, regionId, StringComparison.Ordinal))
        {
            if (string.Equals(Record.Region, regionId, StringComparison.Ordinal))
            {
                GrainsLog.StaleNotification(_logger, Id, "finished", regionId, Record.State, Record.Region);
            }
            else
            {
                // An end from a region the row does not name: with times, so a check can tell a run that overlapped
                // the job's committed one from one that ended before it (e.g. an admission whose write failed).
                GrainsLog.StaleEnd(_logger, Id, regionId, at, Record.State, Record.Region, Record.StartedAt);
            }

            return;
        }

        if (outcome is not (JobState.Completed or JobState.Failed))
        {
            throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "a run ends Completed or Failed");
        }

        // The start notice and the end notice travel separately; an end implies the start.
        Record.StartedAt ??= at - TimeSpan.FromHours(Record.Request!.DurationHours);
        var usage = UsageUntil(at);
        Record.State = outcome;
        Record.EndedAt = at;
        Record.ExitCode = end.ExitCode;
        Record.BackendReason = end.BackendReason ?? Record.BackendReason;
        Record.Reason = $"{outcome.ToString().ToLowerInvariant()} in {regionId}: {message}";
        Record.AddEvent(at, outcome == JobState.Completed ? JobEventKinds.Completed : JobEventKinds.Failed, regionId, message);
        await CommitAsync();
        ReportUsage(usage);
        _instruments.JobsFinished.Add(1);
    }

    public async Task OnBackendReportAsync(string regionId, BackendReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (!Record.IsActive || !string.Equals(Record.Region, regionId, StringComparison.Ordinal))
        {
            GrainsLog.StaleNotification(_logger, Id, "backend report", regionId, Record.State, Record.Region);
            return;
        }

        if (string.Equals(Record.BackendJobId, report.BackendJobId, StringComparison.Ordinal)
            && string.Equals(Record.BackendReason, report.Reason, StringComparison.Ordinal))
        {
            // Nothing new (a re-attach after a restart reports the id the row already has).
            return;
        }

        Record.BackendJobId = report.BackendJobId;
        Record.BackendReason = report.Reason;
        Record.AddEvent(report.At, JobEventKinds.Backend, regionId, report.Message);
        await CommitAsync();
    }

    public async Task OnReleasedAsync(string regionId, string reason)
    {
        // A region releases queued jobs (drain, offer change, data arrived too late) and, after a restart, a job
        // its rows say is running but that no longer fits: either way the region no longer holds it.
        if (!Record.IsActive || !string.Equals(Record.Region, regionId, StringComparison.Ordinal))
        {
            GrainsLog.StaleNotification(_logger, Id, "released", regionId, Record.State, Record.Region);
            return;
        }

        var now = _clock.Now;
        var job = Record.Request!;
        Record.AddEvent(now, JobEventKinds.Requeued, regionId, $"released by {regionId}: {reason}");
        var router = _grains.Router;
        var outcome = await router.PlaceAsync(Id, job, Record.SubmittedAt, regionId);
        if (!outcome.Placed)
        {
            // Nowhere else (e.g. pinned to this region, released after a restart because it did not fit then):
            // the releasing region itself is asked again; its own admission refuses what it should (drain, offer).
            outcome = await router.PlaceAsync(Id, job, Record.SubmittedAt, null);
        }

        ApplyPlacement(outcome, now, regionId, JobEventKinds.Requeued);
        await WriteOrCompensateAsync(outcome.Placed ? outcome.Region : null);
        ReportFlowIfAway(regionId, outcome);
    }
}

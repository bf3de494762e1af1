using System.Globalization;
using Federation.Contracts;
using Federation.Grains.Audit;
using Federation.Grains.Diagnostics;

namespace Federation.Grains.Jobs;

/// <summary>
/// The notices a region sends (retried until handled): started, what the backend says, finished, released, reclaiming, preempted. Each is idempotent by
/// state: a notice from a region the committed row does not name is stale and ignored. A start is asked, not told: the
/// region runs the job only once this job has committed it running there, so a region whose admission is stale never runs it.
/// </summary>
public sealed partial class JobGrain
{
    public async Task<DateTimeOffset?> OnStartedAsync(string regionId, DateTimeOffset at, string acceleratorType)
    {
        if (!IsHeldBy(regionId))
        {
            // Not this region's to run: a stale admission (its write failed, or it was dropped and the job placed again),
            // or a region activation left on a silo declared dead, holding a queue the job has moved on from. Nothing ran:
            // the region drops it.
            GrainsLog.StartRefused(_logger, Id, regionId, Record.State, Record.Region);
            return null;
        }

        if (Record.State == JobState.Running)
        {
            // Already running here: the echo of an admission that started it at once, or a second activation of the
            // region asking for a job another one started. Either runs (re-attaches to) the run the row records.
            GrainsLog.StartAnswered(_logger, Id, regionId, "already running there");
            return Record.StartedAt;
        }

        Record.State = JobState.Running;
        Record.StartedAt = at;
        Record.AddStarted(at, regionId, acceleratorType);
        await CommitAsync();
        GrainsLog.StartAnswered(_logger, Id, regionId, "started, committed");
        return at;
    }

    public async Task OnFinishedAsync(string regionId, RunEnd end)
    {
        ArgumentNullException.ThrowIfNull(end);
        var (outcome, at, message) = (end.Outcome, end.At, end.Message);
        if (Record.State != JobState.Running || !string.Equals(Record.Region, regionId, StringComparison.Ordinal)
            || (end.StartedAt is { } runStart && Record.StartedAt is { } rowStart && runStart != rowStart))
        {
            if (string.Equals(Record.Region, regionId, StringComparison.Ordinal))
            {
                // The end of an earlier run here (the job was released and placed here again since), or of a run the row
                // never recorded: a region runs a job only once its row says it runs, so only the run the row records ends it.
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

        Record.State = outcome;
        Record.EndedAt = at;
        Record.Reclaim = null;
        Record.ExitCode = end.ExitCode;
        Record.BackendReason = end.BackendReason ?? Record.BackendReason;
        Record.Reason = $"{outcome.ToString().ToLowerInvariant()} in {regionId}: {message}";
        Record.AddEvent(at, outcome == JobState.Completed ? JobEventKinds.Completed : JobEventKinds.Failed, regionId, message);
        await CommitAsync();
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
        var released = $"released by {regionId}: {reason}";
        Record.AddEvent(now, JobEventKinds.Requeued, regionId, released);
        await PlaceAgainAsync(regionId, now, released);
    }

    public async Task OnPreemptedAsync(string regionId, RunPreempted preempted)
    {
        ArgumentNullException.ThrowIfNull(preempted);

        // Only the run the row records in that region: a preemption of an earlier run there (the job was placed there
        // again since), or one from a region the row does not name, is stale. A queued row there never ran this admission.
        if (!IsHeldBy(regionId)
            || (Record.State == JobState.Running && preempted.StartedAt is { } runStart && Record.StartedAt is { } rowStart && runStart != rowStart))
        {
            GrainsLog.StaleNotification(_logger, Id, "preempted", regionId, Record.State, Record.Region);
            return;
        }

        var at = preempted.At;
        var usage = UsageUntil(at);
        var hours = Record.State == JobState.Running && Record.StartedAt is { } started ? Math.Max(0, (at - started).TotalHours) : 0;
        Record.AddEvent(at, JobEventKinds.Preempted, regionId, DescribePreemption(regionId, preempted, hours, usage));
        Record.Reclaim = null;
        await PlaceAgainAsync(regionId, _clock.Now, $"preempted in {regionId}");
        _instruments.Preempted(regionId);
    }

    public async Task<bool> OnReclaimingAsync(string regionId, RunReclaim reclaim)
    {
        ArgumentNullException.ThrowIfNull(reclaim);

        // Only the run the row records in that region: the region signals nothing for any other.
        if (Record.State != JobState.Running || !string.Equals(Record.Region, regionId, StringComparison.Ordinal) || Record.StartedAt != reclaim.StartedAt)
        {
            GrainsLog.StaleNotification(_logger, Id, "reclaiming", regionId, Record.State, Record.Region);
            return false;
        }

        if (Record.Reclaim is { } recorded && string.Equals(recorded.Region, regionId, StringComparison.Ordinal) && recorded.StartedAt == reclaim.StartedAt)
        {
            // Already recorded (a retried notice): the first decision's times hold.
            return true;
        }

        Record.Reclaim = reclaim with { Region = regionId };
        var signal = Record.Request?.Run?.CheckpointSignal;
        var forJob = reclaim.ForJobId is { } other ? ForWhom(other, reclaim.OverAllocation) : "";
        var what = reclaim.OverAllocation ? "the accelerators this job holds over its project's allocation" : "the accelerators it lent to this job";
        Record.AddEvent(reclaim.SignalledAt, JobEventKinds.Reclaiming, regionId, string.Create(
            CultureInfo.InvariantCulture,
            $"{regionId} takes back {what}{forJob}: {(signal is null ? "no checkpoint signal (the job asked for none)" : $"checkpoint signal {signal} now")}, stopped at {reclaim.ReclaimAt:u} ({(reclaim.ReclaimAt - reclaim.SignalledAt).TotalSeconds:0.###} s grace) unless it ends first"));
        await CommitAsync();
        return true;
    }

    /// <summary>For whom a region takes accelerators back: its own job (reclaim of a lend), or a job within its project's allocation.</summary>
    private static string ForWhom(string jobId, bool overAllocation) =>
        overAllocation ? $" for {jobId}, a job within its project's allocation" : $" for its own job {jobId}";

    /// <summary>A preemption in words: who took the accelerators back and for whom, how long the run had, what it is charged, how it stopped.</summary>
    private static string DescribePreemption(string regionId, RunPreempted preempted, double hours, double charged)
    {
        var held = preempted.Accelerators > 0 ? $"the {preempted.Accelerators} {preempted.AcceleratorType ?? "accelerators"}" : "the accelerators";
        var what = preempted.OverAllocation ? $"{held} this job held over its project's allocation" : $"{held} it lent to this job";
        var forJob = preempted.ForJobId is { } other ? ForWhom(other, preempted.OverAllocation) : "";
        var how = (preempted.Signal, preempted.EndMessage, preempted.Checkpointed) switch
        {
            (null, _, _) => $"no checkpoint signal, stopped at the end of its grace period at {preempted.At:u}",
            (var signal, null, _) => $"checkpoint signal {signal} at {preempted.SignalledAt:u}, still running at the end of its grace period: stopped at {preempted.At:u}",
            (var signal, var ended, true) => $"checkpoint signal {signal} at {preempted.SignalledAt:u}, checkpointed and ended at {preempted.At:u} (before its reclaim time {preempted.ReclaimAt:u}: {ended})",
            (var signal, var ended, false) => $"checkpoint signal {signal} at {preempted.SignalledAt:u}, ended at {preempted.At:u} without a clean exit (before its reclaim time {preempted.ReclaimAt:u}: {ended}); its checkpoint may be incomplete",
        };
        return string.Create(
            CultureInfo.InvariantCulture,
            $"preempted in {regionId} after {hours:0.###} h: {regionId} took back {what}{forJob}; charged {charged:0.###} accelerator-hours for this run; {how}; placed again");
    }

    /// <summary>
    /// Places the job again after <paramref name="regionId"/> let it go (released, preempted): elsewhere first, and in that
    /// region when nowhere else takes it (pinned there); the row keeps its history.
    /// </summary>
    /// <param name="why">Why the region let it go, for the audit entry of the move.</param>
    private async Task PlaceAgainAsync(string regionId, DateTimeOffset now, string why)
    {
        // The backend's id and reason were the run's here: a run placed again (even in this region) is a new backend job,
        // which must never be taken for the one that ended (its id stays in the history's Backend event).
        Record.BackendJobId = null;
        Record.BackendReason = null;
        var job = Record.Request!;
        var before = AuditState();
        var router = _grains.Router;
        var outcome = await router.PlaceAsync(Id, job, Record.SubmittedAt, regionId);
        if (!outcome.Placed)
        {
            // Nowhere else (e.g. pinned to this region, released after a restart because it did not fit then):
            // the releasing region itself is asked again; its own admission refuses what it should (drain, offer).
            outcome = await router.PlaceAsync(Id, job, Record.SubmittedAt, null);
        }

        if (!outcome.Placed && job.Dataset?.Residency is not null)
        {
            // The router judged by this silo's copy of the policy, which may lag a change the regions already have (a class
            // widened while it narrowed another): read it, and try once more before the job fails.
            await _residency.RefreshAsync();
            outcome = await router.PlaceAsync(Id, job, Record.SubmittedAt, null);
        }

        ApplyPlacement(outcome, now, regionId, JobEventKinds.Requeued);
        Audit(AuditActions.JobMove, before, $"{why}; {PlacementWords(outcome)}");
        await WriteOrCompensateAsync(outcome.Placed ? outcome.Region : null);
        ReportFlowIfAway(regionId, outcome);
    }
}

using Federation.Contracts;
using Microsoft.Extensions.Logging;

namespace Federation.Grains.Diagnostics;

/// <summary>The grains' log messages.</summary>
internal static partial class GrainsLog
{
    [LoggerMessage(1, LogLevel.Information, "Region {Region} rebuilt from job rows: {Running} running, {Queued} queued, {Staging} waiting for data")]
    public static partial void RegionRebuilt(ILogger logger, string region, int running, int queued, int staging);

    [LoggerMessage(3, LogLevel.Warning, "Region {Region} could not notify job {Job} ({What}); the notice is retried until the job has handled it")]
    public static partial void NotifyFailed(ILogger logger, Exception exception, string region, string job, string what);

    [LoggerMessage(4, LogLevel.Debug, "Job {Job} ignored {What} from {Region}: it is {State} in {CurrentRegion}")]
    public static partial void StaleNotification(ILogger logger, string job, string what, string region, JobState state, string? currentRegion);

    [LoggerMessage(5, LogLevel.Warning, "Job {Job}: state write failed after admission in {Region}; the admission was withdrawn")]
    public static partial void WriteFailedCompensated(ILogger logger, Exception exception, string job, string region);

    [LoggerMessage(6, LogLevel.Warning, "Router could not refresh the estimate of region {Region}; it keeps the previous one")]
    public static partial void RefreshFailed(ILogger logger, Exception exception, string region);

    [LoggerMessage(7, LogLevel.Information, "Rebalancer moved {Moved} of {Planned} planned jobs")]
    public static partial void Rebalanced(ILogger logger, int moved, int planned);

    [LoggerMessage(8, LogLevel.Warning, "Rebalancer could not move job {Job}")]
    public static partial void MoveFailed(ILogger logger, Exception exception, string job);

    [LoggerMessage(9, LogLevel.Warning, "Region {Region}: job {Job} is recorded running but no pool of the region can hold it (its pools changed); it is requeued")]
    public static partial void RunningDoesNotFit(ILogger logger, string region, string job);

    [LoggerMessage(10, LogLevel.Information, "Region {Region} delivered the {What} notice to job {Job} after {Failures} failed attempts")]
    public static partial void NoticeDelivered(ILogger logger, string region, string job, string what, int failures);

    [LoggerMessage(11, LogLevel.Warning, "Job {Job}: a state write failed and the row could not be read back; it is read again before the next call")]
    public static partial void ReloadFailed(ILogger logger, Exception exception, string job);

    [LoggerMessage(12, LogLevel.Information, "Job {Job}: the state write reported a failure but had been committed")]
    public static partial void WriteCommittedDespiteError(ILogger logger, string job);

    [LoggerMessage(13, LogLevel.Information, "Job {Job}: region {Region} queues it but the job is {State} in {CurrentRegion}; withdrawn there, never run")]
    public static partial void GhostWithdrawn(ILogger logger, string job, string region, JobState state, string? currentRegion);

    [LoggerMessage(14, LogLevel.Warning, "Job {Job}: a failed move could not put it back in {Region}: {Because}")]
    public static partial void RestoreFailed(ILogger logger, string job, string region, string because);

    [LoggerMessage(15, LogLevel.Debug, "Job {Job} ignored an end in {Region} at {At:o}: it is {State} in {CurrentRegion}, started {StartedAt:o}")]
    public static partial void StaleEnd(ILogger logger, string job, string region, DateTimeOffset at, JobState state, string? currentRegion, DateTimeOffset? startedAt);

    [LoggerMessage(16, LogLevel.Warning, "Region {Region} could not read the row of job {Job} to check its unconfirmed admission; it stays reserved, unexecuted")]
    public static partial void ReservationCheckFailed(ILogger logger, Exception exception, string region, string job);

    [LoggerMessage(17, LogLevel.Information, "Region {Region}: job {Job} never confirmed its admission, but its row says {State} here; confirmed")]
    public static partial void ReservationConfirmedByRow(ILogger logger, string region, string job, JobState state);

    [LoggerMessage(18, LogLevel.Warning, "Region {Region} dropped the unconfirmed admission of job {Job}, never executed: its row is {State} in {CurrentRegion}")]
    public static partial void ReservationDropped(ILogger logger, string region, string job, JobState? state, string? currentRegion);

    [LoggerMessage(19, LogLevel.Warning, "Job {Job} could not confirm its committed row to region {Region}; the region checks the row after its deadline")]
    public static partial void ConfirmFailed(ILogger logger, Exception exception, string job, string region);

    [LoggerMessage(20, LogLevel.Warning, "Statistics of {What} could not be reported; they go with the next report")]
    public static partial void ReportFailed(ILogger logger, Exception exception, string what);

    [LoggerMessage(21, LogLevel.Warning, "Region {Region} is away from home on silo {Silo}: no silo of {Region} is alive. It queues what it admits and starts nothing until a silo of {Region} returns")]
    public static partial void RegionAway(ILogger logger, string region, string silo);

    [LoggerMessage(22, LogLevel.Information, "Region {Region}: silo {Home} of its own is back; leaving {Silo} for it")]
    public static partial void RegionGoingHome(ILogger logger, string region, string home, string silo);

    [LoggerMessage(23, LogLevel.Warning, "The router could not reach region {Region} ({Reason}); the job goes to the next best region")]
    public static partial void AdmitUnreachable(ILogger logger, string region, string reason);

    [LoggerMessage(24, LogLevel.Information, "Job {Job}: region {Region} asked to run it, but it is {State} in {CurrentRegion}; the region drops it, never run")]
    public static partial void StartRefused(ILogger logger, string job, string region, JobState state, string? currentRegion);

    [LoggerMessage(25, LogLevel.Warning, "Region {Region}: the row of job {Job} says {State} here, but this activation did not hold it (admitted by an activation of the region that is gone); held again")]
    public static partial void RowAdopted(ILogger logger, string region, string job, JobState state);

    [LoggerMessage(26, LogLevel.Warning, "Region {Region}: job {Job}'s row could not be read to check a confirmation of a job this activation does not hold; the region's periodic check of its rows will")]
    public static partial void AdoptionReadFailed(ILogger logger, Exception exception, string region, string job);

    [LoggerMessage(27, LogLevel.Warning, "Region {Region} could not read its rows for its periodic check; it tries again next period")]
    public static partial void RowCheckFailed(ILogger logger, Exception exception, string region);

    [LoggerMessage(28, LogLevel.Warning, "A callback on the execution clock ({Target}) failed; it runs again, with backoff, until it succeeds")]
    public static partial void ClockCallbackFailed(ILogger logger, Exception exception, string target);

    [LoggerMessage(29, LogLevel.Debug, "Region {Region} asks job {Job} to record its start at {At:o}")]
    public static partial void StartAsked(ILogger logger, string region, string job, DateTimeOffset at);

    [LoggerMessage(30, LogLevel.Debug, "Region {Region} hands job {Job} to its executor, run from {StartedAt:o}")]
    public static partial void RunHanded(ILogger logger, string region, string job, DateTimeOffset startedAt);

    [LoggerMessage(31, LogLevel.Debug, "Region {Region}: the run of job {Job} from {RunStart:o} ended; {What}")]
    public static partial void RunEnded(ILogger logger, string region, string job, DateTimeOffset? runStart, string what);

    [LoggerMessage(33, LogLevel.Warning, "Region {Region}: job {Job} is recorded running on {Type} accelerators that other runs hold ({Busy} busy of {Count} with it); kept running, and the pool starts nothing until its runs end")]
    public static partial void RunningOverCommitted(ILogger logger, string region, string job, string type, int busy, int count);

    [LoggerMessage(32, LogLevel.Debug, "Job {Job} answered region {Region}'s start: {What}")]
    public static partial void StartAnswered(ILogger logger, string job, string region, string what);

    [LoggerMessage(34, LogLevel.Information, "Region {Region} reclaims its accelerators from job {Job} (lent) for its own job {For}: recorded in the job's row, then its checkpoint signal if it asked for one; stopped at {ReclaimAt:o}")]
    public static partial void Reclaiming(ILogger logger, string region, string job, string @for, DateTimeOffset reclaimAt);

    [LoggerMessage(35, LogLevel.Information, "Region {Region} preempted job {Job} (lent): {How}; the job is placed again")]
    public static partial void Preempted(ILogger logger, string region, string job, string how);

    [LoggerMessage(36, LogLevel.Warning, "Region {Region} could not stop job {Job} at its reclaim time; its accelerators are taken back all the same")]
    public static partial void ReclaimStopFailed(ILogger logger, Exception exception, string region, string job);

    [LoggerMessage(45, LogLevel.Warning, "Region {Region} could not store its count of preemptions ({Count}); the next write of its settings stores it")]
    public static partial void PreemptionCountNotStored(ILogger logger, Exception exception, string region, long count);

    [LoggerMessage(46, LogLevel.Information, "Region {Region} keeps the reclaim of job {Job} its row recorded before a restart: stopped at {ReclaimAt:o}")]
    public static partial void ReclaimRestored(ILogger logger, string region, string job, DateTimeOffset reclaimAt);
    [LoggerMessage(60, LogLevel.Warning, "The residency policy could not be read; this silo keeps version {Version}")]
    public static partial void ResidencyRefreshFailed(ILogger logger, Exception exception, long version);

    [LoggerMessage(61, LogLevel.Information, "Residency class {Class} {What} (regions: {Regions}); policy version {Version}")]
    public static partial void ResidencyChanged(ILogger logger, string @class, string what, string regions, long version);

    [LoggerMessage(62, LogLevel.Warning, "Region {Region} did not take residency policy version {Version}; it catches up when its silo next reads the policy")]
    public static partial void ResidencyPushFailed(ILogger logger, Exception exception, string region, long version);

    [LoggerMessage(63, LogLevel.Information, "Region {Region} released queued job {Job}: residency class {Class} no longer allows it (policy version {Version})")]
    public static partial void ResidencyReleased(ILogger logger, string region, string job, string @class, long version);

    [LoggerMessage(64, LogLevel.Warning, "The queued jobs of project {Project} could not be counted; the cap is judged on the last count")]
    public static partial void QueuedCountFailed(ILogger logger, Exception exception, string project);

    [LoggerMessage(65, LogLevel.Warning, "{Count} audit entries of {Target} could not be appended to the audit table; they stay in the grain's state and are appended with its next change or activation")]
    public static partial void AuditNotAppended(ILogger logger, Exception exception, int count, string target);
}

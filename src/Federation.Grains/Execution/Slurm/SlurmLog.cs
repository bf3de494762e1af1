using Microsoft.Extensions.Logging;

namespace Federation.Grains.Execution.Slurm;

/// <summary>What the Slurm executor logs.</summary>
internal static partial class SlurmLog
{
    [LoggerMessage(100, LogLevel.Information, "Region {Region}: job {JobId} submitted to Slurm as job {SlurmId}")]
    public static partial void Submitted(ILogger logger, string region, string jobId, long slurmId);

    [LoggerMessage(101, LogLevel.Information, "Region {Region}: job {JobId} re-attached to Slurm job {SlurmId} ({State})")]
    public static partial void Reattached(ILogger logger, string region, string jobId, long slurmId, string state);

    [LoggerMessage(102, LogLevel.Information, "Region {Region}: job {JobId} (Slurm job {SlurmId}) ended {State} ({Reason}), exit code {ExitCode}")]
    public static partial void Ended(ILogger logger, string region, string jobId, long slurmId, string state, string? reason, int? exitCode);

    [LoggerMessage(103, LogLevel.Warning, "Region {Region}: slurmrestd could not be used ({Message}); retrying every {Period}")]
    public static partial void Unreachable(ILogger logger, string region, string message, TimeSpan period);

    [LoggerMessage(104, LogLevel.Warning, "Region {Region}: Slurm refused job {JobId}: {Message}")]
    public static partial void Refused(ILogger logger, string region, string jobId, string message);

    [LoggerMessage(105, LogLevel.Warning, "Region {Region}: could not tell the region about job {JobId} ({What}); retrying")]
    public static partial void ReportFailed(ILogger logger, Exception exception, string region, string jobId, string what);

    [LoggerMessage(106, LogLevel.Information, "Region {Region}: job {JobId} cancelled in Slurm (job {SlurmId})")]
    public static partial void Cancelled(ILogger logger, string region, string jobId, long slurmId);

    [LoggerMessage(107, LogLevel.Warning, "Region {Region}: job {JobId} has been pending in Slurm (job {SlurmId}) for {Pending} ({Reason})")]
    public static partial void LongPending(ILogger logger, string region, string jobId, long slurmId, TimeSpan pending, string? reason);

    [LoggerMessage(108, LogLevel.Information, "Region {Region}: Slurm's nodes offer {Capacity}")]
    public static partial void Capacity(ILogger logger, string region, string capacity);

    [LoggerMessage(110, LogLevel.Warning, "Region {Region}: job {JobId} is cancelled, but Slurm cannot be reached to cancel it there ({Message}); retrying until it can")]
    public static partial void CancelDeferred(ILogger logger, string region, string jobId, string message);

    [LoggerMessage(109, LogLevel.Error, "Region {Region}: the Slurm executor's loop failed; it goes on")]
    public static partial void LoopFailed(ILogger logger, Exception exception, string region);

    [LoggerMessage(111, LogLevel.Information, "Region {Region}: sent checkpoint signal {Signal} to job {JobId} (Slurm job {SlurmId}): its accelerators are being taken back")]
    public static partial void Signalled(ILogger logger, string region, string jobId, long slurmId, string signal);

    [LoggerMessage(112, LogLevel.Warning, "Region {Region}: checkpoint signal {Signal} to job {JobId} (Slurm job {SlurmId}) did not go ({Message}); retried at the next pass")]
    public static partial void SignalFailed(ILogger logger, string region, string jobId, long slurmId, string signal, string message);
}

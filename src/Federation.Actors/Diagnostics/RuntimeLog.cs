using Microsoft.Extensions.Logging;

namespace Federation.Actors.Diagnostics;

/// <summary>The runtime's log messages.</summary>
internal static partial class RuntimeLog
{
    [LoggerMessage(1, LogLevel.Debug, "Activated {GrainId} ({ActivationId})")]
    public static partial void Activated(ILogger logger, GrainId grainId, Guid activationId);

    [LoggerMessage(2, LogLevel.Warning, "Activation of {GrainId} failed")]
    public static partial void ActivationFailed(ILogger logger, GrainId grainId, Exception exception);

    [LoggerMessage(3, LogLevel.Debug, "Deactivated {GrainId} ({ActivationId}): {Reason}")]
    public static partial void Deactivated(ILogger logger, GrainId grainId, Guid activationId, DeactivationReason reason);

    [LoggerMessage(4, LogLevel.Warning, "OnDeactivateAsync of {GrainId} failed")]
    public static partial void DeactivationFailed(ILogger logger, GrainId grainId, Exception exception);

    [LoggerMessage(5, LogLevel.Warning, "One-way call {Request} to {GrainId} failed")]
    public static partial void OneWayFailed(ILogger logger, string request, GrainId grainId, Exception exception);

    [LoggerMessage(6, LogLevel.Warning, "Timer callback of {GrainId} failed")]
    public static partial void TimerFailed(ILogger logger, GrainId grainId, Exception exception);

    [LoggerMessage(7, LogLevel.Warning, "Call {Request} to {GrainId} timed out after {Timeout}")]
    public static partial void RequestTimedOut(ILogger logger, string request, GrainId grainId, TimeSpan timeout);

    [LoggerMessage(8, LogLevel.Warning, "Reminder {ReminderName} of {GrainId} failed")]
    public static partial void ReminderFailed(ILogger logger, string reminderName, GrainId grainId, Exception exception);

    [LoggerMessage(9, LogLevel.Error, "A turn of {GrainId} threw")]
    public static partial void TurnFailed(ILogger logger, GrainId grainId, Exception exception);

    [LoggerMessage(10, LogLevel.Information, "Silo {SiloName} ({SiloAddress}) started")]
    public static partial void SiloStarted(ILogger logger, string siloName, SiloAddress siloAddress);

    [LoggerMessage(11, LogLevel.Information, "Silo {SiloName} stopping: deactivating {Count} activations")]
    public static partial void SiloStopping(ILogger logger, string siloName, int count);

    [LoggerMessage(12, LogLevel.Information, "Reminder service loaded {Count} reminders")]
    public static partial void RemindersLoaded(ILogger logger, int count);

    [LoggerMessage(13, LogLevel.Warning, "Message {Request} to {GrainId} dropped after {Count} forwards")]
    public static partial void ForwardLimit(ILogger logger, string request, GrainId grainId, int count);

    [LoggerMessage(14, LogLevel.Warning, "{GrainId} deactivates after an InconsistentStateException")]
    public static partial void InconsistentState(ILogger logger, GrainId grainId);
}

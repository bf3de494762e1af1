namespace Federation.Actors;

/// <summary>A grain that receives durable reminder ticks.</summary>
public interface IRemindable : IGrain
{
    /// <summary>One tick; ticks can repeat while ownership converges, so handle them idempotently.</summary>
    Task ReceiveReminder(string reminderName, TickStatus status);
}

/// <summary>The schedule of a reminder tick.</summary>
public readonly record struct TickStatus(DateTime FirstTickTime, TimeSpan Period, DateTime CurrentTickTime);

/// <summary>A handle to a registered reminder.</summary>
public interface IGrainReminder
{
    string ReminderName { get; }
}

namespace Federation.Actors;

public abstract partial class Grain
{
    /// <summary>
    /// Registers (or replaces) a durable reminder. The grain must implement <see cref="IRemindable"/>.
    /// The period must be at least the configured minimum (1 min by default); the due time must be
    /// non-negative and finite.
    /// </summary>
    protected Task<IGrainReminder> RegisterOrUpdateReminder(string reminderName, TimeSpan dueTime, TimeSpan period)
    {
        if (this is not IRemindable)
        {
            throw new InvalidOperationException($"Grain {GetType().FullName} must implement IRemindable to register reminders.");
        }

        return GrainContext.Reminders.RegisterOrUpdateReminderAsync(reminderName, dueTime, period);
    }

    protected Task UnregisterReminder(IGrainReminder reminder) => GrainContext.Reminders.UnregisterReminderAsync(reminder);

    protected Task<IGrainReminder?> GetReminder(string reminderName) => GrainContext.Reminders.GetReminderAsync(reminderName);

    protected Task<IReadOnlyList<IGrainReminder>> GetReminders() => GrainContext.Reminders.GetRemindersAsync();
}

using Federation.Actors.Reminders;

namespace Federation.Actors;

/// <summary>
/// The runtime side of one activation, as a grain sees it. Implemented by the runtime; the
/// <see cref="Grain"/> base class forwards to it.
/// </summary>
public interface IGrainContext
{
    GrainId GrainId { get; }

    /// <summary>Unique per activation: a reactivated grain gets a new one.</summary>
    Guid ActivationId { get; }

    IGrainFactory GrainFactory { get; }

    IServiceProvider ActivationServices { get; }

    /// <summary>The grain instance, once constructed.</summary>
    object? GrainInstance { get; }

    void DeactivateOnIdle();

    void DelayDeactivation(TimeSpan timeSpan);

    IGrainTimer RegisterGrainTimer<TState>(Func<TState, CancellationToken, Task> callback, TState state, GrainTimerCreationOptions options);

    /// <summary>Binds a persistent state to this activation; it is read before OnActivateAsync.</summary>
    IPersistentState<TState> GetPersistentState<TState>(string stateName, string? storageName);

    /// <summary>The durable reminders of this grain.</summary>
    IGrainReminderRegistry Reminders { get; }

    /// <summary>Records that this activation accepts requests carrying the call-chain id (reference counted).</summary>
    void EnterCallChainReentrancy(Guid callChainId);

    void ExitCallChainReentrancy(Guid callChainId);
}

/// <summary>Reminder operations of one grain, implemented by the runtime's reminder service.</summary>
public interface IGrainReminderRegistry
{
    Task<IGrainReminder> RegisterOrUpdateReminderAsync(string reminderName, TimeSpan dueTime, TimeSpan period, CancellationToken cancellationToken = default);

    Task UnregisterReminderAsync(IGrainReminder reminder, CancellationToken cancellationToken = default);

    Task<IGrainReminder?> GetReminderAsync(string reminderName, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<IGrainReminder>> GetRemindersAsync(CancellationToken cancellationToken = default);
}

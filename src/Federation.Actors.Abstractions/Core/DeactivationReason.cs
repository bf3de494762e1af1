namespace Federation.Actors;

/// <summary>Why an activation is being deactivated (Orleans' DeactivationReasonCode values).</summary>
public enum DeactivationReasonCode
{
    None = 0,
    ShuttingDown,
    ActivationFailed,
    DirectoryFailure,
    ApplicationRequested,
    ApplicationError,
    ActivationIdle,
    ActivationUnresponsive,
    DuplicateActivation,
    IncompatibleRequest,
    Migrating,
    RuntimeRequested,
    HighMemoryPressure,
}

/// <summary>The reason passed to <see cref="Grain.OnDeactivateAsync"/>: a code, a description and the error, if any.</summary>
public readonly record struct DeactivationReason(DeactivationReasonCode ReasonCode, string Description, Exception? Exception = null)
{
    public override string ToString() => Exception is null ? $"{ReasonCode}: {Description}" : $"{ReasonCode}: {Description} ({Exception.GetType().Name})";
}

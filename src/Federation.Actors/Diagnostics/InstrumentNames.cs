namespace Federation.Actors.Diagnostics;

/// <summary>
/// The runtime's metric names. The Meter is named <see cref="MeterName"/> (issue 2); the instrument
/// names are Orleans' own, so dashboards written for Orleans' <c>Microsoft.Orleans</c> meter read them.
/// </summary>
public static class InstrumentNames
{
    public const string MeterName = "Federation.Actors";

    public const string CatalogActivations = "orleans-catalog-activations";
    public const string CatalogActivationCreated = "orleans-catalog-activation-created";
    public const string CatalogActivationDestroyed = "orleans-catalog-activation-destroyed";
    public const string CatalogActivationFailedToActivate = "orleans-catalog-activation-failed-to-activate";
    public const string CatalogActivationShutdown = "orleans-catalog-activation-shutdown";
    public const string Grains = "orleans-grains";

    public const string AppRequestsLatency = "orleans-app-requests-latency";
    public const string AppRequestsTimedOut = "orleans-app-requests-timedout";

    public const string StorageReadLatency = "orleans-storage-read-latency";
    public const string StorageWriteLatency = "orleans-storage-write-latency";
    public const string StorageClearLatency = "orleans-storage-clear-latency";
    public const string StorageReadErrors = "orleans-storage-read-errors";
    public const string StorageWriteErrors = "orleans-storage-write-errors";
    public const string StorageClearErrors = "orleans-storage-clear-errors";

    public const string RemindersTicksDelivered = "orleans-reminders-ticks-delivered";
    public const string RemindersActive = "orleans-reminders-active";

    /// <summary>Tag: the grain type name.</summary>
    public const string GrainTypeTag = "grain_type";

    /// <summary>Tag on <see cref="Grains"/>: the grain type name.</summary>
    public const string TypeTag = "type";

    /// <summary>Tag on <see cref="CatalogActivationShutdown"/>: why the activation was shut down.</summary>
    public const string ViaTag = "via";

    public const string StateNameTag = "state_name";
    public const string StateTypeTag = "state_type";
    public const string ProviderTag = "provider_type_name";
}

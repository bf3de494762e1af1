using System.Diagnostics.Metrics;

namespace Federation.Actors.Diagnostics;

/// <summary>The runtime's one Meter and its instruments, created from <see cref="IMeterFactory"/>.</summary>
internal sealed class ActorsInstruments
{
    private long _activations;
    private long _activeReminders;

    public ActorsInstruments(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter = meterFactory.Create(InstrumentNames.MeterName);
        Meter.CreateObservableGauge(InstrumentNames.CatalogActivations, () => Volatile.Read(ref _activations), "{activation}", "Activations in the catalog");
        Meter.CreateObservableGauge(InstrumentNames.RemindersActive, () => Volatile.Read(ref _activeReminders), "{reminder}", "Reminders scheduled on this silo");
        ActivationCreated = Meter.CreateCounter<long>(InstrumentNames.CatalogActivationCreated, "{activation}");
        ActivationDestroyed = Meter.CreateCounter<long>(InstrumentNames.CatalogActivationDestroyed, "{activation}");
        ActivationFailed = Meter.CreateCounter<long>(InstrumentNames.CatalogActivationFailedToActivate, "{activation}");
        ActivationShutdown = Meter.CreateCounter<long>(InstrumentNames.CatalogActivationShutdown, "{activation}");
        Grains = Meter.CreateUpDownCounter<long>(InstrumentNames.Grains, "{activation}", "Activations per grain type");
        RequestLatency = Meter.CreateHistogram<double>(InstrumentNames.AppRequestsLatency, "ms", "Grain call latency, from send to response");
        RequestsTimedOut = Meter.CreateCounter<long>(InstrumentNames.AppRequestsTimedOut, "{request}");
        StorageReadLatency = Meter.CreateHistogram<double>(InstrumentNames.StorageReadLatency, "ms");
        StorageWriteLatency = Meter.CreateHistogram<double>(InstrumentNames.StorageWriteLatency, "ms");
        StorageClearLatency = Meter.CreateHistogram<double>(InstrumentNames.StorageClearLatency, "ms");
        StorageReadErrors = Meter.CreateCounter<long>(InstrumentNames.StorageReadErrors, "{error}");
        StorageWriteErrors = Meter.CreateCounter<long>(InstrumentNames.StorageWriteErrors, "{error}");
        StorageClearErrors = Meter.CreateCounter<long>(InstrumentNames.StorageClearErrors, "{error}");
        RemindersTicksDelivered = Meter.CreateCounter<long>(InstrumentNames.RemindersTicksDelivered, "{tick}");
    }

    public Meter Meter { get; }

    public Counter<long> ActivationCreated { get; }

    public Counter<long> ActivationDestroyed { get; }

    public Counter<long> ActivationFailed { get; }

    public Counter<long> ActivationShutdown { get; }

    public UpDownCounter<long> Grains { get; }

    public Histogram<double> RequestLatency { get; }

    public Counter<long> RequestsTimedOut { get; }

    public Histogram<double> StorageReadLatency { get; }

    public Histogram<double> StorageWriteLatency { get; }

    public Histogram<double> StorageClearLatency { get; }

    public Counter<long> StorageReadErrors { get; }

    public Counter<long> StorageWriteErrors { get; }

    public Counter<long> StorageClearErrors { get; }

    public Counter<long> RemindersTicksDelivered { get; }

    public void ActivationAdded(GrainType type)
    {
        Interlocked.Increment(ref _activations);
        ActivationCreated.Add(1);
        Grains.Add(1, new KeyValuePair<string, object?>(InstrumentNames.TypeTag, type.Value));
    }

    public void ActivationRemoved(GrainType type, DeactivationReasonCode reason)
    {
        Interlocked.Decrement(ref _activations);
        ActivationDestroyed.Add(1);
        Grains.Add(-1, new KeyValuePair<string, object?>(InstrumentNames.TypeTag, type.Value));
        ActivationShutdown.Add(1, new KeyValuePair<string, object?>(InstrumentNames.ViaTag, ShutdownVia(reason)));
    }

    public void ReminderScheduled() => Interlocked.Increment(ref _activeReminders);

    public void ReminderUnscheduled() => Interlocked.Decrement(ref _activeReminders);

    private static string ShutdownVia(DeactivationReasonCode reason) => reason switch
    {
        DeactivationReasonCode.ActivationIdle => "collection",
        DeactivationReasonCode.ApplicationRequested => "deactivateOnIdle",
        DeactivationReasonCode.ActivationUnresponsive => "deactivateStuckActivation",
        DeactivationReasonCode.Migrating => "migration",
        DeactivationReasonCode.ShuttingDown => "shutdown",
        _ => "other",
    };
}

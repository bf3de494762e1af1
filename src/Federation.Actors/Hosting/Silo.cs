using Federation.Actors.Catalog;
using Federation.Actors.Diagnostics;
using Federation.Actors.Directory;
using Federation.Actors.Placement;
using Federation.Actors.Reminders;
using Microsoft.Extensions.Hosting;

namespace Federation.Actors.Hosting;

/// <summary>
/// The silo: starts the reminder service and the catalog's maintenance scans with the host, and on a
/// graceful stop deactivates every activation (running OnDeactivateAsync) before the host exits.
/// </summary>
public sealed class Silo : IHostedService, IAsyncDisposable
{
    private readonly SiloRuntime _runtime;
    private readonly Catalog.Catalog _catalog;
    private readonly ReminderService _reminders;

    internal Silo(SiloRuntime runtime, Catalog.Catalog catalog, ReminderService reminders)
    {
        _runtime = runtime;
        _catalog = catalog;
        _reminders = reminders;
    }

    public SiloAddress Address => _runtime.LocalSilo.Address;

    public SiloInfo Info => _runtime.LocalSilo;

    /// <summary>Activations in the catalog (stateless workers included).</summary>
    public int ActivationCount => _catalog.Count;

    internal Catalog.Catalog Catalog => _catalog;

    internal IGrainDirectory Directory => _runtime.Directory;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        GrainModuleLoader.EnsureLoaded();
        _catalog.StartMaintenance();
        await _reminders.StartAsync(cancellationToken);
        RuntimeLog.SiloStarted(_runtime.Logger, _runtime.LocalSilo.Name, _runtime.LocalSilo.Address);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        RuntimeLog.SiloStopping(_runtime.Logger, _runtime.LocalSilo.Name, _catalog.Count);
        await _reminders.DisposeAsync();
        await _catalog.DeactivateAllAsync(new DeactivationReason(DeactivationReasonCode.ShuttingDown, "The silo is stopping."), cancellationToken);
        _catalog.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await _reminders.DisposeAsync();
        _catalog.Dispose();
    }
}

using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;

namespace Federation.Storage.Hosting;

/// <summary>
/// Creates or migrates the clustering schema first thing in the silo's start (<see cref="ServiceLifecycleStage.First"/>),
/// long before Orleans' membership initialises its table and reads its statements from <c>orleansquery</c>
/// (<c>MembershipTableManager</c> starts at <see cref="ServiceLifecycleStage.RuntimeGrainServices"/>). Runs beside
/// <see cref="StorageInitializer"/> when both are registered; the schema lock makes them take turns (see
/// <see cref="AdoNetDatabase"/>). A database that cannot be prepared stops the silo's start with an error naming it.
/// </summary>
internal sealed partial class ClusteringInitializer(FederationClustering clustering, ILogger<ClusteringInitializer> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        lifecycle.Subscribe(nameof(ClusteringInitializer), ServiceLifecycleStage.First, InitializeAsync, static _ => Task.CompletedTask);
    }

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await clustering.Database.InitializeAsync(cancellationToken).ConfigureAwait(false);
        LogReady(logger, clustering.Description, clustering.SharesStoragePool);
    }

    [LoggerMessage(1, LogLevel.Information, "Clustering schema ready: {Description} (storage pool shared: {Shared})")]
    private static partial void LogReady(ILogger logger, string description, bool shared);
}

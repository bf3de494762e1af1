using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;

namespace Federation.Storage.Hosting;

/// <summary>
/// Creates or migrates the schema of every database the silo uses, first thing in the silo's start (before Orleans'
/// providers read their statements from <c>orleansquery</c> and before any grain runs). Idempotent, and safe when two
/// processes start at once on one database (see <see cref="AdoNetDatabase"/>). A database that cannot be prepared stops
/// the silo's start with an error naming it.
/// </summary>
internal sealed partial class StorageInitializer(FederationDatabases databases, ILogger<StorageInitializer> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        lifecycle.Subscribe(nameof(StorageInitializer), ServiceLifecycleStage.First, InitializeAsync, static _ => Task.CompletedTask);
    }

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        foreach (var database in databases.All)
        {
            await database.InitializeAsync(cancellationToken).ConfigureAwait(false);
        }

        LogReady(logger, databases.Description);
    }

    [LoggerMessage(1, LogLevel.Information, "Storage ready: {Description}")]
    private static partial void LogReady(ILogger logger, string description);
}

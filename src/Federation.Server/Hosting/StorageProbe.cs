using Federation.Actors.AdoNet;
using Federation.Actors.Storage;

namespace Federation.Server.Hosting;

/// <summary>
/// Asks the grain storage whether its database answers, for <c>/health</c>. ADO.NET providers (SQLite,
/// PostgreSQL) implement <see cref="IStorageHealthCheck"/>, bounded by their own timeouts; in-memory
/// storage has nothing that can be unreachable.
/// </summary>
public sealed class StorageProbe
{
    private readonly IServiceProvider _services;

    public StorageProbe(IServiceProvider services)
    {
        _services = services;
    }

    /// <summary>The provider's answer, or null when it has no database to check.</summary>
    public async Task<StorageHealth?> CheckAsync(CancellationToken cancellationToken) =>
        _services.GetKeyedService<IGrainStorage>(FederationServerOptions.StorageName) is IStorageHealthCheck check
            ? await check.CheckHealthAsync(cancellationToken)
            : null;
}

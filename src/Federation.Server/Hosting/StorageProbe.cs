using Federation.Storage;

namespace Federation.Server.Hosting;

/// <summary>
/// Asks the silo's databases whether they answer, for <c>/health</c> (bounded by their own timeouts); in-memory
/// storage has nothing that can be unreachable.
/// </summary>
public sealed class StorageProbe(IStorageHealthCheck storage)
{
    /// <summary>The databases' answer.</summary>
    public Task<StorageHealth> CheckAsync(CancellationToken cancellationToken) => storage.CheckHealthAsync(cancellationToken);
}

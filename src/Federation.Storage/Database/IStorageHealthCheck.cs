namespace Federation.Storage;

/// <summary>The state of a storage provider's database as a health endpoint reports it.</summary>
/// <param name="IsHealthy">True when a trivial statement ran on the database.</param>
/// <param name="Description">What was checked or why it failed; names the database, never credentials.</param>
public readonly record struct StorageHealth(bool IsHealthy, string Description);

/// <summary>
/// Implemented by providers that can tell whether their database is reachable. The check is bounded by
/// the provider's connect and command timeouts, so a health endpoint does not hang during an outage.
/// </summary>
public interface IStorageHealthCheck
{
    /// <summary>Runs one trivial statement on the database; never throws for an outage, only reports it.</summary>
    Task<StorageHealth> CheckHealthAsync(CancellationToken cancellationToken = default);
}

using Federation.Storage.Postgres;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Federation.Storage.Hosting;

/// <summary>
/// Where the silos of a cluster keep Orleans' membership: a PostgreSQL database holding
/// <see cref="SchemaComponent.OrleansClustering"/>, and the pool Orleans' clustering provider opens its connections from.
/// That pool is the silo's storage pool (<see cref="FederationDatabases.DataSource"/>) when the storage is on PostgreSQL
/// with the same options, so one set of timeouts and limits covers every statement; otherwise it is one of its own.
/// </summary>
public sealed class FederationClustering : IAsyncDisposable
{
    private FederationClustering(AdoNetDatabase database, NpgsqlDataSource dataSource, bool sharesStoragePool)
    {
        Database = database;
        DataSource = dataSource;
        SharesStoragePool = sharesStoragePool;
    }

    /// <summary>The database, to prepare the clustering schema on (Orleans' provider reads and writes it directly).</summary>
    public AdoNetDatabase Database { get; }

    /// <summary>The pool Orleans' clustering provider is given.</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <summary>True when <see cref="DataSource"/> is the storage's pool (disposed with the storage, not here).</summary>
    public bool SharesStoragePool { get; }

    /// <summary>Server, port, database and schema, safe to log: never credentials.</summary>
    public string Description => $"postgres ({Database.DisplayName})";

    /// <summary>
    /// The clustering database the options name, on <paramref name="storage"/>'s pool when that is PostgreSQL built from
    /// the same effective connection string (<see cref="PostgresStorage.EffectiveConnectionString"/>), else on a pool of its own.
    /// </summary>
    public static FederationClustering Postgres(PostgresStorageOptions options, FederationDatabases? storage = null, TimeProvider? time = null, ILoggerFactory? loggerFactory = null)
    {
        PostgresStorageOptionsValidator.ThrowIfInvalid(nameof(PostgresStorageOptions), options);
        var shared = storage is { Kind: StorageKind.Postgres, DataSource: { } pool } && storage.ConnectionString == PostgresStorage.EffectiveConnectionString(options)
            ? pool
            : null;
        var dataSource = shared ?? PostgresStorage.CreateDataSource(options, loggerFactory);
        var database = PostgresStorage.CreateClusteringDatabase(options, dataSource, ownsDataSource: shared is null, time, loggerFactory);
        return new FederationClustering(database, dataSource, shared is not null);
    }

    /// <summary>Closes the database; its pool too unless it is the storage's.</summary>
    public ValueTask DisposeAsync() => Database.DisposeAsync();
}

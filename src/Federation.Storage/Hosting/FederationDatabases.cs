using Federation.Storage.Audit;
using Federation.Storage.Jobs;
using Federation.Storage.Postgres;
using Federation.Storage.Sqlite;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Federation.Storage.Hosting;

/// <summary>
/// The databases of one silo, made once: the job store's (which holds the audit table too), and where Orleans keeps
/// grain state (the same PostgreSQL database, or a second SQLite file). Health checks ask every one; the initializer
/// prepares every one. In memory, one <see cref="MemoryAuditLog"/> is both the audit log and where the job store appends
/// its rows' entries.
/// </summary>
public sealed class FederationDatabases : IStorageHealthCheck, IAsyncDisposable
{
    private readonly MemoryAuditLog? _memoryAuditLog;

    private FederationDatabases(StorageKind kind, IReadOnlyList<AdoNetDatabase> all, string description, NpgsqlDataSource? dataSource, string? connectionString)
    {
        Kind = kind;
        All = all;
        Description = description;
        DataSource = dataSource;
        ConnectionString = connectionString;
        _memoryAuditLog = kind == StorageKind.Memory ? new MemoryAuditLog() : null;
    }

    public StorageKind Kind { get; }

    /// <summary>Every database the silo uses (none in memory).</summary>
    public IReadOnlyList<AdoNetDatabase> All { get; }

    /// <summary>Where state is kept, in words safe to log and show: files, or server and database; never credentials.</summary>
    public string Description { get; }

    /// <summary>PostgreSQL only: the pool the job store and Orleans' providers share.</summary>
    public NpgsqlDataSource? DataSource { get; }

    /// <summary>PostgreSQL only: the connection string <see cref="DataSource"/> was built from (<see cref="PostgresStorage.EffectiveConnectionString"/>); never logged.</summary>
    internal string? ConnectionString { get; }

    public static FederationDatabases Memory() => new(StorageKind.Memory, [], "memory (lost on exit)", null, null);

    public static FederationDatabases Sqlite(SqliteStorageOptions options, TimeProvider? time = null, ILoggerFactory? loggerFactory = null)
    {
        var jobs = SqliteStorage.CreateJobDatabase(options, time, loggerFactory);
        var grainState = SqliteStorage.CreateGrainStateDatabase(options, time, loggerFactory);
        return new(StorageKind.Sqlite, [jobs, grainState], $"sqlite (jobs {jobs.DisplayName}, grain state {grainState.DisplayName})", null, null);
    }

    public static FederationDatabases Postgres(PostgresStorageOptions options, TimeProvider? time = null, ILoggerFactory? loggerFactory = null)
    {
        var dataSource = PostgresStorage.CreateDataSource(options, loggerFactory);
        var database = PostgresStorage.CreateDatabase(options, dataSource, time, loggerFactory);
        return new(StorageKind.Postgres, [database], $"postgres ({database.DisplayName})", dataSource, PostgresStorage.EffectiveConnectionString(options));
    }

    /// <summary>The job store on these databases.</summary>
    public IJobStore CreateJobStore(string serviceId, JobStoreOptions options, Orleans.Storage.IGrainStorageSerializer serializer, TimeProvider? time = null) =>
        Kind == StorageKind.Memory
            ? new MemoryJobStore(options, serializer, _memoryAuditLog)
            : new AdoNetJobStore(All[0], serviceId, options, serializer, time);

    /// <summary>
    /// The audit log on these databases: the audit table of the job database (<c>All[0]</c>), where the job store writes
    /// its rows' entries too; in memory, this instance's one <see cref="MemoryAuditLog"/> (the same on every call, the
    /// one <see cref="CreateJobStore"/> appends to; memory holds one deployment, so <paramref name="serviceId"/> is not used).
    /// </summary>
    public IAuditLog CreateAuditLog(string serviceId) =>
        _memoryAuditLog ?? (IAuditLog)new AdoNetAuditLog(All[0], serviceId);

    /// <summary>Healthy when every database answers a trivial statement; the first that does not is named.</summary>
    public async Task<StorageHealth> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        foreach (var database in All)
        {
            var health = await database.CheckHealthAsync(cancellationToken).ConfigureAwait(false);
            if (!health.IsHealthy)
            {
                return health;
            }
        }

        return new StorageHealth(true, Description);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var database in All)
        {
            await database.DisposeAsync().ConfigureAwait(false);
        }

        if (DataSource is not null)
        {
            await DataSource.DisposeAsync().ConfigureAwait(false);
        }
    }
}

using Federation.Benchmarks.Http;
using Federation.Grains.Hosting;
using Federation.Storage.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Benchmarks.GrainPlacement;

/// <summary>
/// A silo in this process with the domain grains on the default megaregion, state in memory, in SQLite files in a
/// temporary folder, or in PostgreSQL in a schema of its own; the folder or schema is removed on dispose.
/// </summary>
internal sealed class PlacementSilo : IAsyncDisposable
{
    private readonly LocalSilo _silo;
    private readonly string? _folder;
    private readonly string? _postgresConnection;
    private readonly string? _postgresSchema;

    private PlacementSilo(LocalSilo silo, string? folder, string? postgresConnection, string? postgresSchema)
    {
        _silo = silo;
        _folder = folder;
        _postgresConnection = postgresConnection;
        _postgresSchema = postgresSchema;
        GrainFactory = silo.Services.GetRequiredService<IGrainFactory>();
        Storage = silo.Services.GetRequiredService<FederationDatabases>().Description;
    }

    public IGrainFactory GrainFactory { get; }

    public IServiceProvider Services => _silo.Services;

    /// <summary>Where the state is, in words (files, or server, database and schema; never credentials).</summary>
    public string Storage { get; }

    /// <param name="storage">memory, sqlite or postgres.</param>
    /// <param name="postgresConnection">For postgres: the server, else <see cref="BenchmarkPostgres.EnvironmentVariable"/>'s
    /// (a <see cref="FormatException"/> says how to set it).</param>
    /// <param name="cancellationToken">Abandons the start.</param>
    public static async Task<PlacementSilo> StartAsync(string storage, string? postgresConnection, CancellationToken cancellationToken)
    {
        string? folder = null;
        string? connection = null;
        string? schema = null;
        Action<ISiloBuilder> addStorage;
        switch (storage)
        {
            case "memory":
                addStorage = static silo => silo.AddFederationMemoryStorage();
                break;
            case "sqlite":
                folder = Path.Combine(Path.GetTempPath(), $"federation-placement-{Guid.NewGuid():N}");
                var file = Path.Combine(folder, "federation.db");
                addStorage = silo => silo.AddFederationSqliteStorage(o => o.ConnectionString = $"Data Source={file}");
                break;
            case "postgres":
                connection = BenchmarkPostgres.ConnectionOrDefault(postgresConnection);
                schema = BenchmarkPostgres.NewSchema("bench_placement");
                addStorage = silo => silo.AddFederationPostgresStorage(o =>
                {
                    o.ConnectionString = connection;
                    o.Schema = schema;
                    o.MaxPoolSize = BenchmarkPostgres.MaxPoolSize;
                });
                break;
            default:
                throw new FormatException($"--storage must be memory, sqlite or postgres (was '{storage}')");
        }

        LocalSilo silo;
        try
        {
            silo = await LocalSilo.StartAsync(
                builder =>
                {
                    addStorage(builder);

                    // The rebalancer would move queued jobs while the load runs; it is measured separately. The cap on queued jobs
                    // per project is off: every job is of one project, and the run queues more than the cap.
                    builder.AddFederationGrains(o => o.RebalanceInterval = TimeSpan.Zero);
                    builder.Services.Configure<Federation.Grains.Admission.AdmissionOptions>(o => o.MaxQueuedJobsPerProject = 0);
                },
                cancellationToken);
        }
        catch
        {
            await RemoveAsync(folder, connection, schema);
            throw;
        }

        return new PlacementSilo(silo, folder, connection, schema);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _silo.DisposeAsync();
        }
        finally
        {
            await RemoveAsync(_folder, _postgresConnection, _postgresSchema);
        }
    }

    private static async Task RemoveAsync(string? folder, string? postgresConnection, string? postgresSchema)
    {
        if (postgresSchema is not null)
        {
            await BenchmarkPostgres.DropSchemaAsync(postgresConnection!, postgresSchema);
        }

        if (folder is not null && Directory.Exists(folder))
        {
            // Orleans' provider opens pooled connections of its own to the grain-state file.
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }
}

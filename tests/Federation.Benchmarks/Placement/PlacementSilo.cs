using Federation.Actors;
using Federation.Actors.AdoNet.Postgres;
using Federation.Actors.AdoNet.Sqlite;
using Federation.Actors.Hosting;
using Federation.Actors.Storage;
using Federation.Benchmarks.Http;
using Federation.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Benchmarks.GrainPlacement;

/// <summary>
/// A silo in process with the domain grains on the default megaregion, state in memory, in SQLite on a temp
/// file, or in PostgreSQL in a schema of its own (dropped on dispose).
/// </summary>
internal sealed class PlacementSilo : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly Silo _silo;
    private readonly string? _databaseFile;
    private readonly PostgresStorageOptions? _postgres;

    private PlacementSilo(ServiceProvider services, string? databaseFile, PostgresStorageOptions? postgres)
    {
        _services = services;
        _databaseFile = databaseFile;
        _postgres = postgres;
        _silo = services.GetRequiredService<Silo>();
        GrainFactory = services.GetRequiredService<IGrainFactory>();
    }

    public IGrainFactory GrainFactory { get; }

    public IServiceProvider Services => _services;

    public string Storage =>
        _postgres is not null ? $"postgres ({PostgresStorage.DisplayNameOf(_postgres)})" : _databaseFile is null ? "memory" : $"sqlite ({_databaseFile})";

    public static Task<PlacementSilo> StartAsync(bool sqlite) => StartAsync(sqlite ? "sqlite" : "memory", postgresConnection: null);

    /// <param name="storage">memory, sqlite or postgres.</param>
    /// <param name="postgresConnection">For postgres: the server (a schema of this silo's own is created in it).</param>
    public static async Task<PlacementSilo> StartAsync(string storage, string? postgresConnection)
    {
        var services = new ServiceCollection();
        services.AddActors();
        string? file = null;
        PostgresStorageOptions? postgres = null;
        if (storage == "sqlite")
        {
            file = Path.Combine(Path.GetTempPath(), $"federation-placement-{Guid.NewGuid():N}.db");
            services.AddSqliteGrainStorage(FederationGrainsOptions.DefaultStorageName, o => o.ConnectionString = $"Data Source={file}");
        }
        else if (storage == "postgres")
        {
            postgres = new PostgresStorageOptions
            {
                ConnectionString = BenchmarkPostgres.ConnectionOrDefault(postgresConnection),
                Schema = BenchmarkPostgres.NewSchema("bench_placement"),
                MaxPoolSize = BenchmarkPostgres.MaxPoolSize,
            };
            services.AddPostgresGrainStorage(FederationGrainsOptions.DefaultStorageName, o =>
            {
                o.ConnectionString = postgres.ConnectionString;
                o.Schema = postgres.Schema;
                o.MaxPoolSize = postgres.MaxPoolSize;
            });
        }
        else
        {
            services.AddMemoryGrainStorage();
        }

        // The rebalancer would move queued jobs while the load runs; it is measured separately.
        services.AddFederationGrains(o => o.RebalanceInterval = TimeSpan.Zero);
        var silo = new PlacementSilo(services.BuildServiceProvider(), file, postgres);

        // The schema is created by a hosted service in a host; here, before the first grain reads.
        if (postgres is not null && silo.Services.GetRequiredKeyedService<IGrainStorage>(FederationGrainsOptions.DefaultStorageName) is Federation.Actors.AdoNet.AdoNetGrainStorage adoNet)
        {
            await adoNet.InitializeAsync();
        }

        await silo._silo.StartAsync(CancellationToken.None);
        return silo;
    }

    public async ValueTask DisposeAsync()
    {
        await _silo.StopAsync(CancellationToken.None);
        await _services.DisposeAsync();
        if (_postgres is not null)
        {
            await BenchmarkPostgres.DropSchemaAsync(_postgres.ConnectionString!, _postgres.Schema!);
        }

        if (_databaseFile is not null)
        {
            foreach (var f in new[] { _databaseFile, _databaseFile + "-wal", _databaseFile + "-shm" })
            {
                File.Delete(f);
            }
        }
    }
}

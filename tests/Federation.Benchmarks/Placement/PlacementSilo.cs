using Federation.Actors;
using Federation.Actors.AdoNet.Sqlite;
using Federation.Actors.Hosting;
using Federation.Actors.Storage;
using Federation.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Benchmarks.GrainPlacement;

/// <summary>A silo in process with the domain grains on the default megaregion, state in memory or in SQLite on a temp file.</summary>
internal sealed class PlacementSilo : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly Silo _silo;
    private readonly string? _databaseFile;

    private PlacementSilo(ServiceProvider services, string? databaseFile)
    {
        _services = services;
        _databaseFile = databaseFile;
        _silo = services.GetRequiredService<Silo>();
        GrainFactory = services.GetRequiredService<IGrainFactory>();
    }

    public IGrainFactory GrainFactory { get; }

    public IServiceProvider Services => _services;

    public string Storage => _databaseFile is null ? "memory" : $"sqlite ({_databaseFile})";

    public static async Task<PlacementSilo> StartAsync(bool sqlite)
    {
        var services = new ServiceCollection();
        services.AddActors();
        string? file = null;
        if (sqlite)
        {
            file = Path.Combine(Path.GetTempPath(), $"federation-placement-{Guid.NewGuid():N}.db");
            services.AddSqliteGrainStorage(FederationGrainsOptions.DefaultStorageName, o => o.ConnectionString = $"Data Source={file}");
        }
        else
        {
            services.AddMemoryGrainStorage();
        }

        // The rebalancer would move queued jobs while the load runs; it is measured separately.
        services.AddFederationGrains(o => o.RebalanceInterval = TimeSpan.Zero);
        var silo = new PlacementSilo(services.BuildServiceProvider(), file);
        await silo._silo.StartAsync(CancellationToken.None);
        return silo;
    }

    public async ValueTask DisposeAsync()
    {
        await _silo.StopAsync(CancellationToken.None);
        await _services.DisposeAsync();
        if (_databaseFile is not null)
        {
            foreach (var f in new[] { _databaseFile, _databaseFile + "-wal", _databaseFile + "-shm" })
            {
                File.Delete(f);
            }
        }
    }
}

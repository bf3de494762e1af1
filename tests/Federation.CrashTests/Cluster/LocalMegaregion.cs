using System.Net.Http.Json;
using Federation.Contracts;
using Federation.TestKit;

namespace Federation.CrashTests.Cluster;

/// <summary>
/// Four <c>Federation.Server</c> processes, one silo per region (<c>--region</c>), forming one Orleans cluster over a fresh
/// PostgreSQL database (membership, grain state and job rows), each with its REST API on a loopback port of its own. The
/// silos of a test share one log folder (one file per region, appended across restarts).
/// </summary>
internal sealed class LocalMegaregion : IAsyncDisposable
{
    public static readonly string[] Regions = ["gwangju", "suncheon", "gwangyang", "daegu"];

    /// <summary>How long one silo may take to start (four start at once on two cores).</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly Dictionary<string, ServerProcess> _silos;
    private readonly Dictionary<string, HttpClient> _clients;

    private LocalMegaregion(TestDatabase database, Dictionary<string, ServerProcess> silos)
    {
        Database = database;
        _silos = silos;
        _clients = silos.ToDictionary(p => p.Key, p => new HttpClient { BaseAddress = p.Value.BaseAddress, Timeout = TimeSpan.FromSeconds(30) }.AsCoordinator());
    }

    public TestDatabase Database { get; }

    public ServerProcess Silo(string region) => _silos[region];

    /// <summary>An HTTP client on the region's silo's REST API.</summary>
    public HttpClient Api(string region) => _clients[region];

    /// <summary>Creates the database and starts the four silos at once; each answers <c>/health</c> when this returns.</summary>
    public static async Task<LocalMegaregion> StartAsync(string name, IReadOnlyDictionary<string, string>? environment = null)
    {
        var database = await TestDatabase.CreateAsync(TestDatabase.SharedServer);
        var logs = Path.Combine(AppContext.BaseDirectory, "cluster-logs", name);
        Directory.CreateDirectory(logs);
        var silos = new Dictionary<string, ServerProcess>(StringComparer.Ordinal);
        foreach (var region in Regions)
        {
            File.Delete(Path.Combine(logs, region + ".log"));
            silos[region] = new ServerProcess(
                ["--storage", "postgres", "--connection", database.ConnectionString, "--region", region],
                1,
                Path.Combine(logs, region + ".log"),
                environment);
        }

        var megaregion = new LocalMegaregion(database, silos);
        try
        {
            await Task.WhenAll(silos.Values.Select(s => s.StartAsync(StartTimeout)));
            return megaregion;
        }
        catch
        {
            await megaregion.DisposeAsync();
            throw;
        }
    }

    /// <summary>The megaregion view as the region's silo answers it.</summary>
    public async Task<MegaregionView> ViewAsync(string through, CancellationToken cancellationToken = default) =>
        (await _clients[through].GetFromJsonAsync<MegaregionView>("api/megaregion", Workload.Json, cancellationToken))!;

    /// <summary>The region's status per region, as one silo sees it, e.g. "gwangju:up suncheon:up gwangyang:up daegu:unreachable".</summary>
    public async Task<string> StatusesAsync(string through, CancellationToken cancellationToken = default) =>
        string.Join(' ', (await ViewAsync(through, cancellationToken)).Regions.Select(r => $"{r.Id}:{r.Status}"));

    /// <summary>Whether <paramref name="silo"/>'s address (as the API shows it) is the region's silo process now.</summary>
    public bool IsSiloOf(string region, string? silo) =>
        silo is not null && silo.StartsWith($"127.0.0.1:{_silos[region].SiloPort}@", StringComparison.Ordinal);

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }

        foreach (var silo in _silos.Values)
        {
            await silo.DisposeAsync();
        }

        await Database.DisposeAsync();
    }
}

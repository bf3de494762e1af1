using Federation.Storage.Hosting;
using Federation.TestKit.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Federation.Storage.Tests.Clustering;

/// <summary>
/// Real silos clustering through <c>AddFederationPostgresClustering</c> on a schema that does not exist before the test:
/// the schema is created before Orleans' membership reads its statements, silos started at once join one cluster, and
/// with the storage on the same options both share one schema and one pool.
/// </summary>
public sealed class ClusterSiloTests : IAsyncLifetime
{
    /// <summary>Bounds the waits for membership views; a healthy run needs a few seconds.</summary>
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly PostgresTestSchema _schema = new();
    private readonly List<ClusterSilo> _silos = [];
    private readonly string _clusterId = "cluster-" + Guid.NewGuid().ToString("N")[..8];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        // Stopped together: a silo left alone would spend its shutdown probing the others.
        await Task.WhenAll(_silos.Select(s => s.DisposeAsync().AsTask()));
        await _schema.DisposeAsync();
    }

    [Fact]
    public async Task ASiloWithClusteringOnlyStartsOnASchemaThatDoesNotExistAndIsActiveInTheTable()
    {
        var silo = Silo(withStorage: false);

        await silo.StartAsync();

        Assert.Equal(
            ["federationschema", "orleansmembershiptable", "orleansmembershipversiontable", "orleansquery"],
            await _schema.QueryAsync("SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name", r => r.GetString(0)));
        Assert.Equal([("orleans.clustering", 1L)], await _schema.QueryAsync("SELECT component, version FROM federationschema", r => (r.GetString(0), r.GetInt64(1))));
        Assert.Equal([("127.0.0.1", silo.SiloPort, (int)SiloStatus.Active, silo.GatewayPort)], await MembersAsync());
        var clustering = silo.Services.GetRequiredService<FederationClustering>();
        Assert.False(clustering.SharesStoragePool);
        Assert.Same(clustering.DataSource, silo.Services.GetRequiredService<IOptions<AdoNetClusteringSiloOptions>>().Value.DataSource);
        Assert.Equal(FederationStorageSiloBuilderExtensions.PostgresInvariant, silo.Services.GetRequiredService<IOptions<AdoNetClusteringSiloOptions>>().Value.Invariant);
    }

    [Fact]
    public async Task TwoSilosJoinOneClusterAndEachSeesBothActive()
    {
        var first = Silo(withStorage: true);
        var second = Silo(withStorage: true);
        using var deadline = new CancellationTokenSource(Deadline);

        await first.StartAsync();
        await second.StartAsync();
        var firstView = await first.ActiveMembersAsync(2, deadline.Token);
        var secondView = await second.ActiveMembersAsync(2, deadline.Token);

        int[] ports = [first.SiloPort, second.SiloPort];
        Assert.Equal(ports.Order(), firstView.Members.Keys.Select(s => s.Endpoint.Port).Order());
        Assert.Equal(ports.Order(), secondView.Members.Keys.Select(s => s.Endpoint.Port).Order());
        Assert.Equal(Rows(first, second), await MembersAsync());

        // With the storage on the same options, the membership runs on the storage's pool.
        foreach (var silo in new[] { first, second })
        {
            var clustering = silo.Services.GetRequiredService<FederationClustering>();
            Assert.True(clustering.SharesStoragePool);
            Assert.Same(silo.Services.GetRequiredService<FederationDatabases>().DataSource, clustering.DataSource);
            Assert.Same(clustering.DataSource, silo.Services.GetRequiredService<IOptions<AdoNetClusteringSiloOptions>>().Value.DataSource);
        }
    }

    [Fact]
    public async Task FourSilosWithStorageStartingAtOnceOnAFreshSchemaFormOneClusterOnOneSchema()
    {
        const int Silos = 4;
        var silos = Enumerable.Range(0, Silos).Select(_ => Silo(withStorage: true)).ToArray();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var starting = silos.Select(s => Task.Run(async () =>
        {
            await start.Task;
            await s.StartAsync();
        })).ToArray();
        using var deadline = new CancellationTokenSource(Deadline);

        start.SetResult();
        await Task.WhenAll(starting);
        var views = await Task.WhenAll(silos.Select(s => s.ActiveMembersAsync(Silos, deadline.Token)));

        Assert.All(views, view => Assert.Equal(silos.Select(s => s.SiloPort).Order(), view.Members.Keys.Select(a => a.Endpoint.Port).Order()));
        Assert.Equal(Rows(silos), await MembersAsync());
        Assert.Equal(
            [("federation.audit", 1L), ("federation.jobs", 2L), ("orleans.clustering", 1L), ("orleans.persistence", 1L)],
            await _schema.QueryAsync("SELECT component, version FROM federationschema ORDER BY component", r => (r.GetString(0), r.GetInt64(1))));
        Assert.Equal(
            OrleansClusteringQueryKeys.All.Concat([OrleansQueryKeys.ClearStorage, OrleansQueryKeys.ReadFromStorage, OrleansQueryKeys.WriteToStorage]).Order(StringComparer.Ordinal),
            await _schema.QueryAsync("SELECT querykey FROM orleansquery ORDER BY querykey", r => r.GetString(0)));
        Assert.Equal([_clusterId], await _schema.QueryAsync("SELECT deploymentid FROM orleansmembershipversiontable", r => r.GetString(0)));
    }

    private ClusterSilo Silo(bool withStorage)
    {
        var silo = ClusterSilo.Build(_clusterId, _schema.Options(), withStorage);
        _silos.Add(silo);
        return silo;
    }

    /// <summary>The membership rows of <paramref name="silos"/> active, as <see cref="MembersAsync"/> reads them.</summary>
    private static IEnumerable<(string Address, int Port, int Status, int ProxyPort)> Rows(params ClusterSilo[] silos) =>
        silos.Select(s => ("127.0.0.1", s.SiloPort, (int)SiloStatus.Active, s.GatewayPort)).OrderBy(m => m.SiloPort);

    /// <summary>This test's cluster's rows in the membership table, by silo port.</summary>
    private Task<List<(string Address, int Port, int Status, int ProxyPort)>> MembersAsync() =>
        _schema.QueryAsync(
            "SELECT address, port, status, proxyport FROM orleansmembershiptable WHERE deploymentid = @cluster ORDER BY port",
            r => (r.GetString(0), r.GetInt32(1), r.GetInt32(2), r.GetInt32(3)),
            ("cluster", _clusterId));
}

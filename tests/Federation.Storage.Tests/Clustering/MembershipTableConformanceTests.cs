using System.Data;
using System.Globalization;
using System.Net;
using Federation.Storage.Hosting;
using Federation.TestKit.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Runtime.Membership;
using Orleans.Runtime.MembershipService;

namespace Federation.Storage.Tests.Clustering;

/// <summary>
/// The project's clustering statements through Orleans' own <see cref="AdoNetClusteringTable"/> (and, for the gateway
/// list, <see cref="AdoNetGatewayListProvider"/>) on a fresh schema: the table version protocol Orleans' membership relies
/// on (a change succeeds only at the version read, and moves it by one), what each read returns, and which rows cleanup
/// and delete remove. Each test has a schema of its own.
/// </summary>
public sealed class MembershipTableConformanceTests : IAsyncLifetime
{
    private const string ClusterId = "cluster-a";
    private const int Contenders = 8;

    /// <summary>An instant with whole milliseconds, so what is read back compares exactly.</summary>
    private static readonly DateTime T0 = new(2026, 12, 3, 10, 0, 0, 123, DateTimeKind.Utc);

    private readonly PostgresTestSchema _schema = new();
    private readonly List<IAsyncDisposable> _owned = [];
    private FederationClustering _clustering = null!;

    public async Task InitializeAsync()
    {
        _clustering = FederationClustering.Postgres(_schema.Options());
        _owned.Add(_clustering);
        await _clustering.Database.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }

        await _schema.DisposeAsync();
    }

    [Fact]
    public async Task InitialisingCreatesTheVersionRowAtZeroOnceAndAReadOfAnEmptyClusterGivesItsVersion()
    {
        var table = await TableAsync(ClusterId);

        // A second silo initialising the same cluster finds the row and leaves it.
        await TableAsync(ClusterId);
        var all = await table.ReadAllAsync();
        var row = await table.ReadRowAsync(Silo(1));

        Assert.Empty(all.Members);
        Assert.Equal(new TableVersion(0, "0"), all.Version);
        Assert.Empty(row.Members);
        Assert.Equal(new TableVersion(0, "0"), row.Version);
        Assert.Equal([(ClusterId, 0)], await VersionRowsAsync());
    }

    [Fact]
    public async Task AnInsertAtTheVersionReadAddsTheRowAndMovesTheVersionByOne()
    {
        var table = await TableAsync(ClusterId);
        var entry = Entry(1, SiloStatus.Joining);

        var inserted = await table.InsertRowAsync(entry, (await table.ReadAllAsync()).Version.Next());

        Assert.True(inserted);
        var all = await table.ReadAllAsync();
        Assert.Equal(new TableVersion(1, "1"), all.Version);
        var (read, etag) = Assert.Single(all.Members);
        Assert.Equal("1", etag);
        AssertSameEntry(entry, read);
        var row = await table.ReadRowAsync(entry.SiloAddress);
        AssertSameEntry(entry, Assert.Single(row.Members).Item1);
        Assert.Equal(new TableVersion(1, "1"), row.Version);
        Assert.Empty((await table.ReadRowAsync(Silo(2))).Members);
    }

    [Fact]
    public async Task AnInsertOfARowThatExistsOrAtAStaleVersionIsRefusedAndChangesNothing()
    {
        var table = await TableAsync(ClusterId);
        var first = await table.ReadAllAsync();
        Assert.True(await table.InsertRowAsync(Entry(1, SiloStatus.Joining), first.Version.Next()));
        var current = await table.ReadAllAsync();

        var existing = await table.InsertRowAsync(Entry(1, SiloStatus.Active, siloName: "other"), current.Version.Next());
        var stale = await table.InsertRowAsync(Entry(2, SiloStatus.Joining), first.Version.Next());

        Assert.False(existing);
        Assert.False(stale);
        var all = await table.ReadAllAsync();
        Assert.Equal(new TableVersion(1, "1"), all.Version);
        var (read, _) = Assert.Single(all.Members);
        Assert.Equal((Silo(1), SiloStatus.Joining, "silo-1"), (read.SiloAddress, read.Status, read.SiloName));
    }

    [Fact]
    public async Task ChangesAtAVersionAnUncommittedChangeIsLeavingWaitForItAndAreThenRefused()
    {
        var table = await TableAsync(ClusterId);
        await InsertAsync(table, Entry(1, SiloStatus.Joining));
        var read = await table.ReadRowAsync(Silo(1));

        // Contenders on connections of their own, named so the server's view of who waits counts only them.
        var racingOptions = _schema.Options();
        var application = "race-" + Guid.NewGuid().ToString("N");
        racingOptions.ConnectionString = new NpgsqlConnectionStringBuilder(racingOptions.ConnectionString) { ApplicationName = application }.ConnectionString;
        var racingClustering = FederationClustering.Postgres(racingOptions);
        _owned.Add(racingClustering);
        var racing = await TableAsync(ClusterId, racingClustering.DataSource);

        // Another silo's change at version 1, made and not yet committed.
        await using var other = await _clustering.DataSource.OpenConnectionAsync();
        await using var transaction = await other.BeginTransactionAsync();
        await using (var update = other.CreateCommand())
        {
            update.Transaction = transaction;
            update.CommandText = await QueryTextAsync(OrleansClusteringQueryKeys.UpdateMembership);
            Bind(update, Entry(1, SiloStatus.Active, iAmAliveTime: T0.AddMinutes(1)));
            update.Parameters.Add(new NpgsqlParameter("Status", DbType.Int32) { Value = (int)SiloStatus.Active });
            update.Parameters.Add(new NpgsqlParameter("SuspectTimes", DbType.String) { Value = DBNull.Value });
            update.Parameters.Add(new NpgsqlParameter("Version", DbType.Int32) { Value = 1 });
            Assert.True(Assert.IsType<bool>(await update.ExecuteScalarAsync()));
        }

        // Inserts of new silos and updates of silo 1, all at version 1.
        var contenders = Enumerable.Range(2, Contenders / 2).Select(i => racing.InsertRowAsync(Entry(i, SiloStatus.Joining), read.Version.Next()))
            .Concat(Enumerable.Range(0, Contenders / 2).Select(_ => racing.UpdateRowAsync(Entry(1, SiloStatus.ShuttingDown), read.Members[0].Item2, read.Version.Next())))
            .ToArray();
        await WaitUntilWaitingOnALockAsync(application, Contenders);

        await transaction.CommitAsync();
        var results = await Task.WhenAll(contenders);

        Assert.All(results, Assert.False);
        var after = await table.ReadAllAsync();
        Assert.Equal(new TableVersion(2, "2"), after.Version);
        var (row, _) = Assert.Single(after.Members);
        Assert.Equal((Silo(1), SiloStatus.Active, T0.AddMinutes(1)), (row.SiloAddress, row.Status, row.IAmAliveTime));
    }

    [Fact]
    public async Task AnUpdateWithAStaleETagIsRefusedAndAnUpdateAtTheVersionReadIsMade()
    {
        var table = await TableAsync(ClusterId);
        Assert.True(await table.InsertRowAsync(Entry(1, SiloStatus.Joining), (await table.ReadAllAsync()).Version.Next()));
        var read = await table.ReadRowAsync(Silo(1));
        var (entry, etag) = read.Members[0];
        var active = Entry(1, SiloStatus.Active, iAmAliveTime: T0.AddMinutes(1));
        active.SuspectTimes = [Tuple.Create(Silo(2), T0.AddSeconds(30)), Tuple.Create(Silo(3), T0.AddSeconds(40))];

        // Stale: the version before the insert, given consistently as etag and table version, so it reaches the statement.
        var stale = await table.UpdateRowAsync(active, "0", new TableVersion(1, "0"));
        var afterStale = await table.ReadRowAsync(Silo(1));
        var updated = await table.UpdateRowAsync(active, etag, read.Version.Next());

        Assert.False(stale);
        Assert.Equal(new TableVersion(1, "1"), afterStale.Version);
        AssertSameEntry(entry, afterStale.Members[0].Item1);
        Assert.True(updated);
        var after = await table.ReadRowAsync(Silo(1));
        Assert.Equal(new TableVersion(2, "2"), after.Version);
        var row = after.Members[0].Item1;
        Assert.Equal((SiloStatus.Active, T0.AddMinutes(1), T0), (row.Status, row.IAmAliveTime, row.StartTime));
        Assert.Equal(active.SuspectTimes, row.SuspectTimes);
    }

    [Fact]
    public async Task AnUpdateOfASiloWithoutARowIsRefusedAndLeavesTheVersion()
    {
        var table = await TableAsync(ClusterId);
        var read = await table.ReadAllAsync();

        var updated = await table.UpdateRowAsync(Entry(1, SiloStatus.Active), read.Version.VersionEtag, read.Version.Next());

        Assert.False(updated);
        Assert.Equal([(ClusterId, 0)], await VersionRowsAsync());
        Assert.Empty((await table.ReadAllAsync()).Members);
    }

    [Fact]
    public async Task IAmAliveMovesTheTimeForwardOnlyAndLeavesTheVersion()
    {
        var table = await TableAsync(ClusterId);
        Assert.True(await table.InsertRowAsync(Entry(1, SiloStatus.Active), (await table.ReadAllAsync()).Version.Next()));

        await table.UpdateIAmAliveAsync(new MembershipEntry { SiloAddress = Silo(1), IAmAliveTime = T0.AddMinutes(5) });
        var moved = await table.ReadRowAsync(Silo(1));
        await table.UpdateIAmAliveAsync(new MembershipEntry { SiloAddress = Silo(1), IAmAliveTime = T0.AddMinutes(1) });
        var late = await table.ReadRowAsync(Silo(1));

        Assert.Equal((T0.AddMinutes(5), new TableVersion(1, "1")), (moved.Members[0].Item1.IAmAliveTime, moved.Version));
        Assert.Equal((T0.AddMinutes(5), new TableVersion(1, "1")), (late.Members[0].Item1.IAmAliveTime, late.Version));
        Assert.Equal(SiloStatus.Active, late.Members[0].Item1.Status);
    }

    [Fact]
    public async Task TheGatewayListHoldsTheActiveSilosWithAGatewayOfTheClusterOnly()
    {
        var table = await TableAsync(ClusterId);
        await InsertAsync(table, Entry(1, SiloStatus.Active, proxyPort: 30001));
        await InsertAsync(table, Entry(2, SiloStatus.Active, proxyPort: 30002));
        await InsertAsync(table, Entry(3, SiloStatus.Joining, proxyPort: 30003));
        await InsertAsync(table, Entry(4, SiloStatus.Dead, proxyPort: 30004));
        await InsertAsync(table, Entry(5, SiloStatus.Active, proxyPort: 0));
        await InsertAsync(await TableAsync("cluster-b"), Entry(6, SiloStatus.Active, proxyPort: 30006));
        var gateways = new AdoNetGatewayListProvider(
            NullLogger<AdoNetGatewayListProvider>.Instance,
            new ServiceCollection().BuildServiceProvider(),
            Options.Create(new AdoNetClusteringClientOptions { Invariant = FederationStorageSiloBuilderExtensions.PostgresInvariant, DataSource = _clustering.DataSource }),
            Options.Create(new GatewayOptions()),
            Options.Create(new ClusterOptions { ClusterId = ClusterId, ServiceId = "svc" }));
        await gateways.InitializeGatewayListProviderAsync();

        var list = await gateways.GetGatewaysAsync();

        Assert.Equal(["gwy.tcp://127.0.0.1:30001/1", "gwy.tcp://127.0.0.1:30002/2"], list.Select(u => u.ToString()));
    }

    [Fact]
    public async Task DeletingAClusterRemovesItsVersionRowAndSilosAndLeavesAnotherCluster()
    {
        var a = await TableAsync(ClusterId);
        var b = await TableAsync("cluster-b");
        await InsertAsync(a, Entry(1, SiloStatus.Active));
        await InsertAsync(a, Entry(2, SiloStatus.Active));
        await InsertAsync(b, Entry(3, SiloStatus.Active));

        await b.DeleteMembershipTableEntriesAsync(ClusterId);

        Assert.Equal([("cluster-b", 1)], await VersionRowsAsync());
        Assert.Equal([("cluster-b", 3)], await _schema.QueryAsync(
            "SELECT deploymentid, generation FROM orleansmembershiptable ORDER BY deploymentid, generation", r => (r.GetString(0), r.GetInt32(1))));

        // The cluster starts again from version 0 once a silo initialises it.
        var again = await TableAsync(ClusterId);
        Assert.Equal(new TableVersion(0, "0"), (await again.ReadAllAsync()).Version);
    }

    [Fact]
    public async Task CleanupRemovesTheDeadSilosOlderThanTheCutoffWithNoVoteSince()
    {
        var cutoff = T0.AddHours(-1);
        var table = await TableAsync(ClusterId);
        await InsertAsync(table, Entry(1, SiloStatus.Joining, startTime: T0.AddHours(-3), iAmAliveTime: T0.AddHours(-2)));
        await InsertAsync(table, Entry(2, SiloStatus.Joining, startTime: T0.AddHours(-3), iAmAliveTime: T0.AddHours(-2)));
        await InsertAsync(table, Entry(3, SiloStatus.Joining, startTime: T0.AddHours(-3), iAmAliveTime: T0.AddHours(-2)));
        await InsertAsync(table, Entry(4, SiloStatus.Joining, startTime: T0.AddHours(-3), iAmAliveTime: T0.AddMinutes(-10)));
        await InsertAsync(table, Entry(5, SiloStatus.Joining, startTime: T0.AddHours(-3), iAmAliveTime: T0.AddHours(-2)));
        await UpdateAsync(table, 1, SiloStatus.Dead, []);
        await UpdateAsync(table, 2, SiloStatus.Dead, [Tuple.Create(Silo(9), T0.AddHours(-2.5))]);
        await UpdateAsync(table, 3, SiloStatus.Dead, [Tuple.Create(Silo(9), T0.AddMinutes(-30))]);
        await UpdateAsync(table, 4, SiloStatus.Dead, []);
        await UpdateAsync(table, 5, SiloStatus.Active, []);
        await InsertAsync(await TableAsync("cluster-b"), Entry(6, SiloStatus.Joining, startTime: T0.AddHours(-3), iAmAliveTime: T0.AddHours(-2)));
        await UpdateAsync(await TableAsync("cluster-b"), 6, SiloStatus.Dead, []);

        await table.CleanupDefunctSiloEntriesAsync(new DateTimeOffset(cutoff));

        // Gone: dead and old, without a vote (1) or with only votes before the cutoff (2). Kept: a vote since (3), alive
        // since (4), not dead (5), another cluster (6).
        Assert.Equal([3, 4, 5], await GenerationsAsync(table));
        Assert.Equal([6], await GenerationsAsync(await TableAsync("cluster-b")));
    }

    [Fact]
    public async Task ThePerRowCleanupKeepsARowThatChangedSinceItWasRead()
    {
        var table = await TableAsync(ClusterId);
        await InsertAsync(table, Entry(1, SiloStatus.Joining, startTime: T0.AddHours(-3), iAmAliveTime: T0.AddHours(-2)));
        await UpdateAsync(table, 1, SiloStatus.Dead, []);
        var read = (await table.ReadRowAsync(Silo(1))).Members[0].Item1;
        var statement = await QueryTextAsync(OrleansClusteringQueryKeys.CleanupDefunctSiloEntry);

        // What the provider binds for the row it read, but the row has moved on: a later heartbeat.
        await table.UpdateIAmAliveAsync(new MembershipEntry { SiloAddress = Silo(1), IAmAliveTime = T0.AddHours(-1.5) });
        var changed = await ExecuteAsync(statement, read);
        var unchanged = await ExecuteAsync(statement, (await table.ReadRowAsync(Silo(1))).Members[0].Item1);

        Assert.Equal((0, 1), (changed, unchanged));
        Assert.Empty((await table.ReadAllAsync()).Members);
    }

    [Fact]
    public async Task TheBulkCleanupStatementRemovesOnlyDeadRowsWithoutVotesOlderThanTheCutoff()
    {
        // Orleans runs it only when the per-row statement is missing; run here as the provider would, with its parameters.
        var cutoff = T0.AddHours(-1);
        var table = await TableAsync(ClusterId);
        await InsertAsync(table, Entry(1, SiloStatus.Joining, startTime: T0.AddHours(-3), iAmAliveTime: T0.AddHours(-2)));
        await InsertAsync(table, Entry(2, SiloStatus.Joining, startTime: T0.AddHours(-3), iAmAliveTime: T0.AddHours(-2)));
        await InsertAsync(table, Entry(3, SiloStatus.Joining, startTime: T0.AddHours(-3), iAmAliveTime: T0.AddMinutes(-10)));
        await InsertAsync(table, Entry(4, SiloStatus.Active, startTime: T0.AddHours(-3), iAmAliveTime: T0.AddHours(-2)));
        await UpdateAsync(table, 1, SiloStatus.Dead, []);
        await UpdateAsync(table, 2, SiloStatus.Dead, [Tuple.Create(Silo(9), T0.AddHours(-2.5))]);
        await UpdateAsync(table, 3, SiloStatus.Dead, []);
        var statement = await QueryTextAsync(OrleansClusteringQueryKeys.CleanupDefunctSiloEntries);

        await using var command = _clustering.DataSource.CreateCommand(statement);
        command.Parameters.Add(new NpgsqlParameter("DeploymentId", DbType.String) { Value = ClusterId });
        command.Parameters.Add(new NpgsqlParameter("IAmAliveTime", DbType.DateTime) { Value = cutoff });
        var deleted = await command.ExecuteNonQueryAsync();

        Assert.Equal(1, deleted);
        Assert.Equal([2, 3, 4], await GenerationsAsync(table));
    }

    private static SiloAddress Silo(int generation) => SiloAddress.New(IPAddress.Loopback, 11000 + generation, generation);

    private static MembershipEntry Entry(
        int generation, SiloStatus status, int proxyPort = 30000, string? siloName = null, DateTime? startTime = null, DateTime? iAmAliveTime = null) => new()
    {
        SiloAddress = Silo(generation),
        Status = status,
        ProxyPort = proxyPort,
        SiloName = siloName ?? "silo-" + generation.ToString(CultureInfo.InvariantCulture),
        HostName = "host-" + generation.ToString(CultureInfo.InvariantCulture),
        StartTime = startTime ?? T0,
        IAmAliveTime = iAmAliveTime ?? T0,
    };

    private static void AssertSameEntry(MembershipEntry expected, MembershipEntry actual) =>
        Assert.Equal(
            (expected.SiloAddress, expected.Status, expected.SiloName, expected.HostName, expected.ProxyPort, expected.StartTime, expected.IAmAliveTime, (List<Tuple<SiloAddress, DateTime>>?)null),
            (actual.SiloAddress, actual.Status, actual.SiloName, actual.HostName, actual.ProxyPort, actual.StartTime, actual.IAmAliveTime, actual.SuspectTimes));

    /// <summary>
    /// Orleans' table for <paramref name="clusterId"/> on this test's schema (on <paramref name="dataSource"/>, or the
    /// test's pool), initialised as a silo does at start.
    /// </summary>
    private async Task<AdoNetClusteringTable> TableAsync(string clusterId, NpgsqlDataSource? dataSource = null)
    {
        var table = new AdoNetClusteringTable(
            new ServiceCollection().BuildServiceProvider(),
            Options.Create(new ClusterOptions { ClusterId = clusterId, ServiceId = "svc" }),
            Options.Create(new AdoNetClusteringSiloOptions { Invariant = FederationStorageSiloBuilderExtensions.PostgresInvariant, DataSource = dataSource ?? _clustering.DataSource }),
            NullLogger<AdoNetClusteringTable>.Instance);
        await table.InitializeMembershipTableAsync(tryInitTableVersion: true);
        return table;
    }

    /// <summary>The generations of the silos <paramref name="table"/> reads, in order (Orleans orders members its own way).</summary>
    private static async Task<List<int>> GenerationsAsync(AdoNetClusteringTable table) =>
        [.. (await table.ReadAllAsync()).Members.Select(m => m.Item1.SiloAddress.Generation).Order()];

    private static async Task InsertAsync(AdoNetClusteringTable table, MembershipEntry entry) =>
        Assert.True(await table.InsertRowAsync(entry, (await table.ReadAllAsync()).Version.Next()));

    private static async Task UpdateAsync(AdoNetClusteringTable table, int generation, SiloStatus status, List<Tuple<SiloAddress, DateTime>> votes)
    {
        var read = await table.ReadRowAsync(Silo(generation));
        var (entry, etag) = read.Members[0];
        entry.Status = status;
        entry.SuspectTimes = votes;
        Assert.True(await table.UpdateRowAsync(entry, etag, read.Version.Next()));
    }

    private async Task<string> QueryTextAsync(string key) =>
        Assert.Single(await _schema.QueryAsync("SELECT querytext FROM orleansquery WHERE querykey = @key", r => r.GetString(0), ("key", key)));

    /// <summary>Runs the per-row cleanup statement with the parameters and types the provider binds for <paramref name="row"/>.</summary>
    private async Task<int> ExecuteAsync(string statement, MembershipEntry row)
    {
        await using var command = _clustering.DataSource.CreateCommand(statement);
        Bind(command, row);
        command.Parameters.Add(new NpgsqlParameter("SuspectTimes", DbType.String) { Value = DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("StartTime", DbType.DateTime) { Value = row.StartTime });
        return await command.ExecuteNonQueryAsync();
    }

    /// <summary>Binds the cluster, the silo and its <c>IAmAliveTime</c> with the names and types Orleans' provider uses.</summary>
    private static void Bind(NpgsqlCommand command, MembershipEntry row)
    {
        command.Parameters.Add(new NpgsqlParameter("DeploymentId", DbType.String) { Value = ClusterId });
        command.Parameters.Add(new NpgsqlParameter("Address", DbType.AnsiString) { Value = row.SiloAddress.Endpoint.Address.ToString() });
        command.Parameters.Add(new NpgsqlParameter("Port", DbType.Int32) { Value = row.SiloAddress.Endpoint.Port });
        command.Parameters.Add(new NpgsqlParameter("Generation", DbType.Int32) { Value = row.SiloAddress.Generation });
        command.Parameters.Add(new NpgsqlParameter("IAmAliveTime", DbType.DateTime) { Value = row.IAmAliveTime });
    }

    /// <summary>
    /// Returns once <paramref name="count"/> connections named <paramref name="application"/> wait on a lock. The server
    /// signals no such event, so its activity view is read until it shows them (bounded by a deadline).
    /// </summary>
    private async Task WaitUntilWaitingOnALockAsync(string application, int count)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var waiting = await _schema.QueryAsync(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = @application AND wait_event_type = 'Lock'",
                r => r.GetInt64(0),
                ("application", application));
            if (waiting[0] == count)
            {
                return;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(10), deadline.Token);
        }
    }

    private Task<List<(string Cluster, int Version)>> VersionRowsAsync() =>
        _schema.QueryAsync("SELECT deploymentid, version FROM orleansmembershipversiontable ORDER BY deploymentid", r => (r.GetString(0), r.GetInt32(1)));
}

using Federation.Storage.Hosting;
using Federation.Storage.Postgres;
using Federation.Storage.Sqlite;
using Federation.TestKit;
using Federation.TestKit.Postgres;

namespace Federation.Storage.Tests.Clustering;

/// <summary>
/// The clustering component's schema step on the test PostgreSQL server, in a schema of the test's own that does not
/// exist before it: idempotent, safe with any number of initialisers at once (alone or beside the storage's), and
/// holding every statement Orleans' provider reads; where the clustering database takes its pool from.
/// </summary>
public sealed class ClusteringSchemaTests : IAsyncLifetime
{
    private const int Initialisers = 4;

    private readonly PostgresTestSchema _schema = new();
    private readonly List<IAsyncDisposable> _owned = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }

        await _schema.DisposeAsync();
    }

    [Fact]
    public async Task InitialisingTwiceIsANoOp()
    {
        var clock = new ManualTimeProvider();
        var first = Clustering(clock);
        await first.Database.InitializeAsync();
        var migrated = await VersionRowsAsync();
        var tables = await TablesAsync();
        var queries = await QueryTextsAsync();

        clock.Advance(TimeSpan.FromHours(1));
        await first.Database.InitializeAsync();
        await Clustering(clock).Database.InitializeAsync();

        Assert.Equal([("orleans.clustering", 1, clock.Start)], migrated);
        Assert.Equal(1, first.Database.SchemaVersion(SchemaComponent.OrleansClustering));
        Assert.Equal(migrated, await VersionRowsAsync());
        Assert.Equal(["federationschema", "orleansmembershiptable", "orleansmembershipversiontable", "orleansquery"], tables);
        Assert.Equal(tables, await TablesAsync());
        Assert.Equal(queries, await QueryTextsAsync());
    }

    [Fact]
    public async Task EveryStatementTheProviderReadsIsStoredUnderItsKey()
    {
        await Clustering(TimeProvider.System).Database.InitializeAsync();

        var queries = await QueryTextsAsync();

        Assert.Equal(OrleansClusteringQueryKeys.All.Order(StringComparer.Ordinal), queries.Select(q => q.Key));
        Assert.All(queries, q => Assert.Contains("@DeploymentId", q.Text, StringComparison.Ordinal));
        Assert.All(
            queries.Where(q => q.Key is OrleansClusteringQueryKeys.InsertMembership or OrleansClusteringQueryKeys.UpdateMembership),
            q => Assert.Contains("version = @Version FOR UPDATE", q.Text, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ClusteringAndStorageInitialisingOneFreshSchemaAtOnceAllSucceedWithOneVersionRowPerComponent()
    {
        var options = _schema.Options();
        var databases = new List<AdoNetDatabase>();
        for (var i = 0; i < Initialisers; i++)
        {
            // Pools of their own, as other processes would have.
            databases.Add(Clustering(TimeProvider.System).Database);
            var storage = PostgresStorage.CreateDatabase(options, PostgresStorage.CreateDataSource(options));
            _owned.Add(storage);
            databases.Add(storage);
        }

        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var initialising = databases.Select(d => Task.Run(async () =>
        {
            await start.Task;
            await d.InitializeAsync();
        })).ToArray();

        start.SetResult();
        await Task.WhenAll(initialising);

        Assert.Equal(
            [("federation.audit", 1), ("federation.jobs", 2), ("orleans.clustering", 1), ("orleans.persistence", 1)],
            (await VersionRowsAsync()).Select(r => (r.Component, r.Version)));
        Assert.Equal(
            ["federationaudit", "federationjobs", "federationschema", "orleansmembershiptable", "orleansmembershipversiontable", "orleansquery", "orleansstorage"],
            await TablesAsync());
        Assert.Equal(
            OrleansClusteringQueryKeys.All.Concat([OrleansQueryKeys.ClearStorage, OrleansQueryKeys.ReadFromStorage, OrleansQueryKeys.WriteToStorage]).Order(StringComparer.Ordinal),
            (await QueryTextsAsync()).Select(q => q.Key));
    }

    [Fact]
    public async Task ADatabaseWhoseClusteringWasMigratedByANewerBuildIsRefusedNamingIt()
    {
        await Clustering(TimeProvider.System).Database.InitializeAsync();
        await _schema.ExecuteAsync("UPDATE federationschema SET version = 99 WHERE component = 'orleans.clustering'");

        var error = await Assert.ThrowsAsync<AdoNetStorageException>(() => Clustering(TimeProvider.System).Database.InitializeAsync());

        Assert.Equal(
            $"The PostgreSQL database '{PostgresStorage.DisplayNameOf(_schema.Options())}' has schema version 99 of 'orleans.clustering', newer than the 1 this build supports. " +
            "Run a build at least as new as the one that migrated it.",
            error.Message);
    }

    [Fact]
    public async Task TheClusteringDatabaseUsesTheStoragePoolOnlyWhenBuiltFromTheSameOptions()
    {
        var options = _schema.Options();
        var storage = FederationDatabases.Postgres(options);
        _owned.Add(storage);

        var same = Clustering(TimeProvider.System, storage);
        var other = Clustering(TimeProvider.System, storage, o => o.MaxPoolSize = PostgresTestSchema.TestPoolSize + 1);
        var alone = Clustering(TimeProvider.System);
        await same.Database.InitializeAsync();

        Assert.Equal((true, storage.DataSource), (same.SharesStoragePool, same.DataSource));
        Assert.False(other.SharesStoragePool);
        Assert.NotSame(storage.DataSource, other.DataSource);
        Assert.False(alone.SharesStoragePool);
        Assert.Equal($"postgres ({PostgresStorage.DisplayNameOf(options)})", same.Description);

        // Closing the clustering database leaves the shared pool to the storage.
        await same.DisposeAsync();
        Assert.True((await storage.CheckHealthAsync()).IsHealthy);
    }

    [Fact]
    public void SqliteHasNoClusteringComponent()
    {
        var dialect = new SqliteDialect(SqliteStorageOptions.DefaultBusyTimeout, SqliteStorageOptions.DefaultSynchronous);

        var error = Assert.Throws<NotSupportedException>(() => dialect.Migrations(SchemaComponent.OrleansClustering));

        Assert.Equal(
            "SQLite holds no 'orleans.clustering': Orleans has no SQLite clustering. A single silo uses localhost clustering; silos that form a cluster use PostgreSQL.",
            error.Message);
    }

    private FederationClustering Clustering(TimeProvider time, FederationDatabases? storage = null, Action<PostgresStorageOptions>? change = null)
    {
        var options = _schema.Options();
        change?.Invoke(options);
        var clustering = FederationClustering.Postgres(options, storage, time);
        _owned.Add(clustering);
        return clustering;
    }

    private Task<List<(string Component, int Version, DateTimeOffset AppliedOn)>> VersionRowsAsync() =>
        _schema.QueryAsync(
            "SELECT component, version, appliedon FROM federationschema ORDER BY component",
            r => (r.GetString(0), (int)r.GetInt64(1), new DateTimeOffset(r.GetDateTime(2))));

    private Task<List<string>> TablesAsync() =>
        _schema.QueryAsync("SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name", r => r.GetString(0));

    private Task<List<(string Key, string Text)>> QueryTextsAsync() =>
        _schema.QueryAsync("SELECT querykey, querytext FROM orleansquery ORDER BY querykey", r => (r.GetString(0), r.GetString(1)));
}

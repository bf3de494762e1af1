using System.Data.Common;
using Federation.Storage.Audit;
using Federation.Storage.Jobs;
using Federation.Storage.Tests.Jobs;
using Federation.TestKit;
using Orleans.Runtime;

namespace Federation.Storage.Tests.Schema;

/// <summary>
/// What the schema step guarantees on every dialect: it is idempotent, any number of processes may run it on one
/// database at once, a database migrated by a newer build is refused, and it leaves Orleans' statements and the job
/// table's indexes in place. A subclass supplies databases holding the jobs, the audit table and Orleans' persistence on
/// one database of the test's own.
/// </summary>
public abstract class SchemaConformance : IAsyncLifetime
{
    private const int Initialisers = 8;

    private readonly List<AdoNetDatabase> _created = [];

    /// <summary>The dialect's name as messages carry it.</summary>
    protected abstract string DialectName { get; }

    /// <summary>How messages name this test's database.</summary>
    protected abstract string DisplayName { get; }

    /// <summary>The job table's indexes, as the catalog lists them (primary key included where it is an index of its own).</summary>
    protected abstract IReadOnlyList<string> ExpectedJobIndexes { get; }

    /// <summary>Lists the tables of this test's database by name.</summary>
    protected abstract string TablesSql { get; }

    /// <summary>The components a database of this build holds here: the jobs, the audit table and Orleans' persistence.</summary>
    protected static IReadOnlyList<SchemaComponent> AllComponents { get; } = [SchemaComponent.Jobs, SchemaComponent.Audit, SchemaComponent.OrleansPersistence];

    /// <summary>A new database object (as another process would make) on this test's database, holding <paramref name="components"/>.</summary>
    protected abstract AdoNetDatabase NewDatabase(TimeProvider time, IReadOnlyList<SchemaComponent> components);

    /// <summary>A new database object holding <see cref="AllComponents"/>.</summary>
    protected AdoNetDatabase NewDatabase(TimeProvider time) => NewDatabase(time, AllComponents);

    /// <summary>Reads rows from this test's database on a connection of its own.</summary>
    protected abstract Task<List<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> map);

    /// <summary>Runs one statement on this test's database on a connection of its own.</summary>
    protected abstract Task ExecuteAsync(string sql);

    /// <summary>The audit table's indexes, as the catalog lists them (with the primary key and the unique constraint where each is an index of its own).</summary>
    protected abstract IReadOnlyList<string> ExpectedAuditIndexes { get; }

    /// <summary>A table's indexes with their definitions, from the catalog, by name.</summary>
    protected abstract Task<List<(string Name, string Definition)>> IndexesAsync(string table);

    protected virtual Task CleanupAsync() => Task.CompletedTask;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var database in _created)
        {
            await database.DisposeAsync();
        }

        await CleanupAsync();
    }

    [Fact]
    public async Task MigratingTwiceIsANoOp()
    {
        var clock = new ManualTimeProvider();
        var first = Database(clock);
        await first.InitializeAsync();
        var migrated = await VersionRowsAsync(first);
        var tables = await TablesAsync();
        var queries = await QueryTextsAsync();

        clock.Advance(TimeSpan.FromHours(1));
        await first.InitializeAsync();
        var second = Database(clock);
        await second.InitializeAsync();

        Assert.Equal(
            [
                ("federation.audit", first.SchemaVersion(SchemaComponent.Audit), clock.Start),
                ("federation.jobs", first.SchemaVersion(SchemaComponent.Jobs), clock.Start),
                ("orleans.persistence", first.SchemaVersion(SchemaComponent.OrleansPersistence), clock.Start),
            ],
            migrated);
        Assert.All(migrated, row => Assert.True(row.Version >= 1));
        Assert.Equal(migrated, await VersionRowsAsync(second));
        Assert.Equal(tables, await TablesAsync());
        Assert.Equal(queries, await QueryTextsAsync());
        Assert.Equal(["federationaudit", "federationjobs", "federationschema", "orleansquery", "orleansstorage"], tables);
    }

    [Fact]
    public async Task ManyDatabasesInitialisingOneDatabaseAtOnceAllSucceedAndLeaveOneVersionRowPerComponent()
    {
        var databases = Enumerable.Range(0, Initialisers).Select(_ => Database(TimeProvider.System)).ToArray();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var initialising = databases.Select(d => Task.Run(async () =>
        {
            await start.Task;
            await d.InitializeAsync();
        })).ToArray();

        start.SetResult();
        await Task.WhenAll(initialising);

        Assert.Equal(
            [
                ("federation.audit", (long)databases[0].SchemaVersion(SchemaComponent.Audit)),
                ("federation.jobs", (long)databases[0].SchemaVersion(SchemaComponent.Jobs)),
                ("orleans.persistence", (long)databases[0].SchemaVersion(SchemaComponent.OrleansPersistence)),
            ],
            await QueryAsync("SELECT component, version FROM federationschema ORDER BY component", r => (r.GetString(0), Convert.ToInt64(r.GetValue(1), System.Globalization.CultureInfo.InvariantCulture))));
        Assert.Equal(3, (await QueryTextsAsync()).Count);
        foreach (var database in databases)
        {
            Assert.True((await database.CheckHealthAsync()).IsHealthy);
        }
    }

    [Theory]
    [InlineData("federation.jobs")]
    [InlineData("federation.audit")]
    [InlineData("orleans.persistence")]
    public async Task ADatabaseMigratedByANewerBuildIsRefusedNamingTheDatabaseAndTheComponent(string component)
    {
        var current = Database(TimeProvider.System);
        await current.InitializeAsync();
        var supported = current.SchemaVersion(component switch
        {
            "federation.jobs" => SchemaComponent.Jobs,
            "federation.audit" => SchemaComponent.Audit,
            _ => SchemaComponent.OrleansPersistence,
        });
        await ExecuteAsync($"UPDATE federationschema SET version = 99 WHERE component = '{component}'");
        var older = Database(TimeProvider.System);

        var error = await Assert.ThrowsAsync<AdoNetStorageException>(() => older.InitializeAsync());
        var health = await older.CheckHealthAsync();

        Assert.Equal(AdoNetStorageErrorKind.Failed, error.Kind);
        Assert.Equal(
            $"The {DialectName} database '{DisplayName}' has schema version 99 of '{component}', newer than the {supported} this build supports. " +
            "Run a build at least as new as the one that migrated it.",
            error.Message);
        Assert.False(health.IsHealthy);
        Assert.Equal(error.Message, health.Description);
        Assert.Equal([99L], await QueryAsync($"SELECT version FROM federationschema WHERE component = '{component}'", r => Convert.ToInt64(r.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task OrleansPersistenceStatementsAreStoredUnderTheKeysTheProviderReads()
    {
        await Database(TimeProvider.System).InitializeAsync();

        var queries = await QueryTextsAsync();

        Assert.Equal([OrleansQueryKeys.ClearStorage, OrleansQueryKeys.ReadFromStorage, OrleansQueryKeys.WriteToStorage], queries.Select(q => q.Key));
        Assert.StartsWith("SELECT payloadbinary", queries[1].Text, StringComparison.Ordinal);
        Assert.All(queries, q => Assert.Contains("@GrainIdExtensionString", q.Text, StringComparison.Ordinal));
        Assert.All(queries, q => Assert.Contains("orleansstorage", q.Text, StringComparison.Ordinal));
        Assert.Contains("NewGrainStateVersion", queries[0].Text, StringComparison.Ordinal);
        Assert.Contains("NewGrainStateVersion", queries[2].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheJobTableHasItsIndexes()
    {
        await Database(TimeProvider.System).InitializeAsync();

        var indexes = await IndexesAsync("federationjobs");

        Assert.Equal(ExpectedJobIndexes, indexes.Select(i => i.Name));
        var active = Assert.Single(indexes, i => i.Name == "ix_federationjobs_active").Definition;
        Assert.Contains("(serviceid, region, jobid)", active, StringComparison.Ordinal);
        Assert.Contains("WHERE active", active, StringComparison.Ordinal);
        Assert.Contains("(serviceid, state, jobid)", Assert.Single(indexes, i => i.Name == "ix_federationjobs_state").Definition, StringComparison.Ordinal);
        Assert.Contains("(serviceid, owner, jobid)", Assert.Single(indexes, i => i.Name == "ix_federationjobs_owner").Definition, StringComparison.Ordinal);
        Assert.Contains("(serviceid, submittedon, jobid)", Assert.Single(indexes, i => i.Name == "ix_federationjobs_newest").Definition, StringComparison.Ordinal);
        foreach (var column in new[] { "state", "region", "project", "owner" })
        {
            Assert.Contains($"(serviceid, {column}, submittedon, jobid)", Assert.Single(indexes, i => i.Name == $"ix_federationjobs_{column}_newest").Definition, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task TheAuditTableHasAnIndexPerFilterInSequenceOrder()
    {
        await Database(TimeProvider.System).InitializeAsync();

        var indexes = await IndexesAsync("federationaudit");

        Assert.Equal(ExpectedAuditIndexes, indexes.Select(i => i.Name));
        Assert.Contains("(serviceid, seq)", Assert.Single(indexes, i => i.Name == "ix_federationaudit_newest").Definition, StringComparison.Ordinal);
        foreach (var column in new[] { "region", "actor", "target", "action" })
        {
            Assert.Contains($"(serviceid, {column}, seq)", Assert.Single(indexes, i => i.Name == $"ix_federationaudit_{column}").Definition, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AJobTableAtVersion1IsMigratedInPlaceAndItsRowsListNewestFirstByTheirLastWrite()
    {
        var clock = new ManualTimeProvider();
        var t0 = clock.Start;
        var old = Database(clock);
        var dialect = old.Dialect;
        var serializer = new JsonRowSerializer();

        // The database as version 1 left it: its table (no submission time), its version row, rows written then.
        (string Id, string State, string Region, int Minutes)[] rows =
            [("old-a", "Completed", "gwangju", 10), ("old-b", "Queued", "gwangju", 30), ("old-c", "Running", "daegu", 10), ("old-d", "Completed", "gwangju", 20)];
        using (var lease = await old.Connections.AcquireAsync(AdoNetAccess.Write, CancellationToken.None))
        {
            var connection = lease.Connection;
            await connection.Command(dialect.CreateSchemaVersionTable).ExecuteNonQueryAsync();
            foreach (var statement in dialect.Migrations(SchemaComponent.Jobs)[0])
            {
                await connection.Command(statement).ExecuteNonQueryAsync();
            }

            var version = connection.Command(dialect.InsertSchemaVersion);
            AdoNetConnection.Bind(version, "@component", "federation.jobs");
            AdoNetConnection.Bind(version, "@version", 1L);
            AdoNetConnection.Bind(version, "@appliedon", dialect.ToDbTimestamp(t0));
            await version.ExecuteNonQueryAsync();
            var insert = connection.Command(
                "INSERT INTO federationjobs (serviceid, jobid, version, state, region, project, owner, active, payload, modifiedon) " +
                "VALUES ('svc', @jobid, 1, @state, @region, NULL, NULL, @active, @payload, @modifiedon)");
            foreach (var (id, state, region, minutes) in rows)
            {
                AdoNetConnection.Bind(insert, "@jobid", id);
                AdoNetConnection.Bind(insert, "@state", state);
                AdoNetConnection.Bind(insert, "@region", region);
                AdoNetConnection.Bind(insert, "@active", dialect.ToDbBoolean(state is "Queued" or "Running"));
                AdoNetConnection.Bind(insert, "@payload", serializer.Serialize(new TestJobRow { State = state, Region = region, Value = minutes }).ToArray());
                AdoNetConnection.Bind(insert, "@modifiedon", dialect.ToDbTimestamp(t0.AddMinutes(minutes)));
                await insert.ExecuteNonQueryAsync();
            }
        }

        clock.Advance(TimeSpan.FromHours(1));
        var migrated = Database(clock);
        await migrated.InitializeAsync();
        var store = new AdoNetJobStore(migrated, "svc", new JobStoreOptions(), serializer, clock);
        var all = await store.QueryAsync<TestJobRow>(new JobRowFilter(), JobRowOrder.Newest, 100, null);
        var gwangju = await store.QueryAsync<TestJobRow>(new JobRowFilter { Region = "gwangju" }, JobRowOrder.Newest, 2, null);
        var gwangjuNext = await store.QueryAsync<TestJobRow>(new JobRowFilter { Region = "gwangju" }, JobRowOrder.Newest, 2, gwangju.NextAfter);

        Assert.Equal(2, migrated.SchemaVersion(SchemaComponent.Jobs));
        Assert.Equal(
            [("federation.jobs", 2L, t0.AddHours(1))],
            await QueryAsync(
                "SELECT component, version, appliedon FROM federationschema WHERE component = 'federation.jobs'",
                r => (r.GetString(0), Convert.ToInt64(r.GetValue(1), System.Globalization.CultureInfo.InvariantCulture), dialect.FromDbTimestamp(r.GetValue(2)))));
        Assert.Equal(
            rows.Select(r => (r.Id, t0.AddMinutes(r.Minutes))),
            await QueryAsync("SELECT jobid, submittedon FROM federationjobs ORDER BY jobid", r => (r.GetString(0), dialect.FromDbTimestamp(r.GetValue(1)))));
        Assert.Equal(["old-b", "old-d", "old-c", "old-a"], all.Rows.Select(r => r.JobId));
        Assert.Equal([30, 20, 10, 10], all.Rows.Select(r => r.Row.Value));
        Assert.Equal(["old-b", "old-d"], gwangju.Rows.Select(r => r.JobId));
        Assert.Equal(("old-d", 3), (gwangju.NextAfter, gwangju.Total));
        Assert.Equal(["old-a"], gwangjuNext.Rows.Select(r => r.JobId));

        // New rows carry their submission time; an old row rewritten keeps the one the migration gave it.
        var jobType = GrainType.Create(JobStoreOptions.DefaultGrainType);
        await store.WriteStateAsync(JobStoreOptions.DefaultStateName, GrainId.Create(jobType, "new-1"),
            new TestGrainState<TestJobRow>(new TestJobRow { State = "Queued", Region = "daegu", Active = true, SubmittedOn = t0.AddMinutes(15) }));
        await store.WriteStateAsync(JobStoreOptions.DefaultStateName, GrainId.Create(jobType, "old-a"),
            new TestGrainState<TestJobRow>(new TestJobRow { State = "Completed", Region = "gwangju", SubmittedOn = t0.AddMinutes(50) }, "1"));
        Assert.Equal(["old-b", "old-d", "new-1", "old-c", "old-a"], (await store.QueryAsync<TestJobRow>(new JobRowFilter(), JobRowOrder.Newest, 100, null)).Rows.Select(r => r.JobId));
    }

    [Fact]
    public async Task ADatabaseFromBeforeTheAuditTableGainsItOnStartAndKeepsItsJobRows()
    {
        var clock = new ManualTimeProvider();
        var t0 = clock.Start;
        var serializer = new JsonRowSerializer();
        var jobType = GrainType.Create(JobStoreOptions.DefaultGrainType);

        // The previous build's database: the jobs at version 2 and Orleans' persistence, no audit component, a job written.
        var old = Database(clock, [SchemaComponent.Jobs, SchemaComponent.OrleansPersistence]);
        await old.InitializeAsync();
        var state = new TestGrainState<TestJobRow>(new TestJobRow { State = "Queued", Region = "gwangju", Value = 1 });
        await new AdoNetJobStore(old, "svc", new JobStoreOptions(), serializer, clock).WriteStateAsync(JobStoreOptions.DefaultStateName, GrainId.Create(jobType, "old-job"), state);
        Assert.DoesNotContain("federationaudit", await TablesAsync());

        clock.Advance(TimeSpan.FromHours(1));
        var current = Database(clock);
        await current.InitializeAsync();
        var store = new AdoNetJobStore(current, "svc", new JobStoreOptions(), serializer, clock);
        var log = new AdoNetAuditLog(current, "svc");
        state.State.Value = 2;
        state.State.AuditRecords = [new AuditRecord { Id = "first-entry", At = t0, Actor = "alice", Role = "operator", Action = "job.update", Target = "job/old-job" }];
        await store.WriteStateAsync(JobStoreOptions.DefaultStateName, GrainId.Create(jobType, "old-job"), state);

        Assert.Equal(
            [("federation.audit", 1, t0.AddHours(1)), ("federation.jobs", 2, t0), ("orleans.persistence", 1, t0)],
            await VersionRowsAsync(current));
        Assert.Equal(["federationaudit", "federationjobs", "federationschema", "orleansquery", "orleansstorage"], await TablesAsync());
        Assert.Equal(("2", 2), (state.ETag, (await store.ReadAsync<TestJobRow>("old-job"))!.Row.Value));
        Assert.Equal([("first-entry", 1L)], (await log.QueryAsync(new AuditFilter(), 10, null)).Records.Select(r => (r.Id, r.Sequence)));
        var refused = await Assert.ThrowsAnyAsync<DbException>(() => ExecuteAsync("DELETE FROM federationaudit"));
        Assert.Contains("federationaudit is append-only", refused.Message, StringComparison.Ordinal);
    }

    private AdoNetDatabase Database(TimeProvider time, IReadOnlyList<SchemaComponent>? components = null)
    {
        var database = NewDatabase(time, components ?? AllComponents);
        _created.Add(database);
        return database;
    }

    private async Task<List<(string Component, int Version, DateTimeOffset AppliedOn)>> VersionRowsAsync(AdoNetDatabase database) =>
        await QueryAsync(
            "SELECT component, version, appliedon FROM federationschema ORDER BY component",
            r => (r.GetString(0), Convert.ToInt32(r.GetValue(1), System.Globalization.CultureInfo.InvariantCulture), database.Dialect.FromDbTimestamp(r.GetValue(2))));

    private Task<List<string>> TablesAsync() => QueryAsync(TablesSql, r => r.GetString(0));

    private Task<List<(string Key, string Text)>> QueryTextsAsync() =>
        QueryAsync("SELECT querykey, querytext FROM orleansquery ORDER BY querykey", r => (r.GetString(0), r.GetString(1)));
}

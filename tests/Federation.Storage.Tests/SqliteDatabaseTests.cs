using Federation.Actors.AdoNet.Sqlite;
using Federation.Actors.Reminders;
using Federation.Actors.Storage;
using Federation.Actors.TestKit.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Federation.Actors.AdoNet.Tests;

/// <summary>What is SQLite's own: schema creation, durability across provider instances, file errors, the row layout.</summary>
public sealed class SqliteDatabaseTests : IDisposable
{
    private static readonly GrainType CounterType = new("counter");
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task SchemaCreationIsIdempotentWhenManyProvidersInitialiseOneFileAtOnce()
    {
        const int Initialisers = 8;
        var databases = Enumerable.Range(0, Initialisers).Select(_ => SqliteStorage.CreateDatabase("schema", Options())).ToArray();
        try
        {
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var initialising = databases.Select(d => Task.Run(async () =>
            {
                await start.Task;
                await d.InitializeAsync();
            })).ToArray();

            start.SetResult();
            await Task.WhenAll(initialising);
        }
        finally
        {
            foreach (var database in databases)
            {
                await database.DisposeAsync();
            }
        }

        Assert.Equal([("federation.actors.adonet", 2L)], await QueryAsync("SELECT component, version FROM orleansschemaversion", r => (r.GetString(0), r.GetInt64(1))));
        Assert.Equal(
            ["ix_orleansreminderstable_grainhash", "ix_orleansstorageindex_lookup", "orleansreminderstable", "orleansschemaversion", "orleansstorage", "orleansstorageindex"],
            await QueryAsync("SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name", r => r.GetString(0)));
    }

    [Fact]
    public async Task ReopeningAnInitialisedFileKeepsItsSchemaAndRows()
    {
        var grain = GrainId.Create(CounterType, "kept");
        await using (var first = CreateStorage())
        {
            await first.WriteStateAsync("state", grain, new GrainState<MutableTestState>(new MutableTestState { Value = 1 }));
        }

        await using var second = CreateStorage();
        await second.InitializeAsync();

        var read = new GrainState<MutableTestState>(new MutableTestState());
        await second.ReadStateAsync("state", grain, read);
        Assert.Equal(1, read.State.Value);
        Assert.Single(await QueryAsync("SELECT version FROM orleansschemaversion", r => r.GetInt64(0)));
    }

    [Fact]
    public async Task StateSurvivesTheProviderBeingDisposedAndRecreated()
    {
        var grain = GrainId.Create(CounterType, "durable");
        var state = new GrainState<MutableTestState>(new MutableTestState { Value = 1, Text = "before" });
        await using (var first = CreateStorage())
        {
            await first.WriteStateAsync("state", grain, state);
            state.State.Value = 2;
            await first.WriteStateAsync("state", grain, state);
        }

        await using var second = CreateStorage();
        var read = new GrainState<MutableTestState>(new MutableTestState());
        await second.ReadStateAsync("state", grain, read);

        Assert.Equal(2, read.State.Value);
        Assert.Equal("before", read.State.Text);
        Assert.Equal("2", read.ETag);
        Assert.True(read.RecordExists);

        // The ETag held across the restart is still the current one.
        state.State.Value = 3;
        await second.WriteStateAsync("state", grain, state);
        Assert.Equal("3", state.ETag);
    }

    [Fact]
    public async Task RemindersSurviveTheTableBeingDisposedAndRecreated()
    {
        var grain = GrainId.Create(new GrainType("region"), "gwangju");
        var startAt = new DateTimeOffset(2026, 11, 22, 3, 0, 0, TimeSpan.Zero);
        string eTag;
        await using (var first = SqliteStorage.CreateReminderTable(Options()))
        {
            eTag = await first.UpsertRowAsync(new ReminderEntry(grain, "rebalance", startAt, TimeSpan.FromMinutes(5)));
        }

        await using var second = SqliteStorage.CreateReminderTable(Options());
        var read = await second.ReadRowAsync(grain, "rebalance");

        Assert.Equal(new ReminderEntry(grain, "rebalance", startAt, TimeSpan.FromMinutes(5), eTag), read);
        Assert.Single(await second.ReadRangeAsync(0, 0));
    }

    [Fact]
    public async Task TwoProvidersOnOneFileShareRowsAndTheETagProtocol()
    {
        await using var first = CreateStorage();
        await using var second = CreateStorage();
        var grain = GrainId.Create(CounterType, "shared");
        var mine = new GrainState<MutableTestState>(new MutableTestState { Value = 1 });
        await first.WriteStateAsync("state", grain, mine);

        var theirs = new GrainState<MutableTestState>(new MutableTestState());
        await second.ReadStateAsync("state", grain, theirs);
        theirs.State.Value = 2;
        await second.WriteStateAsync("state", grain, theirs);

        await Assert.ThrowsAsync<InconsistentStateException>(() => first.WriteStateAsync("state", grain, mine));
        var read = new GrainState<MutableTestState>(new MutableTestState());
        await first.ReadStateAsync("state", grain, read);
        Assert.Equal(2, read.State.Value);
    }

    [Fact]
    public async Task RacingWritersOnTwoProvidersOfOneFile_ExactlyOneWins()
    {
        const int WritersPerProvider = 8;
        await using var first = CreateStorage();
        await using var second = CreateStorage();
        var grain = GrainId.Create(CounterType, "cross-race");
        await first.WriteStateAsync("state", grain, new GrainState<MutableTestState>(new MutableTestState()));
        await second.InitializeAsync();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writers = Enumerable.Range(0, 2 * WritersPerProvider).Select(i => Task.Run(async () =>
        {
            var storage = i % 2 == 0 ? first : second;
            var state = new GrainState<MutableTestState>(new MutableTestState { Value = i }, "1");
            await start.Task;
            try
            {
                await storage.WriteStateAsync("state", grain, state);
                return true;
            }
            catch (InconsistentStateException)
            {
                return false;
            }
        })).ToArray();

        start.SetResult();
        var results = await Task.WhenAll(writers);

        Assert.Single(results, won => won);
        Assert.Equal([2L], await QueryAsync("SELECT version FROM orleansstorage", r => r.GetInt64(0)));
    }

    [Fact]
    public async Task RowKeyIsGrainTypeStateNameAndKey()
    {
        await using var storage = CreateStorage();
        await storage.WriteStateAsync("profile", GrainId.Create(new GrainType("alpha"), "020235"), new GrainState<int>(1));
        await storage.WriteStateAsync("profile", GrainId.Create(new GrainType("beta"), "020235"), new GrainState<int>(2));
        await storage.WriteStateAsync("profile", GrainId.Create(new GrainType("beta"), 0x20235L), new GrainState<int>(3));

        var rows = await QueryAsync(
            "SELECT serviceid, graintypestring, statename, grainidstring, CAST(payloadbinary AS TEXT), version FROM orleansstorage ORDER BY graintypestring, grainidstring",
            r => (r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetInt64(5)));

        Assert.Equal(
            [
                ("default", "alpha", "profile", "020235", "1", 1L),
                ("default", "beta", "profile", "020235", "2", 1L),
                ("default", "beta", "profile", "20235", "3", 1L),
            ],
            rows);
    }

    [Fact]
    public async Task ClearKeepsTheRowWithANullPayloadAndTheNextVersion()
    {
        await using var storage = CreateStorage();
        var grain = GrainId.Create(CounterType, "cleared");
        var state = new GrainState<int>(5);
        await storage.WriteStateAsync("state", grain, state);

        await storage.ClearStateAsync("state", grain, state);

        Assert.Equal([(true, 2L)], await QueryAsync("SELECT payloadbinary IS NULL, version FROM orleansstorage", r => (r.GetBoolean(0), r.GetInt64(1))));
    }

    [Fact]
    public async Task DatabaseRunsInWalMode()
    {
        await using (var storage = CreateStorage())
        {
            await storage.InitializeAsync();
        }

        Assert.Equal(["wal"], await QueryAsync("PRAGMA journal_mode", r => r.GetString(0)));
    }

    [Fact]
    public async Task AnUnwritablePathGivesAClearError()
    {
        // A path below a regular file can never be created, even by root.
        var blocker = Path.Combine(_database.Directory, "not-a-directory");
        await File.WriteAllTextAsync(blocker, "x");
        var path = Path.Combine(blocker, "state.db");
        await using var storage = SqliteStorage.CreateGrainStorage(
            "broken", new SqliteStorageOptions { ConnectionString = "Data Source=" + path }, new JsonGrainStorageSerializer());

        var error = await Assert.ThrowsAsync<AdoNetStorageException>(
            () => storage.WriteStateAsync("state", GrainId.Create(CounterType, "k"), new GrainState<int>(1)));

        Assert.Contains("The SQLite database '" + path + "' could not be opened or prepared", error.Message, StringComparison.Ordinal);
        Assert.Contains("exists and is writable", error.Message, StringComparison.Ordinal);
        Assert.IsType<SqliteException>(error.InnerException);
    }

    [Fact]
    public async Task HealthIsReportedNotThrown()
    {
        var blocker = Path.Combine(_database.Directory, "not-a-directory");
        await File.WriteAllTextAsync(blocker, "x");
        var path = Path.Combine(blocker, "state.db");
        await using var healthy = CreateStorage();
        await using var broken = SqliteStorage.CreateGrainStorage(
            "broken", new SqliteStorageOptions { ConnectionString = "Data Source=" + path }, new JsonGrainStorageSerializer());

        var up = await healthy.CheckHealthAsync();
        var down = await broken.CheckHealthAsync();

        Assert.Equal(new StorageHealth(true, $"SQLite database '{_database.FilePath}' is reachable, schema version 2."), up);
        Assert.False(down.IsHealthy);
        Assert.StartsWith($"The SQLite database '{path}' could not be opened or prepared", down.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASchemaNewerThanThisBuildIsRefused()
    {
        await using (var storage = CreateStorage())
        {
            await storage.InitializeAsync();
        }

        await ExecuteAsync("UPDATE orleansschemaversion SET version = 99");
        await using var newer = CreateStorage();

        var error = await Assert.ThrowsAsync<AdoNetStorageException>(() => newer.InitializeAsync());

        Assert.Contains("has schema version 99, newer than the 2 this build supports", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AVersion1DatabaseIsMigratedInPlaceKeepingItsRows()
    {
        var dialect = new SqliteDialect(SqliteStorageOptions.DefaultBusyTimeout, SqliteStorageOptions.DefaultSynchronous);
        await ExecuteAsync(dialect.CreateSchemaVersionTable);
        foreach (var statement in dialect.Migrations[0])
        {
            await ExecuteAsync(statement);
        }

        await ExecuteAsync("INSERT INTO orleansschemaversion VALUES ('federation.actors.adonet', 1, 0)");
        await ExecuteAsync("INSERT INTO orleansstorage VALUES ('default', 'counter', 'state', 'old', CAST('7' AS BLOB), 0, 4)");

        await using var storage = CreateStorage();
        var read = new GrainState<int>(0);
        await storage.ReadStateAsync("state", GrainId.Create(CounterType, "old"), read);

        Assert.Equal(7, read.State);
        Assert.Equal("4", read.ETag);
        Assert.Equal([2L], await QueryAsync("SELECT version FROM orleansschemaversion", r => r.GetInt64(0)));
        Assert.Equal([0L], await QueryAsync("SELECT count(*) FROM orleansstorageindex", r => r.GetInt64(0)));
    }

    [Fact]
    public async Task IndexEntriesAreRowsOfTheirOwnKeyedLikeTheState()
    {
        await using var storage = CreateStorage();
        await storage.WriteStateAsync("job", GrainId.Create(new GrainType("job"), "j1"), new GrainState<IndexedTestState>(new IndexedTestState { Region = "daegu", Tags = ["npu"] }));

        var rows = await QueryAsync(
            "SELECT serviceid, graintypestring, statename, grainidstring, name, value FROM orleansstorageindex ORDER BY name, value",
            r => (r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5)));

        Assert.Equal(
            [
                ("default", "job", "job", "j1", "phase", "Submitted"),
                ("default", "job", "job", "j1", "region", "daegu"),
                ("default", "job", "job", "j1", "tag", "npu"),
            ],
            rows);
    }

    [Theory]
    [InlineData(null, "SqliteStorageOptions.ConnectionString must be set")]
    [InlineData("Data Source=:memory:", "SqliteStorageOptions.ConnectionString must name a database file")]
    [InlineData("Data Source=x.db;Mode=Memory", "SqliteStorageOptions.ConnectionString must name a database file")]
    [InlineData("Data Source=x.db;Mode=ReadOnly", "SqliteStorageOptions.ConnectionString must not use Mode=ReadOnly")]
    [InlineData("Data Source=x.db;Bogus=1", "SqliteStorageOptions.ConnectionString is not a valid SQLite connection string")]
    public void InvalidConnectionStringsAreRejectedByName(string? connectionString, string expected)
    {
        var result = new SqliteStorageOptionsValidator().Validate("Default", new SqliteStorageOptions { ConnectionString = connectionString });

        Assert.True(result.Failed);
        Assert.StartsWith(expected, Assert.Single(result.Failures!), StringComparison.Ordinal);
    }

    [Fact]
    public void EveryBadOptionIsNamed()
    {
        var options = new SqliteStorageOptions
        {
            ConnectionString = _database.ConnectionString,
            ServiceId = " ",
            BusyTimeout = TimeSpan.Zero,
            MaxReadConnections = 0,
            Synchronous = (SqliteSynchronousMode)7,
        };

        var error = Assert.Throws<OptionsValidationException>(() => SqliteStorageOptionsValidator.ThrowIfInvalid("Default", options));

        Assert.Equal(
            [
                "SqliteStorageOptions.ServiceId must be set.",
                "SqliteStorageOptions.BusyTimeout must be positive",
                "SqliteStorageOptions.MaxReadConnections must be between 1 and 64; it is 0.",
                "SqliteStorageOptions.Synchronous must be Normal or Full; it is 7.",
            ],
            error.Failures.Select(f => f.StartsWith("SqliteStorageOptions.BusyTimeout", StringComparison.Ordinal) ? "SqliteStorageOptions.BusyTimeout must be positive" : f));
    }

    [Fact]
    public void DefaultsAreTheNamedConstants()
    {
        var options = new SqliteStorageOptions();

        Assert.Null(options.ConnectionString);
        Assert.Equal("default", options.ServiceId);
        Assert.False(options.DeleteStateOnClear);
        Assert.Equal(TimeSpan.FromSeconds(30), options.BusyTimeout);
        Assert.Equal(4, options.MaxReadConnections);
        Assert.Equal(SqliteSynchronousMode.Full, options.Synchronous);
    }

    private SqliteStorageOptions Options() => new() { ConnectionString = _database.ConnectionString };

    private AdoNetGrainStorage CreateStorage() => SqliteStorage.CreateGrainStorage("test", Options(), new JsonGrainStorageSerializer());

    private async Task<List<T>> QueryAsync<T>(string sql, Func<SqliteDataReader, T> map)
    {
        await using var connection = new SqliteConnection(_database.ConnectionString + ";Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var result = new List<T>();
        while (await reader.ReadAsync())
        {
            result.Add(map(reader));
        }

        return result;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqliteConnection(_database.ConnectionString + ";Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}

using System.Collections.Concurrent;
using Federation.Actors.AdoNet.Postgres;
using Federation.Actors.Reminders;
using Federation.Actors.Storage;
using Federation.Actors.TestKit.Net;
using Federation.Actors.TestKit.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Federation.TestKit.Postgres;

/// <summary>What is PostgreSQL's own: concurrent schema creation, migration, durability, outages, secrets.</summary>
public sealed class PostgresDatabaseTests : IAsyncLifetime
{
    private const string Secret = "s3cret-never-logged";
    private static readonly GrainType CounterType = new("counter");
    private readonly PostgresTestSchema _schema = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _schema.DisposeAsync().AsTask();

    [Fact]
    public async Task SchemaCreationIsIdempotentWhenManyInitialisersStartOnAFreshSchemaAtOnce()
    {
        const int Initialisers = 16;
        var databases = Enumerable.Range(0, Initialisers).Select(_ => PostgresStorage.CreateDatabase("schema", _schema.Options())).ToArray();
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

        Assert.Equal([("federation.actors.adonet", 2L)], await _schema.QueryAsync("SELECT component, version FROM orleansschemaversion", r => (r.GetString(0), r.GetInt64(1))));
        Assert.Equal(
            ["orleansreminderstable", "orleansschemaversion", "orleansstorage", "orleansstorageindex"],
            await TablesAsync());
        Assert.Equal(
            ["ix_orleansreminderstable_grainhash", "ix_orleansstorageindex_lookup"],
            await _schema.QueryAsync("SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema() AND indexname LIKE 'ix_%' ORDER BY indexname", r => r.GetString(0)));
    }

    [Fact]
    public async Task AVersion1SchemaIsMigratedInPlaceKeepingItsRows()
    {
        await using (var first = CreateStorage())
        {
            await first.InitializeAsync();
        }

        // Back to what version 1 created, with one row written by it.
        await _schema.ExecuteAsync("DROP TABLE orleansstorageindex");
        await _schema.ExecuteAsync("UPDATE orleansschemaversion SET version = 1");
        await _schema.ExecuteAsync(
            "INSERT INTO orleansstorage VALUES ('default', 'counter', 'state', 'old', @payload, now(), 4)",
            ("payload", "7"u8.ToArray()));

        await using var storage = CreateStorage();
        var read = new GrainState<int>(0);
        await storage.ReadStateAsync("state", GrainId.Create(CounterType, "old"), read);

        Assert.Equal(7, read.State);
        Assert.Equal("4", read.ETag);
        Assert.Equal([2L], await _schema.QueryAsync("SELECT version FROM orleansschemaversion", r => r.GetInt64(0)));
        Assert.Equal([0L], await _schema.QueryAsync("SELECT count(*) FROM orleansstorageindex", r => r.GetInt64(0)));
    }

    [Fact]
    public async Task ASchemaNewerThanThisBuildIsRefused()
    {
        await using (var storage = CreateStorage())
        {
            await storage.InitializeAsync();
        }

        await _schema.ExecuteAsync("UPDATE orleansschemaversion SET version = 99");
        await using var newer = CreateStorage();

        var error = await Assert.ThrowsAsync<AdoNetStorageException>(() => newer.InitializeAsync());

        Assert.Equal(AdoNetStorageErrorKind.Failed, error.Kind);
        Assert.Contains("has schema version 99, newer than the 2 this build supports", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StateAndRemindersSurviveTheProvidersBeingDisposedAndRecreated()
    {
        var grain = GrainId.Create(CounterType, "kept");
        var start = DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_123);
        await using (var storage = CreateStorage())
        {
            var state = new GrainState<MutableTestState>(new MutableTestState { Value = 1 });
            await storage.WriteStateAsync("state", grain, state);
            state.State.Value = 2;
            await storage.WriteStateAsync("state", grain, state);
        }

        await using (var table = PostgresStorage.CreateReminderTable(_schema.Options()))
        {
            await table.UpsertRowAsync(new ReminderEntry(grain, "tick", start, TimeSpan.FromMinutes(5)));
        }

        await using var reopened = CreateStorage();
        var read = new GrainState<MutableTestState>(new MutableTestState());
        await reopened.ReadStateAsync("state", grain, read);
        await using var reopenedTable = PostgresStorage.CreateReminderTable(_schema.Options());
        var reminder = await reopenedTable.ReadRowAsync(grain, "tick");

        Assert.Equal(2, read.State.Value);
        Assert.Equal("2", read.ETag);
        Assert.NotNull(reminder);
        Assert.Equal(start, reminder.StartAt);
        Assert.Equal(TimeSpan.FromMinutes(5), reminder.Period);
        Assert.Equal("1", reminder.ETag);
    }

    [Fact]
    public async Task TwoServiceIdsInOneSchemaDoNotSeeEachOthersRows()
    {
        var grain = GrainId.Create(CounterType, "shared-key");
        await using var north = PostgresStorage.CreateGrainStorage("north", _schema.Options(serviceId: "north"), new JsonGrainStorageSerializer());
        await using var south = PostgresStorage.CreateGrainStorage("south", _schema.Options(serviceId: "south"), new JsonGrainStorageSerializer());
        await north.WriteStateAsync("state", grain, new GrainState<int>(1));

        var read = new GrainState<int>(0);
        await south.ReadStateAsync("state", grain, read);

        Assert.False(read.RecordExists);
        Assert.Null(read.ETag);
        Assert.Equal([("north", "counter", "state", "shared-key")], await _schema.QueryAsync(
            "SELECT serviceid, graintypestring, statename, grainidstring FROM orleansstorage",
            r => (r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3))));
    }

    [Fact]
    public async Task ConcurrentWritersWithOneETag_ExactlyOneWinsAcrossTwoPools()
    {
        const int Writers = 16;
        var grain = GrainId.Create(CounterType, "race");
        await using var a = CreateStorage();
        await using var b = CreateStorage();
        var seed = new GrainState<int>(0);
        await a.WriteStateAsync("state", grain, seed);
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, Writers).Select(i => Task.Run(async () =>
        {
            await start.Task;
            try
            {
                await (i % 2 == 0 ? a : b).WriteStateAsync("state", grain, new GrainState<int>(i) { ETag = seed.ETag, RecordExists = true });
                return true;
            }
            catch (InconsistentStateException)
            {
                return false;
            }
        })).Append(Task.Run(() =>
        {
            start.SetResult();
            return false;
        })));

        Assert.Equal(1, outcomes.Count(won => won));
        Assert.Equal([2L], await _schema.QueryAsync("SELECT version FROM orleansstorage", r => r.GetInt64(0)));
    }

    [Fact]
    public async Task AClosedPortGivesTheTypedUnreachableErrorNamingTheServerButNotThePassword()
    {
        var logs = new CapturingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        var options = new PostgresStorageOptions { ConnectionString = $"Host=127.0.0.1;Port=1;Username=federation;Password={Secret};Database=nowhere" };
        await using var storage = PostgresStorage.CreateGrainStorage("down", options, new JsonGrainStorageSerializer(), loggerFactory: loggerFactory);
        var grain = GrainId.Create(CounterType, "k");

        var init = await Assert.ThrowsAsync<AdoNetStorageException>(() => storage.InitializeAsync());
        var read = await Assert.ThrowsAsync<AdoNetStorageException>(() => storage.ReadStateAsync("state", grain, new GrainState<int>(0)));
        var write = await Assert.ThrowsAsync<AdoNetStorageException>(() => storage.WriteStateAsync("state", grain, new GrainState<int>(1)));
        var health = await storage.CheckHealthAsync();

        foreach (var error in new[] { init, read, write })
        {
            Assert.True(error.IsUnreachable);
            Assert.StartsWith("The PostgreSQL database '127.0.0.1:1/nowhere' is unreachable. Connecting failed: ", error.Message, StringComparison.Ordinal);
            Assert.IsAssignableFrom<NpgsqlException>(error.InnerException);
            Assert.DoesNotContain(Secret, error.ToString(), StringComparison.Ordinal);
        }

        Assert.False(health.IsHealthy);
        Assert.StartsWith("The PostgreSQL database '127.0.0.1:1/nowhere' is unreachable.", health.Description, StringComparison.Ordinal);
        Assert.NotEmpty(logs.Messages);
        Assert.DoesNotContain(logs.Messages, m => m.Contains(Secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnOutageGivesTheTypedErrorAndTheProviderRecoversByItselfWhenTheServerIsBack()
    {
        var server = new NpgsqlConnectionStringBuilder(_schema.ServerConnectionString);
        await using var forwarder = new TcpForwarder(server.Host!, server.Port);
        var options = _schema.Options();
        options.ConnectionString = new NpgsqlConnectionStringBuilder(_schema.ServerConnectionString) { Host = "127.0.0.1", Port = forwarder.Port }.ConnectionString;
        await using var storage = PostgresStorage.CreateGrainStorage("outage", options, new JsonGrainStorageSerializer());
        await using var table = PostgresStorage.CreateReminderTable(options);
        var grain = GrainId.Create(CounterType, "k");
        var state = new GrainState<int>(1);
        await storage.WriteStateAsync("state", grain, state);
        await table.UpsertRowAsync(new ReminderEntry(grain, "tick", DateTimeOffset.UnixEpoch, TimeSpan.FromMinutes(1)));
        Assert.True((await storage.CheckHealthAsync()).IsHealthy);

        forwarder.Cut();
        var pooledRead = await Assert.ThrowsAsync<AdoNetStorageException>(() => storage.ReadStateAsync("state", grain, new GrainState<int>(0)));
        var write = await Assert.ThrowsAsync<AdoNetStorageException>(() => storage.WriteStateAsync("state", grain, state));
        var reminders = await Assert.ThrowsAsync<AdoNetStorageException>(() => table.ReadRowsAsync(grain));
        var downHealth = await storage.CheckHealthAsync();

        forwarder.Restore();
        var read = new GrainState<int>(0);
        await storage.ReadStateAsync("state", grain, read);
        state.State = 2;
        await storage.WriteStateAsync("state", grain, state);
        var rows = await table.ReadRowsAsync(grain);
        var upHealth = await storage.CheckHealthAsync();

        Assert.All([pooledRead, write, reminders], e => Assert.Equal(AdoNetStorageErrorKind.Unreachable, e.Kind));
        Assert.False(downHealth.IsHealthy);
        Assert.Equal(1, read.State);
        Assert.Equal("2", state.ETag);
        Assert.Equal("tick", Assert.Single(rows).ReminderName);
        Assert.True(upHealth.IsHealthy);
        Assert.Equal($"PostgreSQL database '127.0.0.1:{forwarder.Port}/{server.Database} (schema {_schema.Name})' is reachable, schema version 2.", upHealth.Description);
    }

    [Fact]
    public async Task ARejectedStatementIsNotAnOutage()
    {
        await using var storage = CreateStorage();
        await storage.InitializeAsync();
        await _schema.ExecuteAsync("DROP TABLE orleansstorage");

        var error = await Assert.ThrowsAsync<PostgresException>(() => storage.ReadStateAsync("state", GrainId.Create(CounterType, "k"), new GrainState<int>(0)));

        Assert.Equal(PostgresErrorCodes.UndefinedTable, error.SqlState);
        Assert.True((await storage.CheckHealthAsync()).IsHealthy);
    }

    [Fact]
    public void ConnectionStringGetsTheOptionsTimeoutsPoolAndSchema()
    {
        var options = new PostgresStorageOptions
        {
            ConnectionString = "Host=db;Username=u;Password=p;Database=d;Timeout=60;Search Path=other",
            Schema = "federation",
            ConnectTimeout = TimeSpan.FromSeconds(3),
            CommandTimeout = TimeSpan.FromSeconds(10),
            MaxPoolSize = 20,
        };

        var effective = new NpgsqlConnectionStringBuilder(PostgresStorage.EffectiveConnectionString(options));

        Assert.Equal((3, 10, 20, "federation"), (effective.Timeout, effective.CommandTimeout, effective.MaxPoolSize, effective.SearchPath));
        Assert.Equal("db:5432/d (schema federation)", PostgresStorage.DisplayNameOf(options));
    }

    private AdoNetGrainStorage CreateStorage() => PostgresStorage.CreateGrainStorage("test", _schema.Options(), new JsonGrainStorageSerializer());

    private Task<List<string>> TablesAsync() =>
        _schema.QueryAsync("SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name", r => r.GetString(0));

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<string> Messages { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturingLoggerProvider provider) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                provider.Messages.Enqueue(formatter(state, exception) + " " + exception);
            }
        }
    }
}

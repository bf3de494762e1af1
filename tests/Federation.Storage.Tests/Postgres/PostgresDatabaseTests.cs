using System.Collections.Concurrent;
using Federation.Storage.Jobs;
using Federation.Storage.Postgres;
using Federation.Storage.Tests.Jobs;
using Federation.TestKit.Net;
using Federation.TestKit.Postgres;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Runtime;
using Orleans.Storage;

namespace Federation.Storage.Tests.Postgres;

/// <summary>What is PostgreSQL's own: durability across pools, service ids, races across pools, outages, secrets.</summary>
public sealed class PostgresDatabaseTests : IAsyncLifetime
{
    private const string Secret = "s3cret-never-logged";
    private const string StateName = JobStoreOptions.DefaultStateName;
    private static readonly GrainType JobType = GrainType.Create(JobStoreOptions.DefaultGrainType);
    private readonly PostgresTestSchema _schema = new();
    private readonly List<AdoNetDatabase> _created = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var database in _created)
        {
            await database.DisposeAsync();
        }

        await _schema.DisposeAsync();
    }

    [Fact]
    public async Task RowsAndETagsSurviveTheirPoolBeingClosed()
    {
        var state = new TestGrainState<TestJobRow>(new TestJobRow { State = "Queued", Region = "gwangju", Active = true, Value = 1 });
        await using (var first = PostgresStorage.CreateDatabase(_schema.Options(), PostgresStorage.CreateDataSource(_schema.Options())))
        {
            var store = Store(first);
            await store.WriteStateAsync(StateName, Job("kept"), state);
            state.State.Value = 2;
            await store.WriteStateAsync(StateName, Job("kept"), state);
        }

        var reopened = Store(Database());
        var read = new TestGrainState<TestJobRow>(new TestJobRow());
        await reopened.ReadStateAsync(StateName, Job("kept"), read);

        Assert.Equal((2, "2", true), (read.State.Value, read.ETag, read.RecordExists));
        state.State.Value = 3;
        await reopened.WriteStateAsync(StateName, Job("kept"), state);
        Assert.Equal("3", state.ETag);
        Assert.Equal(["kept"], (await reopened.QueryAsync<TestJobRow>(new JobRowFilter { Region = "gwangju", ActiveOnly = true }, JobRowOrder.Id, 10, null)).Rows.Select(r => r.JobId));
    }

    [Fact]
    public async Task TwoServiceIdsInOneSchemaDoNotSeeEachOthersRows()
    {
        var database = Database();
        var north = Store(database, serviceId: "north");
        var south = Store(database, serviceId: "south");
        await north.WriteStateAsync(StateName, Job("shared-key"), new TestGrainState<TestJobRow>(new TestJobRow { Region = "gwangju", Value = 1 }));

        var read = new TestGrainState<TestJobRow>(new TestJobRow());
        await south.ReadStateAsync(StateName, Job("shared-key"), read);

        Assert.Equal((null, false), (read.ETag, read.RecordExists));
        Assert.Equal(0, (await south.QueryAsync<TestJobRow>(new JobRowFilter { Region = "gwangju" }, JobRowOrder.Id, 10, null)).Total);
        Assert.Equal([("north", "shared-key", 1L)], await _schema.QueryAsync(
            "SELECT serviceid, jobid, version FROM federationjobs",
            r => (r.GetString(0), r.GetString(1), r.GetInt64(2))));
    }

    [Fact]
    public async Task ConcurrentWritersWithOneETag_ExactlyOneWinsAcrossTwoPools()
    {
        const int Writers = 16;
        var a = Store(Database());
        var b = Store(Database());
        var seed = new TestGrainState<TestJobRow>(new TestJobRow());
        await a.WriteStateAsync(StateName, Job("race"), seed);
        await b.ReadStateAsync(StateName, Job("race"), new TestGrainState<TestJobRow>(new TestJobRow()));
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writers = Enumerable.Range(0, Writers).Select(i => Task.Run(async () =>
        {
            await start.Task;
            try
            {
                await (i % 2 == 0 ? a : b).WriteStateAsync(StateName, Job("race"), new TestGrainState<TestJobRow>(new TestJobRow { Value = i }, seed.ETag));
                return true;
            }
            catch (InconsistentStateException)
            {
                return false;
            }
        })).ToArray();

        start.SetResult();
        var outcomes = await Task.WhenAll(writers);

        Assert.Single(outcomes, won => won);
        Assert.Equal([2L], await _schema.QueryAsync("SELECT version FROM federationjobs", r => r.GetInt64(0)));
    }

    [Fact]
    public async Task AClosedPortGivesTheTypedUnreachableErrorNamingTheServerButNotThePassword()
    {
        var logs = new CapturingLoggerProvider();
        using var loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        var options = new PostgresStorageOptions { ConnectionString = $"Host=127.0.0.1;Port=1;Username=federation;Password={Secret};Database=nowhere" };
        await using var database = PostgresStorage.CreateDatabase(options, PostgresStorage.CreateDataSource(options, loggerFactory), loggerFactory: loggerFactory);
        var store = Store(database);

        var init = await Assert.ThrowsAsync<AdoNetStorageException>(() => database.InitializeAsync());
        var read = await Assert.ThrowsAsync<AdoNetStorageException>(() => store.ReadStateAsync(StateName, Job("k"), new TestGrainState<TestJobRow>(new TestJobRow())));
        var write = await Assert.ThrowsAsync<AdoNetStorageException>(() => store.WriteStateAsync(StateName, Job("k"), new TestGrainState<TestJobRow>(new TestJobRow())));
        var list = await Assert.ThrowsAsync<AdoNetStorageException>(() => store.QueryAsync<TestJobRow>(new JobRowFilter(), JobRowOrder.Id, 10, null));
        var health = await database.CheckHealthAsync();

        foreach (var error in new[] { init, read, write, list })
        {
            Assert.Equal(AdoNetStorageErrorKind.Unreachable, error.Kind);
            Assert.StartsWith("The PostgreSQL database '127.0.0.1:1/nowhere' is unreachable. Connecting failed: ", error.Message, StringComparison.Ordinal);
            Assert.IsAssignableFrom<NpgsqlException>(error.InnerException);
            Assert.DoesNotContain(Secret, error.ToString(), StringComparison.Ordinal);
            Assert.Same(error, StorageErrors.FindUnreachable(new AggregateException(new InvalidOperationException("an activation failed", error))));
        }

        Assert.False(health.IsHealthy);
        Assert.StartsWith("The PostgreSQL database '127.0.0.1:1/nowhere' is unreachable.", health.Description, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, health.Description, StringComparison.Ordinal);
        Assert.NotEmpty(logs.Messages);
        Assert.DoesNotContain(logs.Messages, m => m.Contains(Secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ACutConnectionGivesTheTypedErrorAndTheNextOperationSucceedsOnceRestored()
    {
        var server = new NpgsqlConnectionStringBuilder(_schema.ServerConnectionString);
        await using var forwarder = new TcpForwarder(server.Host!, server.Port);
        var options = _schema.Options();
        options.ConnectionString = new NpgsqlConnectionStringBuilder(_schema.ServerConnectionString) { Host = "127.0.0.1", Port = forwarder.Port }.ConnectionString;
        var database = Track(PostgresStorage.CreateDatabase(options, PostgresStorage.CreateDataSource(options)));
        var store = Store(database);
        var state = new TestGrainState<TestJobRow>(new TestJobRow { Region = "daegu", Value = 1 });
        await store.WriteStateAsync(StateName, Job("k"), state);
        Assert.True((await database.CheckHealthAsync()).IsHealthy);
        var name = $"127.0.0.1:{forwarder.Port}/{server.Database} (schema {_schema.Name})";

        forwarder.Cut();
        var pooledRead = await Assert.ThrowsAsync<AdoNetStorageException>(() => store.ReadStateAsync(StateName, Job("k"), new TestGrainState<TestJobRow>(new TestJobRow())));
        state.State.Value = 2;
        var write = await Assert.ThrowsAsync<AdoNetStorageException>(() => store.WriteStateAsync(StateName, Job("k"), state));
        var eTagAfterFailedWrite = state.ETag;
        var list = await Assert.ThrowsAsync<AdoNetStorageException>(() => store.QueryAsync<TestJobRow>(new JobRowFilter { Region = "daegu" }, JobRowOrder.Id, 10, null));
        var downHealth = await database.CheckHealthAsync();

        forwarder.Restore();
        var read = new TestGrainState<TestJobRow>(new TestJobRow());
        await store.ReadStateAsync(StateName, Job("k"), read);
        await store.WriteStateAsync(StateName, Job("k"), state);
        var page = await store.QueryAsync<TestJobRow>(new JobRowFilter { Region = "daegu" }, JobRowOrder.Id, 10, null);
        var upHealth = await database.CheckHealthAsync();

        foreach (var error in new[] { pooledRead, write, list })
        {
            Assert.Equal(AdoNetStorageErrorKind.Unreachable, error.Kind);
            Assert.StartsWith($"The PostgreSQL database '{name}' is unreachable. ", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("Password", error.ToString(), StringComparison.OrdinalIgnoreCase);
            Assert.Same(error, StorageErrors.FindUnreachable(error));
        }

        Assert.Equal("1", eTagAfterFailedWrite);
        Assert.False(downHealth.IsHealthy);
        Assert.Contains($"PostgreSQL database '{name}' is unreachable", downHealth.Description, StringComparison.Ordinal);
        Assert.Equal((1, "1"), (read.State.Value, read.ETag));
        Assert.Equal("2", state.ETag);
        Assert.Equal([2], page.Rows.Select(r => r.Row.Value));
        Assert.Equal(new StorageHealth(true, $"PostgreSQL database '{name}' is reachable."), upHealth);
    }

    [Fact]
    public async Task AColumnTheServerRejectsFailsTheWholeWriteAndChangesNeitherTheRowNorItsColumns()
    {
        var store = Store(Database());
        var state = new TestGrainState<TestJobRow>(new TestJobRow { State = "Queued", Region = "gwangju", Active = true, Value = 1 });
        await store.WriteStateAsync(StateName, Job("j"), state);

        // PostgreSQL text cannot hold U+0000: the column fails in the statement that also replaces the payload.
        state.State.Value = 2;
        state.State.Region = "bad\0region";
        var error = await Assert.ThrowsAsync<PostgresException>(() => store.WriteStateAsync(StateName, Job("j"), state));

        Assert.Equal(PostgresErrorCodes.CharacterNotInRepertoire, error.SqlState);
        Assert.Null(StorageErrors.FindUnreachable(error));
        Assert.Equal("1", state.ETag);
        var read = new TestGrainState<TestJobRow>(new TestJobRow());
        await store.ReadStateAsync(StateName, Job("j"), read);
        Assert.Equal((1, "gwangju", "1"), (read.State.Value, read.State.Region, read.ETag));
        Assert.Equal(["j"], (await store.QueryAsync<TestJobRow>(new JobRowFilter { Region = "gwangju", ActiveOnly = true }, JobRowOrder.Id, 10, null)).Rows.Select(r => r.JobId));

        state.State.Region = "daegu";
        await store.WriteStateAsync(StateName, Job("j"), state);
        Assert.Equal("2", state.ETag);
    }

    [Fact]
    public async Task ARejectedStatementIsNotAnOutage()
    {
        var database = Database();
        var store = Store(database);
        await database.InitializeAsync();
        await _schema.ExecuteAsync("DROP TABLE federationjobs");

        var error = await Assert.ThrowsAsync<PostgresException>(() => store.ReadStateAsync(StateName, Job("k"), new TestGrainState<TestJobRow>(new TestJobRow())));

        Assert.Equal(PostgresErrorCodes.UndefinedTable, error.SqlState);
        Assert.Null(StorageErrors.FindUnreachable(error));
        Assert.True((await database.CheckHealthAsync()).IsHealthy);
    }

    private static GrainId Job(string key) => GrainId.Create(JobType, key);

    private static AdoNetJobStore Store(AdoNetDatabase database, string serviceId = "postgres-tests") =>
        new(database, serviceId, new JobStoreOptions(), new JsonRowSerializer());

    private AdoNetDatabase Database() => Track(PostgresStorage.CreateDatabase(_schema.Options(), PostgresStorage.CreateDataSource(_schema.Options())));

    private AdoNetDatabase Track(AdoNetDatabase database)
    {
        _created.Add(database);
        return database;
    }

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

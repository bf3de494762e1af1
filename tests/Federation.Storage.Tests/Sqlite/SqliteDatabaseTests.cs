using Federation.Storage.Jobs;
using Federation.Storage.Sqlite;
using Federation.Storage.Tests.Jobs;
using Microsoft.Data.Sqlite;
using Orleans.Runtime;
using Orleans.Storage;

namespace Federation.Storage.Tests.Sqlite;

/// <summary>What is SQLite's own: durability across database objects, two of them on one file, the row layout, file errors, health.</summary>
public sealed class SqliteDatabaseTests : IDisposable
{
    private const string StateName = JobStoreOptions.DefaultStateName;
    private static readonly GrainType JobType = GrainType.Create(JobStoreOptions.DefaultGrainType);
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task RowsAndETagsSurviveTheDatabaseBeingClosedAndReopened()
    {
        var state = new TestGrainState<TestJobRow>(new TestJobRow { State = "Queued", Region = "gwangju", Active = true, Value = 1, Text = "before" });
        await using (var first = Database())
        {
            var store = Store(first);
            await store.WriteStateAsync(StateName, Job("kept"), state);
            state.State.Value = 2;
            await store.WriteStateAsync(StateName, Job("kept"), state);
        }

        // Closing the last connection checkpoints the WAL into the file and removes it.
        Assert.False(File.Exists(_directory.JobFile + "-wal"));
        await using var second = Database();
        var reopened = Store(second);
        var read = new TestGrainState<TestJobRow>(new TestJobRow());
        await reopened.ReadStateAsync(StateName, Job("kept"), read);

        Assert.Equal((2, "before", "2", true), (read.State.Value, read.State.Text, read.ETag, read.RecordExists));
        Assert.Equal(["kept"], (await reopened.QueryAsync<TestJobRow>(new JobRowFilter { Region = "gwangju", ActiveOnly = true }, JobRowOrder.Id, 10, null)).Rows.Select(r => r.JobId));

        // The ETag held across the reopen is still the current one.
        state.State.Value = 3;
        await reopened.WriteStateAsync(StateName, Job("kept"), state);
        Assert.Equal("3", state.ETag);
        Assert.Equal([("federation.audit", 1L), ("federation.jobs", 2L)], await QueryAsync("SELECT component, version FROM federationschema ORDER BY component", r => (r.GetString(0), r.GetInt64(1))));
    }

    [Fact]
    public async Task TwoDatabasesOnOneFileShareRowsAndTheETagProtocol()
    {
        await using var firstDatabase = Database();
        await using var secondDatabase = Database();
        var first = Store(firstDatabase);
        var second = Store(secondDatabase);
        var mine = new TestGrainState<TestJobRow>(new TestJobRow { Value = 1 });
        await first.WriteStateAsync(StateName, Job("shared"), mine);

        var theirs = new TestGrainState<TestJobRow>(new TestJobRow());
        await second.ReadStateAsync(StateName, Job("shared"), theirs);
        theirs.State.Value = 2;
        await second.WriteStateAsync(StateName, Job("shared"), theirs);

        await Assert.ThrowsAsync<InconsistentStateException>(() => first.WriteStateAsync(StateName, Job("shared"), mine));
        var read = new TestGrainState<TestJobRow>(new TestJobRow());
        await first.ReadStateAsync(StateName, Job("shared"), read);
        Assert.Equal((2, "2"), (read.State.Value, read.ETag));
    }

    [Fact]
    public async Task RacingWritersOnTwoDatabasesOfOneFile_ExactlyOneWins()
    {
        const int WritersPerDatabase = 8;
        await using var firstDatabase = Database();
        await using var secondDatabase = Database();
        var first = Store(firstDatabase);
        var second = Store(secondDatabase);
        await first.WriteStateAsync(StateName, Job("cross-race"), new TestGrainState<TestJobRow>(new TestJobRow()));
        await secondDatabase.InitializeAsync();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writers = Enumerable.Range(0, 2 * WritersPerDatabase).Select(i => Task.Run(async () =>
        {
            var store = i % 2 == 0 ? first : second;
            var state = new TestGrainState<TestJobRow>(new TestJobRow { Value = i }, "1");
            await start.Task;
            try
            {
                await store.WriteStateAsync(StateName, Job("cross-race"), state);
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
        Assert.Equal([2L], await QueryAsync("SELECT version FROM federationjobs", r => r.GetInt64(0)));
    }

    [Fact]
    public async Task ARowHoldsItsKeyVersionAndColumnsBesideItsJsonPayload()
    {
        await using var database = Database();
        var store = Store(database, serviceId: "megaregion");
        var submitted = new DateTimeOffset(2026, 3, 1, 9, 0, 0, 250, TimeSpan.Zero);
        var state = new TestGrainState<TestJobRow>(new TestJobRow { State = "Running", Region = "daegu", Project = "p-npu", Owner = "alice", Active = true, Value = 5, SubmittedOn = submitted });
        await store.WriteStateAsync(StateName, Job("j1"), state);
        await store.WriteStateAsync(StateName, Job("j1"), state);
        var cleared = new TestGrainState<TestJobRow>(new TestJobRow());
        await store.WriteStateAsync(StateName, Job("j2"), cleared);
        await store.ClearStateAsync(StateName, Job("j2"), cleared);

        var rows = await QueryAsync(
            "SELECT serviceid, jobid, version, state, region, project, owner, active, CAST(payload AS TEXT), submittedon FROM federationjobs",
            r => (r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6), r.GetInt64(7), r.GetString(8), r.GetInt64(9)));

        // A clear deletes the row: the job store keeps no tombstones.
        var row = Assert.Single(rows);
        Assert.Equal(("megaregion", "j1", 2L, "Running", "daegu", "p-npu", "alice", 1L), (row.Item1, row.Item2, row.Item3, row.Item4, row.Item5, row.Item6, row.Item7, row.Item8));
        Assert.Equal(
            """{"State":"Running","Region":"daegu","Project":"p-npu","Owner":"alice","Active":true,"SubmittedOn":"2026-03-01T09:00:00.25+00:00","Value":5,"Text":"","Items":[]}""",
            row.Item9);

        // The submission time as Unix milliseconds, like every timestamp column on SQLite.
        Assert.Equal(1_772_355_600_250L, row.Item10);
    }

    [Fact]
    public async Task TwoServiceIdsInOneFileDoNotSeeEachOthersRows()
    {
        await using var database = Database();
        var north = Store(database, serviceId: "north");
        var south = Store(database, serviceId: "south");
        await north.WriteStateAsync(StateName, Job("shared-key"), new TestGrainState<TestJobRow>(new TestJobRow { Region = "gwangju", Value = 1 }));

        var read = new TestGrainState<TestJobRow>(new TestJobRow());
        await south.ReadStateAsync(StateName, Job("shared-key"), read);
        var southState = new TestGrainState<TestJobRow>(new TestJobRow { Region = "gwangju", Value = 2 });
        await south.WriteStateAsync(StateName, Job("shared-key"), southState);

        Assert.Equal((null, false), (read.ETag, read.RecordExists));
        Assert.Equal("1", southState.ETag);
        Assert.Equal([1], (await north.QueryAsync<TestJobRow>(new JobRowFilter { Region = "gwangju" }, JobRowOrder.Id, 10, null)).Rows.Select(r => r.Row.Value));
        Assert.Equal([2], (await south.QueryAsync<TestJobRow>(new JobRowFilter { Region = "gwangju" }, JobRowOrder.Id, 10, null)).Rows.Select(r => r.Row.Value));
        Assert.Equal([("north", "shared-key"), ("south", "shared-key")], await QueryAsync("SELECT serviceid, jobid FROM federationjobs ORDER BY serviceid", r => (r.GetString(0), r.GetString(1))));
    }

    [Fact]
    public async Task AnUnwritablePathGivesAClearErrorAndIsRetriedOnceFixed()
    {
        // A path below a regular file can never be created, even by root.
        var blocker = Path.Combine(_directory.Path, "not-a-directory");
        await File.WriteAllTextAsync(blocker, "x");
        var path = Path.Combine(blocker, "federation.db");
        var dialect = new SqliteDialect(SqliteStorageOptions.DefaultBusyTimeout, SqliteStorageOptions.DefaultSynchronous);
        await using var database = new AdoNetDatabase(dialect, new SqliteConnectionSource(dialect, "Data Source=" + path, 1), path, [SchemaComponent.Jobs]);
        var store = Store(database);

        var error = await Assert.ThrowsAsync<AdoNetStorageException>(
            () => store.WriteStateAsync(StateName, Job("k"), new TestGrainState<TestJobRow>(new TestJobRow())));
        var health = await database.CheckHealthAsync();

        Assert.StartsWith("The SQLite database '" + path + "' could not be opened or prepared: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("exists and is writable", error.Message, StringComparison.Ordinal);
        Assert.Equal(AdoNetStorageErrorKind.Failed, error.Kind);
        Assert.IsType<SqliteException>(error.InnerException);
        Assert.False(health.IsHealthy);
        Assert.StartsWith("The SQLite database '" + path + "' could not be opened or prepared", health.Description, StringComparison.Ordinal);

        // A failure is not remembered: once the directory exists, the same database object prepares the file.
        File.Delete(blocker);
        Directory.CreateDirectory(blocker);
        var state = new TestGrainState<TestJobRow>(new TestJobRow());
        await store.WriteStateAsync(StateName, Job("k"), state);
        Assert.Equal("1", state.ETag);
        Assert.True((await database.CheckHealthAsync()).IsHealthy);
    }

    [Fact]
    public async Task AFolderThatCannotBeCreatedGivesTheSameClearError()
    {
        var blocker = Path.Combine(_directory.Path, "not-a-directory");
        await File.WriteAllTextAsync(blocker, "x");
        var path = Path.Combine(blocker, "deeper", "federation.db");

        var error = Assert.Throws<AdoNetStorageException>(() => SqliteStorage.CreateJobDatabase(new SqliteStorageOptions { ConnectionString = "Data Source=" + path }));

        Assert.StartsWith("The SQLite database '" + path + "' could not be opened or prepared: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("exists and is writable", error.Message, StringComparison.Ordinal);
        Assert.Equal(AdoNetStorageErrorKind.Failed, error.Kind);
        Assert.IsAssignableFrom<IOException>(error.InnerException);
    }

    [Fact]
    public async Task HealthIsReportedWithTheFileNotThrown()
    {
        await using var database = Database();

        var health = await database.CheckHealthAsync();

        Assert.Equal(new StorageHealth(true, $"SQLite database '{_directory.JobFile}' is reachable."), health);
        Assert.Equal($"SQLite database '{_directory.JobFile}'", Store(database).Description);
    }

    private static GrainId Job(string key) => GrainId.Create(JobType, key);

    private static AdoNetJobStore Store(AdoNetDatabase database, string serviceId = "sqlite-tests") =>
        new(database, serviceId, new JobStoreOptions(), new JsonRowSerializer());

    private AdoNetDatabase Database() => SqliteStorage.CreateJobDatabase(new SqliteStorageOptions { ConnectionString = _directory.JobConnectionString });

    private async Task<List<T>> QueryAsync<T>(string sql, Func<SqliteDataReader, T> map)
    {
        await using var connection = new SqliteConnection(_directory.JobConnectionString + ";Pooling=False");
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
}

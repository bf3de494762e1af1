using System.Data.Common;
using Federation.Storage.Audit;
using Federation.Storage.Jobs;
using Federation.Storage.Postgres;
using Federation.Storage.Sqlite;
using Federation.Storage.Tests.Jobs;
using Federation.TestKit.Postgres;
using Microsoft.Data.Sqlite;

namespace Federation.Storage.Tests.Audit;

/// <summary>The audit suite in process memory: a deployment is a log and the job store that appends to it.</summary>
public sealed class MemoryAuditLogConformanceTests : AuditLogConformance
{
    protected override Task<(IAuditLog Log, IJobStore Jobs)> CreateAsync(string serviceId)
    {
        var log = new MemoryAuditLog();
        return Task.FromResult<(IAuditLog, IJobStore)>((log, new MemoryJobStore(new JobStoreOptions(), new JsonRowSerializer(), log)));
    }

    [Fact]
    public async Task AJobStoreWithoutALogStoresItsRowsAndDropsTheirEntries()
    {
        var store = new MemoryJobStore(new JobStoreOptions(), new JsonRowSerializer());
        var state = new TestGrainState<TestJobRow>(new TestJobRow { State = "Queued", AuditRecords = [Entry("dropped")] });

        await store.WriteStateAsync(JobStoreOptions.DefaultStateName, Grain("j1"), state);

        Assert.Equal(("1", 1), (state.ETag, store.Count));
        Assert.Empty(await IdsAsync());
    }
}

/// <summary>
/// The audit suite on a database, plus what only a database does: it refuses an update or a delete of an entry whoever
/// sends it, and a job row and its entries commit or fail together.
/// </summary>
public abstract class AdoNetAuditLogConformance : AuditLogConformance
{
    /// <summary>Runs one statement on this test's database on a connection of its own.</summary>
    protected abstract Task ExecuteAsync(string sql);

    /// <summary>Makes the database refuse any insert of an audit entry whose actor is <paramref name="actor"/>.</summary>
    protected abstract Task RefuseEntriesOfAsync(string actor);

    [Theory]
    [InlineData("UPDATE federationaudit SET actor = 'mallory'")]
    [InlineData("UPDATE federationaudit SET detail = 'amended' WHERE id = 'kept'")]
    [InlineData("DELETE FROM federationaudit")]
    [InlineData("DELETE FROM federationaudit WHERE id = 'kept'")]
    public async Task TheDatabaseRefusesToChangeOrRemoveAnEntry(string sql)
    {
        await Log.AppendAsync([Entry("kept")]);

        var error = await Assert.ThrowsAnyAsync<DbException>(() => ExecuteAsync(sql));

        Assert.Contains("federationaudit is append-only", error.Message, StringComparison.Ordinal);
        Assert.Equal([Entry("kept") with { Sequence = 1 }], (await Log.QueryAsync(new AuditFilter(), 10, null)).Records);
    }

    [Fact]
    public async Task AJobRowAndItsEntriesFailTogether()
    {
        await Log.AppendAsync([Entry("before")]);
        await RefuseEntriesOfAsync("refused");
        var state = new TestGrainState<TestJobRow>(new TestJobRow { State = "Queued", AuditRecords = [Entry("fine"), Entry("boom", actor: "refused")] });

        await Assert.ThrowsAnyAsync<DbException>(() => Jobs.WriteStateAsync(JobStoreOptions.DefaultStateName, Grain("j1"), state));

        Assert.Null(state.ETag);
        Assert.Null(await Jobs.ReadAsync<TestJobRow>("j1"));
        Assert.Equal(["before"], await IdsAsync());
        state.State.AuditRecords = [Entry("fine")];
        await Jobs.WriteStateAsync(JobStoreOptions.DefaultStateName, Grain("j1"), state);
        Assert.Equal(["fine", "before"], await IdsAsync());
    }
}

/// <summary>The audit suite on a SQLite job file of the test's own (the audit table beside the job table).</summary>
public sealed class SqliteAuditLogConformanceTests : AdoNetAuditLogConformance
{
    private readonly TempDirectory _directory = new();
    private AdoNetDatabase? _database;

    protected override Task<(IAuditLog Log, IJobStore Jobs)> CreateAsync(string serviceId)
    {
        _database ??= SqliteStorage.CreateJobDatabase(new SqliteStorageOptions { ConnectionString = _directory.JobConnectionString });
        return Task.FromResult<(IAuditLog, IJobStore)>(
            (new AdoNetAuditLog(_database, serviceId), new AdoNetJobStore(_database, serviceId, new JobStoreOptions(), new JsonRowSerializer())));
    }

    protected override async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={_directory.JobFile};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    protected override Task RefuseEntriesOfAsync(string actor) => ExecuteAsync(
        $"CREATE TRIGGER test_refuse_actor BEFORE INSERT ON federationaudit WHEN NEW.actor = '{actor}' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");

    [Fact]
    public async Task TheLogNamesItsFile()
    {
        Assert.Equal($"SQLite database '{_directory.JobFile}'", Log.Description);
        await Log.AppendAsync([Entry("e")]);
        Assert.Equal(["e"], await IdsAsync());
    }

    protected override async Task CleanupAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        _directory.Dispose();
    }
}

/// <summary>The audit suite on the test PostgreSQL server, in a schema of the test's own.</summary>
public sealed class PostgresAuditLogConformanceTests : AdoNetAuditLogConformance
{
    private readonly PostgresTestSchema _schema = new();
    private AdoNetDatabase? _database;

    protected override Task<(IAuditLog Log, IJobStore Jobs)> CreateAsync(string serviceId)
    {
        if (_database is null)
        {
            var storage = _schema.Options();
            _database = PostgresStorage.CreateDatabase(storage, PostgresStorage.CreateDataSource(storage));
        }

        return Task.FromResult<(IAuditLog, IJobStore)>(
            (new AdoNetAuditLog(_database, serviceId), new AdoNetJobStore(_database, serviceId, new JobStoreOptions(), new JsonRowSerializer())));
    }

    protected override Task ExecuteAsync(string sql) => _schema.ExecuteAsync(sql);

    protected override async Task RefuseEntriesOfAsync(string actor)
    {
        await _schema.ExecuteAsync(
            $"CREATE FUNCTION test_refuse_actor() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.actor = '{actor}' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$");
        await _schema.ExecuteAsync("CREATE TRIGGER test_refuse_actor BEFORE INSERT ON federationaudit FOR EACH ROW EXECUTE FUNCTION test_refuse_actor()");
    }

    [Fact]
    public async Task TheDatabaseRefusesToTruncateTheTable()
    {
        await Log.AppendAsync([Entry("kept")]);

        var error = await Assert.ThrowsAnyAsync<DbException>(() => _schema.ExecuteAsync("TRUNCATE federationaudit"));

        Assert.Contains("federationaudit is append-only", error.Message, StringComparison.Ordinal);
        Assert.Equal(["kept"], await IdsAsync());
    }

    [Fact]
    public async Task TheRefusingFunctionLivesInTheDeploymentsSchema()
    {
        await Log.AppendAsync([Entry("e")]);

        Assert.Equal(
            [(_schema.Name, "federationaudit_refuse")],
            await _schema.QueryAsync(
                "SELECT n.nspname::text, p.proname::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.proname = 'federationaudit_refuse' AND n.nspname = @schema",
                r => (r.GetString(0), r.GetString(1)),
                ("schema", _schema.Name)));
        Assert.Equal(
            ["federationaudit_no_change", "federationaudit_no_truncate"],
            await _schema.QueryAsync(
                "SELECT tgname::text FROM pg_trigger WHERE tgrelid = 'federationaudit'::regclass AND NOT tgisinternal ORDER BY tgname",
                r => r.GetString(0)));
    }

    protected override async Task CleanupAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        await _schema.DisposeAsync();
    }
}

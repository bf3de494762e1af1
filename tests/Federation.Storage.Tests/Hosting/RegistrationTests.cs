using Federation.Storage.Audit;
using Federation.Storage.Hosting;
using Federation.Storage.Jobs;
using Federation.Storage.Tests.Jobs;
using Federation.Storage.Tests.OrleansStorage;
using Federation.TestKit.Net;
using Federation.TestKit.Postgres;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Runtime;
using Orleans.Storage;

namespace Federation.Storage.Tests.Hosting;

/// <summary>What a silo gets from <c>AddFederation*Storage</c>: the job store under both of its names, Orleans' storage as "Default", the schema prepared at start, and a health check.</summary>
public sealed class RegistrationTests
{
    private static readonly GrainId Job = GrainId.Create(GrainType.Create(JobStoreOptions.DefaultGrainType), "j1");
    private static readonly GrainId Region = GrainId.Create(GrainType.Create("region"), "gwangju");

    [Fact]
    public async Task ASqliteSiloHasTheJobStoreUnderBothNamesOrleansStorageAsDefaultAndBothFiles()
    {
        using var directory = new TempDirectory();
        await using var silo = await TestSilo.StartAsync(s => s.AddFederationSqliteStorage(o => o.ConnectionString = directory.JobConnectionString));

        // Prepared at start, before any grain wrote.
        Assert.Equal(["federationaudit", "federationjobs", "federationschema", "sqlite_sequence"], await TablesAsync(directory.JobFile));
        Assert.Equal(["federationschema", "orleansquery", "orleansstorage"], await TablesAsync(directory.GrainStateFile));
        var jobStore = silo.Services.GetRequiredService<IJobStore>();
        Assert.Same(jobStore, silo.Services.GetRequiredKeyedService<IGrainStorage>(StorageNames.Jobs));
        Assert.Equal($"SQLite database '{directory.JobFile}'", Assert.IsType<AdoNetJobStore>(jobStore).Description);
        Assert.IsType<StringKeyGrainStorage>(silo.GrainState);
        Assert.IsType<AdoNetGrainStorage>(silo.Services.GetRequiredKeyedService<IGrainStorage>(FederationStorageSiloBuilderExtensions.OrleansProviderName));
        var databases = silo.Services.GetRequiredService<FederationDatabases>();
        Assert.Equal(StorageKind.Sqlite, databases.Kind);
        Assert.Equal([directory.JobFile, directory.GrainStateFile], databases.All.Select(d => d.DisplayName));
        Assert.Same(databases, silo.Services.GetRequiredService<IStorageHealthCheck>());
        Assert.Equal(
            new StorageHealth(true, $"sqlite (jobs {directory.JobFile}, grain state {directory.GrainStateFile})"),
            await silo.Services.GetRequiredService<IStorageHealthCheck>().CheckHealthAsync());

        // Each store writes to its own file.
        await jobStore.WriteStateAsync(JobStoreOptions.DefaultStateName, Job, new TestGrainState<TestJobRow>(new TestJobRow { Region = "gwangju" }));
        await silo.GrainState.WriteStateAsync("region", Region, new TestGrainState<CounterState>(new CounterState { Value = 1 }));
        Assert.Equal([(TestSilo.ServiceId, "j1")], await QueryAsync(directory.JobFile, "SELECT serviceid, jobid FROM federationjobs", r => (r.GetString(0), r.GetString(1))));
        Assert.Equal([(TestSilo.ServiceId, "region", StringKeyGrainStorage.StoredKey("gwangju"))], await QueryAsync(
            directory.GrainStateFile, "SELECT serviceid, graintypestring, grainidextensionstring FROM orleansstorage", r => (r.GetString(0), r.GetString(1), r.GetString(2))));

        // The audit log reads the job file's audit table, where the job store writes its rows' entries, under the silo's service id.
        var auditLog = silo.Services.GetRequiredService<IAuditLog>();
        Assert.Same(auditLog, silo.Services.GetRequiredService<IAuditLog>());
        Assert.Equal($"SQLite database '{directory.JobFile}'", Assert.IsType<AdoNetAuditLog>(auditLog).Description);
        await auditLog.AppendAsync([Entry("appended")]);
        await jobStore.WriteStateAsync(JobStoreOptions.DefaultStateName, Job, new TestGrainState<TestJobRow>(new TestJobRow { AuditRecords = [Entry("with-row")] }, "1"));
        Assert.Equal(["with-row", "appended"], (await auditLog.QueryAsync(new AuditFilter(), 10, null)).Records.Select(r => r.Id));
        Assert.Equal(
            [(TestSilo.ServiceId, "appended"), (TestSilo.ServiceId, "with-row")],
            await QueryAsync(directory.JobFile, "SELECT serviceid, id FROM federationaudit ORDER BY seq", r => (r.GetString(0), r.GetString(1))));
    }

    [Fact]
    public async Task StoppingASqliteSiloClosesTheJobFileWithItsRowsCommitted()
    {
        using var directory = new TempDirectory();
        var silo = await TestSilo.StartAsync(s => s.AddFederationSqliteStorage(o => o.ConnectionString = directory.JobConnectionString));
        await silo.Services.GetRequiredService<IJobStore>().WriteStateAsync(
            JobStoreOptions.DefaultStateName, Job, new TestGrainState<TestJobRow>(new TestJobRow { Region = "daegu", Value = 3 }));
        Assert.True(File.Exists(directory.JobFile + "-wal"));

        await silo.DisposeAsync();

        // The last connection to close checkpoints the WAL into the file and removes it.
        Assert.False(File.Exists(directory.JobFile + "-wal"));
        Assert.Equal([("j1", "daegu", 1L)], await QueryAsync(directory.JobFile, "SELECT jobid, region, version FROM federationjobs", r => (r.GetString(0), r.GetString(1), r.GetInt64(2))));
    }

    [Fact]
    public async Task AMemorySiloHasTheMemoryJobStoreUnderBothNamesAndOrleansMemoryStorageAsDefault()
    {
        await using var silo = await TestSilo.StartAsync(s => s.AddFederationMemoryStorage());

        var jobStore = silo.Services.GetRequiredService<IJobStore>();
        Assert.IsType<MemoryJobStore>(jobStore);
        Assert.Same(jobStore, silo.Services.GetRequiredKeyedService<IGrainStorage>(StorageNames.Jobs));
        Assert.IsType<MemoryGrainStorage>(silo.GrainState);
        Assert.Empty(silo.Services.GetRequiredService<FederationDatabases>().All);
        Assert.Equal(new StorageHealth(true, "memory (lost on exit)"), await silo.Services.GetRequiredService<IStorageHealthCheck>().CheckHealthAsync());

        // One memory log: the registered one is the one the job store appends its rows' entries to.
        var auditLog = Assert.IsType<MemoryAuditLog>(silo.Services.GetRequiredService<IAuditLog>());
        Assert.Same(auditLog, silo.Services.GetRequiredService<FederationDatabases>().CreateAuditLog("another"));
        await jobStore.WriteStateAsync(JobStoreOptions.DefaultStateName, Job, new TestGrainState<TestJobRow>(new TestJobRow { AuditRecords = [Entry("with-row")] }));
        Assert.Equal(["with-row"], (await auditLog.QueryAsync(new AuditFilter(), 10, null)).Records.Select(r => r.Id));

        var state = new TestGrainState<CounterState>(new CounterState { Value = 4 });
        await silo.GrainState.WriteStateAsync("region", Region, state);
        var read = new TestGrainState<CounterState>(new CounterState());
        await silo.GrainState.ReadStateAsync("region", Region, read);
        Assert.Equal((4, state.ETag), (read.State.Value, read.ETag));
    }

    [Fact]
    public async Task APostgresSiloIsHealthyUntilItsDatabaseIsCutAndThenNamesIt()
    {
        await using var schema = new PostgresTestSchema();
        var server = new NpgsqlConnectionStringBuilder(schema.ServerConnectionString);
        await using var forwarder = new TcpForwarder(server.Host!, server.Port);
        var test = schema.Options();
        await using var silo = await TestSilo.StartAsync(s => s.AddFederationPostgresStorage(o =>
        {
            o.ConnectionString = new NpgsqlConnectionStringBuilder(schema.ServerConnectionString) { Host = "127.0.0.1", Port = forwarder.Port }.ConnectionString;
            o.Schema = test.Schema;
            o.MaxPoolSize = test.MaxPoolSize;
        }));
        var health = silo.Services.GetRequiredService<IStorageHealthCheck>();
        var name = $"127.0.0.1:{forwarder.Port}/{server.Database} (schema {schema.Name})";

        Assert.Equal(
            ["federationaudit", "federationjobs", "federationschema", "orleansquery", "orleansstorage"],
            await schema.QueryAsync("SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name", r => r.GetString(0)));
        var jobStore = silo.Services.GetRequiredService<IJobStore>();
        Assert.Same(jobStore, silo.Services.GetRequiredKeyedService<IGrainStorage>(StorageNames.Jobs));
        Assert.Equal($"PostgreSQL database '{name}'", Assert.IsType<AdoNetJobStore>(jobStore).Description);
        Assert.IsType<StringKeyGrainStorage>(silo.GrainState);
        Assert.IsType<AdoNetGrainStorage>(silo.Services.GetRequiredKeyedService<IGrainStorage>(FederationStorageSiloBuilderExtensions.OrleansProviderName));
        var databases = silo.Services.GetRequiredService<FederationDatabases>();
        Assert.Equal((StorageKind.Postgres, 1), (databases.Kind, databases.All.Count));
        Assert.NotNull(databases.DataSource);
        Assert.Equal(new StorageHealth(true, $"postgres ({name})"), await health.CheckHealthAsync());
        var regionState = new TestGrainState<CounterState>(new CounterState { Value = 1 });
        await silo.GrainState.WriteStateAsync("region", Region, regionState);
        await jobStore.WriteStateAsync(JobStoreOptions.DefaultStateName, Job, new TestGrainState<TestJobRow>(new TestJobRow { Region = "gwangju", AuditRecords = [Entry("with-row")] }));
        var auditLog = silo.Services.GetRequiredService<IAuditLog>();
        Assert.Equal($"PostgreSQL database '{name}'", Assert.IsType<AdoNetAuditLog>(auditLog).Description);
        Assert.Equal([(TestSilo.ServiceId, "with-row")], await schema.QueryAsync("SELECT serviceid, id FROM federationaudit", r => (r.GetString(0), r.GetString(1))));

        forwarder.Cut();
        var down = await health.CheckHealthAsync();
        var orleansError = await Assert.ThrowsAnyAsync<Exception>(() => silo.GrainState.ReadStateAsync("region", Region, new TestGrainState<CounterState>(new CounterState())));
        var auditReadError = await Assert.ThrowsAsync<AdoNetStorageException>(() => auditLog.QueryAsync(new AuditFilter(), 10, null));
        var auditAppendError = await Assert.ThrowsAsync<AdoNetStorageException>(() => auditLog.AppendAsync([Entry("during-outage")]));

        forwarder.Restore();
        var up = await health.CheckHealthAsync();
        var read = new TestGrainState<CounterState>(new CounterState());
        await silo.GrainState.ReadStateAsync("region", Region, read);
        await auditLog.AppendAsync([Entry("after-outage")]);

        Assert.False(down.IsHealthy);
        Assert.Contains($"PostgreSQL database '{name}' is unreachable", down.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("Password", down.Description, StringComparison.OrdinalIgnoreCase);

        // Orleans' provider passes the driver's error on as it is; the server still tells it for an outage.
        Assert.NotNull(StorageErrors.FindUnreachable(orleansError));
        Assert.Equal(new StorageHealth(true, $"postgres ({name})"), up);
        Assert.Equal((1, "1"), (read.State.Value, read.ETag));

        // The audit log reports an outage as the job store does, and works again once the server is back.
        Assert.Equal((AdoNetStorageErrorKind.Unreachable, AdoNetStorageErrorKind.Unreachable), (auditReadError.Kind, auditAppendError.Kind));
        Assert.StartsWith($"The PostgreSQL database '{name}' is unreachable.", auditReadError.Message, StringComparison.Ordinal);
        Assert.Equal(["after-outage", "with-row"], (await auditLog.QueryAsync(new AuditFilter(), 10, null)).Records.Select(r => r.Id));
    }

    [Fact]
    public void AMissingSqliteConnectionStringIsRefusedWhenTheSiloIsConfiguredNamingTheOption()
    {
        var error = Assert.Throws<OptionsValidationException>(() => TestSilo.Build(s => s.AddFederationSqliteStorage(_ => { })));

        Assert.StartsWith("SqliteStorageOptions.ConnectionString must be set", Assert.Single(error.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public void ABadPostgresOptionIsRefusedWhenTheSiloIsConfiguredWithoutRepeatingThePassword()
    {
        const string Secret = "s3cret-never-repeated";

        var error = Assert.Throws<OptionsValidationException>(() => TestSilo.Build(s => s.AddFederationPostgresStorage(o =>
        {
            o.ConnectionString = $"Host=127.0.0.1;Username=u;Password={Secret};Database=d";
            o.Schema = "Not Valid";
        })));

        Assert.StartsWith("PostgresStorageOptions.Schema must be a lower-case identifier", Assert.Single(error.Failures), StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnreachablePostgresServerStopsTheSiloAtStartWithTheTypedError()
    {
        const string Secret = "s3cret-never-repeated";

        var error = await Assert.ThrowsAnyAsync<Exception>(() => TestSilo.StartAsync(s => s.AddFederationPostgresStorage(
            o => o.ConnectionString = $"Host=127.0.0.1;Port=1;Username=u;Password={Secret};Database=nowhere")));

        var unreachable = Assert.IsType<AdoNetStorageException>(StorageErrors.FindUnreachable(error));
        Assert.StartsWith("The PostgreSQL database '127.0.0.1:1/nowhere' is unreachable.", unreachable.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnwritableSqlitePathStopsTheSiloAtStartNamingTheFile()
    {
        using var directory = new TempDirectory();
        var blocker = Path.Combine(directory.Path, "file");
        await File.WriteAllTextAsync(blocker, "x");
        var path = Path.Combine(blocker, "federation.db");

        var error = await Assert.ThrowsAsync<AdoNetStorageException>(() => TestSilo.StartAsync(s => s.AddFederationSqliteStorage(o => o.ConnectionString = "Data Source=" + path)));

        Assert.StartsWith($"The SQLite database '{path}' could not be opened or prepared: ", error.Message, StringComparison.Ordinal);
        Assert.Equal(AdoNetStorageErrorKind.Failed, error.Kind);
    }

    private static AuditRecord Entry(string id) =>
        new() { Id = id, At = new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero), Actor = "alice", Role = "operator", Action = "job.update", Target = "job/j1" };

    private static Task<List<string>> TablesAsync(string file) =>
        QueryAsync(file, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", r => r.GetString(0));

    private static async Task<List<T>> QueryAsync<T>(string file, string sql, Func<SqliteDataReader, T> map)
    {
        await using var connection = new SqliteConnection($"Data Source={file};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(map(reader));
        }

        return rows;
    }
}

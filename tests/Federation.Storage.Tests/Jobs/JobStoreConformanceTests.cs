using Federation.Storage.Jobs;
using Federation.Storage.Postgres;
using Federation.Storage.Sqlite;
using Federation.TestKit.Postgres;

namespace Federation.Storage.Tests.Jobs;

/// <summary>The job store suite in process memory.</summary>
public sealed class MemoryJobStoreConformanceTests : JobStoreConformance
{
    protected override Task<IJobStore> CreateStoreAsync(JobStoreOptions options) =>
        Task.FromResult<IJobStore>(new MemoryJobStore(options, new JsonRowSerializer()));
}

/// <summary>The job store suite on a SQLite file of the test's own (group commit, one writer connection).</summary>
public sealed class SqliteJobStoreConformanceTests : JobStoreConformance
{
    private readonly TempDirectory _directory = new();
    private AdoNetDatabase? _database;

    protected override Task<IJobStore> CreateStoreAsync(JobStoreOptions options)
    {
        _database ??= SqliteStorage.CreateJobDatabase(new SqliteStorageOptions { ConnectionString = _directory.JobConnectionString });
        return Task.FromResult<IJobStore>(new AdoNetJobStore(_database, "conformance", options, new JsonRowSerializer()));
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

/// <summary>The job store suite on the test PostgreSQL server, in a schema of the test's own.</summary>
public sealed class PostgresJobStoreConformanceTests : JobStoreConformance
{
    private readonly PostgresTestSchema _schema = new();
    private AdoNetDatabase? _database;

    protected override Task<IJobStore> CreateStoreAsync(JobStoreOptions options)
    {
        if (_database is null)
        {
            var storage = _schema.Options();
            _database = PostgresStorage.CreateDatabase(storage, PostgresStorage.CreateDataSource(storage));
        }

        return Task.FromResult<IJobStore>(new AdoNetJobStore(_database, "conformance", options, new JsonRowSerializer()));
    }

    protected override async Task CleanupAsync()
    {
        if (_database is not null)
        {
            // Closes the pool too: the connection source owns it.
            await _database.DisposeAsync();
        }

        await _schema.DisposeAsync();
    }
}

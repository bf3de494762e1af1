using System.Data.Common;
using Federation.Storage.Jobs;
using Federation.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Federation.Storage.Tests.Schema;

/// <summary>The schema step on a SQLite file of the test's own (both components in one file, as two processes would open it).</summary>
public sealed class SqliteSchemaTests : SchemaConformance
{
    private readonly TempDirectory _directory = new();

    protected override string DialectName => "SQLite";

    protected override string DisplayName => _directory.JobFile;

    protected override IReadOnlyList<string> ExpectedJobIndexes =>
        [
            "ix_federationjobs_active", "ix_federationjobs_newest", "ix_federationjobs_owner", "ix_federationjobs_owner_newest", "ix_federationjobs_project",
            "ix_federationjobs_project_newest", "ix_federationjobs_region", "ix_federationjobs_region_newest", "ix_federationjobs_state", "ix_federationjobs_state_newest",
        ];

    /// <summary>The tables the schema creates (not SQLite's own, such as the <c>sqlite_sequence</c> that AUTOINCREMENT keeps).</summary>
    protected override string TablesSql => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name";

    protected override AdoNetDatabase NewDatabase(TimeProvider time, IReadOnlyList<SchemaComponent> components)
    {
        var dialect = new SqliteDialect(SqliteStorageOptions.DefaultBusyTimeout, SqliteStorageOptions.DefaultSynchronous);
        var source = new SqliteConnectionSource(dialect, _directory.JobConnectionString, maxReadConnections: 1);
        return new AdoNetDatabase(dialect, source, _directory.JobFile, components, time);
    }

    protected override async Task<List<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> map) => await QueryAsync(_directory.JobFile, sql, map);

    protected override async Task ExecuteAsync(string sql)
    {
        await using var connection = await OpenAsync(_directory.JobFile);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The unique constraint's index has no SQL of its own (<c>sqlite_autoindex_federationaudit_1</c>); <c>seq</c> is the rowid.</summary>
    protected override IReadOnlyList<string> ExpectedAuditIndexes =>
        ["ix_federationaudit_action", "ix_federationaudit_actor", "ix_federationaudit_newest", "ix_federationaudit_region", "ix_federationaudit_target"];

    protected override Task<List<(string Name, string Definition)>> IndexesAsync(string table) =>
        QueryAsync(
            $"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = '{table}' AND sql IS NOT NULL ORDER BY name",
            r => (r.GetString(0), r.GetString(1)));

    protected override Task CleanupAsync()
    {
        _directory.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task TheDefaultPairKeepsJobsAndAuditInTheJobFileAndOrleansStateInAFileOfItsOwn()
    {
        var options = new SqliteStorageOptions { ConnectionString = _directory.JobConnectionString };
        await using (var jobs = SqliteStorage.CreateJobDatabase(options))
        await using (var grainState = SqliteStorage.CreateGrainStateDatabase(options))
        {
            await jobs.InitializeAsync();
            await grainState.InitializeAsync();
            Assert.Equal((_directory.JobFile, _directory.GrainStateFile), (jobs.DisplayName, grainState.DisplayName));
        }

        const string Tables = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name";
        const string Components = "SELECT component FROM federationschema ORDER BY component";
        Assert.Equal(["federationaudit", "federationjobs", "federationschema", "sqlite_sequence"], await QueryAsync(_directory.JobFile, Tables, r => r.GetString(0)));
        Assert.Equal(["federation.audit", "federation.jobs"], await QueryAsync(_directory.JobFile, Components, r => r.GetString(0)));
        Assert.Equal(["federationschema", "orleansquery", "orleansstorage"], await QueryAsync(_directory.GrainStateFile, Tables, r => r.GetString(0)));
        Assert.Equal(["orleans.persistence"], await QueryAsync(_directory.GrainStateFile, Components, r => r.GetString(0)));
    }

    [Fact]
    public async Task TheDatabaseRunsInWalMode()
    {
        await using (var database = NewDatabase(TimeProvider.System))
        {
            await database.InitializeAsync();
        }

        Assert.Equal(["wal"], await QueryAsync("PRAGMA journal_mode", r => r.GetString(0)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AListingByRegionOfActiveJobsSearchesAnIndexInJobIdOrder(bool after)
    {
        await using (var database = NewDatabase(TimeProvider.System))
        {
            await database.InitializeAsync();
        }

        var sql = new JobSql(new SqliteDialect(SqliteStorageOptions.DefaultBusyTimeout, SqliteStorageOptions.DefaultSynchronous))
            .Query(new JobRowFilter { Region = "daegu", ActiveOnly = true }, JobRowOrder.Id, after);
        await using var connection = await OpenAsync(_directory.JobFile);
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        command.Parameters.AddWithValue("@serviceid", "svc");
        command.Parameters.AddWithValue("@region", "daegu");
        command.Parameters.AddWithValue("@limit", 101L);
        if (after)
        {
            command.Parameters.AddWithValue("@after", "job-000100");
        }

        var plan = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(3));
            }
        }

        var scans = plan.Where(line => line.StartsWith("SEARCH", StringComparison.Ordinal) || line.StartsWith("SCAN", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, scans.Count);
        Assert.All(scans, line => Assert.StartsWith("SEARCH", line, StringComparison.Ordinal));
        Assert.All(scans, line => Assert.Contains("INDEX ix_federationjobs_", line, StringComparison.Ordinal));
        Assert.DoesNotContain(plan, line => line.Contains("TEMP B-TREE", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData(null, true)]
    [InlineData("state", false)]
    [InlineData("state", true)]
    [InlineData("region", false)]
    [InlineData("region", true)]
    [InlineData("project", true)]
    [InlineData("owner", true)]
    public async Task ANewestFirstListingSearchesTheFiltersNewestIndexWithoutASort(string? column, bool after)
    {
        await using (var database = NewDatabase(TimeProvider.System))
        {
            await database.InitializeAsync();
        }

        var filter = column switch
        {
            "state" => new JobRowFilter { State = "Queued" },
            "region" => new JobRowFilter { Region = "daegu" },
            "project" => new JobRowFilter { Project = "p" },
            "owner" => new JobRowFilter { Owner = "o" },
            _ => new JobRowFilter(),
        };
        var sql = new JobSql(new SqliteDialect(SqliteStorageOptions.DefaultBusyTimeout, SqliteStorageOptions.DefaultSynchronous)).Query(filter, JobRowOrder.Newest, after);
        await using var connection = await OpenAsync(_directory.JobFile);
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        command.Parameters.AddWithValue("@serviceid", "svc");
        if (column is not null)
        {
            command.Parameters.AddWithValue("@" + column, "x");
        }

        command.Parameters.AddWithValue("@limit", 101L);
        if (after)
        {
            command.Parameters.AddWithValue("@after", "job-000100");
        }

        var plan = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(3));
            }
        }

        var index = column is null ? "ix_federationjobs_newest" : $"ix_federationjobs_{column}_newest";
        Assert.Contains(plan, line => line.StartsWith($"SEARCH j USING INDEX {index} ", StringComparison.Ordinal) || line.StartsWith($"SEARCH j USING COVERING INDEX {index} ", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, line => line.StartsWith("SCAN", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, line => line.Contains("TEMP B-TREE", StringComparison.Ordinal));
        if (after)
        {
            Assert.Contains(plan, line => line.Contains("(submittedon,jobid)<(?,?)", StringComparison.Ordinal));
        }
    }

    private static async Task<SqliteConnection> OpenAsync(string file)
    {
        var connection = new SqliteConnection($"Data Source={file};Pooling=False");
        await connection.OpenAsync();
        return connection;
    }

    private static async Task<List<T>> QueryAsync<T>(string file, string sql, Func<DbDataReader, T> map)
    {
        await using var connection = await OpenAsync(file);
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

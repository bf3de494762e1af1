using System.Data.Common;
using Federation.Storage.Jobs;
using Federation.Storage.Postgres;
using Federation.TestKit.Postgres;

namespace Federation.Storage.Tests.Schema;

/// <summary>The schema step on the test PostgreSQL server, in a schema of the test's own that does not exist before it.</summary>
public sealed class PostgresSchemaTests : SchemaConformance
{
    private readonly PostgresTestSchema _schema = new();

    protected override string DialectName => "PostgreSQL";

    protected override string DisplayName => PostgresStorage.DisplayNameOf(_schema.Options());

    protected override IReadOnlyList<string> ExpectedJobIndexes =>
        [
            "federationjobs_pkey", "ix_federationjobs_active", "ix_federationjobs_newest", "ix_federationjobs_owner", "ix_federationjobs_owner_newest",
            "ix_federationjobs_project", "ix_federationjobs_project_newest", "ix_federationjobs_region", "ix_federationjobs_region_newest",
            "ix_federationjobs_state", "ix_federationjobs_state_newest",
        ];

    protected override string TablesSql =>
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name";

    protected override AdoNetDatabase NewDatabase(TimeProvider time, IReadOnlyList<SchemaComponent> components)
    {
        // A pool of its own, as another process would have.
        var options = _schema.Options();
        var dataSource = PostgresStorage.CreateDataSource(options);
        if (components.SequenceEqual(AllComponents))
        {
            return PostgresStorage.CreateDatabase(options, dataSource, time);
        }

        var dialect = new PostgresDialect(options.Schema);
        var displayName = PostgresStorage.DisplayNameOf(options);
        return new AdoNetDatabase(dialect, new PostgresConnectionSource(dataSource, dialect, displayName), displayName, components, time);
    }

    protected override Task<List<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> map) => _schema.QueryAsync(sql, map);

    protected override Task ExecuteAsync(string sql) => _schema.ExecuteAsync(sql);

    protected override IReadOnlyList<string> ExpectedAuditIndexes =>
        [
            "federationaudit_pkey", "federationaudit_serviceid_id_key", "ix_federationaudit_action", "ix_federationaudit_actor", "ix_federationaudit_newest",
            "ix_federationaudit_region", "ix_federationaudit_target",
        ];

    protected override Task<List<(string Name, string Definition)>> IndexesAsync(string table) =>
        _schema.QueryAsync(
            "SELECT indexname::text, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = @table ORDER BY indexname",
            r => (r.GetString(0), r.GetString(1)),
            ("table", table));

    protected override Task CleanupAsync() => _schema.DisposeAsync().AsTask();

    [Fact]
    public async Task TheTablesAreCreatedInTheConfiguredSchemaOnly()
    {
        await using (var database = NewDatabase(TimeProvider.System))
        {
            await database.InitializeAsync();
        }

        Assert.Equal(
            [(_schema.Name, "federationaudit"), (_schema.Name, "federationjobs"), (_schema.Name, "federationschema"), (_schema.Name, "orleansquery"), (_schema.Name, "orleansstorage")],
            await _schema.QueryAsync(
                "SELECT table_schema::text, table_name::text FROM information_schema.tables " +
                "WHERE table_name IN ('federationaudit', 'federationjobs', 'federationschema', 'orleansquery', 'orleansstorage') " +
                "AND table_schema = @schema ORDER BY table_name",
                r => (r.GetString(0), r.GetString(1)),
                ("schema", _schema.Name)));
        Assert.Equal(["C"], await _schema.QueryAsync(
            "SELECT collation_name::text FROM information_schema.columns WHERE table_schema = @schema AND table_name = 'federationjobs' AND column_name = 'jobid'",
            r => r.GetString(0),
            ("schema", _schema.Name)));
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
    public async Task ANewestFirstListingScansTheFiltersNewestIndexBackwardWithoutASort(string? column, bool after)
    {
        const int Rows = 4000;
        await using (var database = NewDatabase(TimeProvider.System))
        {
            await database.InitializeAsync();
        }

        await InsertJobsAsync(Rows);
        var (filter, value, matches) = column switch
        {
            "state" => (new JobRowFilter { State = "Running" }, (object)"Running", (Func<int, bool>)(i => i % 47 == 0)),
            "region" => (new JobRowFilter { Region = "daegu" }, "daegu", i => i % 4 == 3),
            "project" => (new JobRowFilter { Project = "p3" }, "p3", i => i % 10 == 3),
            "owner" => (new JobRowFilter { Owner = "u7" }, "u7", i => i % 20 == 7),
            _ => (new JobRowFilter(), "", (Func<int, bool>)(_ => true)),
        };
        var sql = new JobSql(new PostgresDialect(_schema.Name)).Query(filter, JobRowOrder.Newest, after);
        var parameters = new List<(string, object)> { ("serviceid", "svc"), ("limit", 11L) };
        if (column is not null)
        {
            parameters.Add((column, value));
        }

        // Position after job 3000 (submitted in the same second as 3001-3003): the page continues below it by id.
        if (after)
        {
            parameters.Add(("after", "job-003000"));
        }

        var plan = await _schema.QueryAsync("EXPLAIN " + sql, r => r.GetString(0), [.. parameters]);
        var rows = await _schema.QueryAsync(sql, r => (r.GetString(0), r.GetInt64(3)), [.. parameters]);

        var index = column is null ? "ix_federationjobs_newest" : $"ix_federationjobs_{column}_newest";
        Assert.Contains(plan, line => line.Contains($"Index Scan Backward using {index} on federationjobs j", StringComparison.Ordinal)
            || line.Contains($"Index Only Scan Backward using {index} on federationjobs j", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, line => line.Contains("Sort", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, line => line.Contains("Seq Scan on federationjobs j", StringComparison.Ordinal));

        // Submitted four to a second (job i at second i / 4): newest first is by second, then by id, both descending.
        var expected = Enumerable.Range(1, Rows).Where(matches).Where(i => !after || i / 4 < 3000 / 4 || (i / 4 == 3000 / 4 && i < 3000))
            .OrderByDescending(i => i / 4).ThenByDescending(i => i).Take(10).Select(i => $"job-{i:D6}");
        Assert.Equal(expected, rows.Take(10).Select(r => r.Item1));
        Assert.All(rows, r => Assert.Equal(Enumerable.Range(1, Rows).Count(matches), r.Item2));
    }

    /// <summary>
    /// A few thousand finished jobs over four regions, one in 47 still active (what a region rebuilds from), submitted
    /// four to a second: job i at second i / 4.
    /// </summary>
    private async Task InsertJobsAsync(int rows)
    {
        await _schema.ExecuteAsync(
            "INSERT INTO federationjobs (serviceid, jobid, version, state, region, project, owner, active, payload, modifiedon, submittedon) " +
            "SELECT 'svc', 'job-' || lpad(i::text, 6, '0'), 1, CASE WHEN i % 47 = 0 THEN 'Running' ELSE 'Completed' END, " +
            "(ARRAY['gwangju', 'suncheon', 'gwangyang', 'daegu'])[1 + i % 4], 'p' || (i % 10), 'u' || (i % 20), i % 47 = 0, '\\x7b7d'::bytea, now(), " +
            "timestamptz '2026-01-01 00:00:00+00' + (i / 4) * interval '1 second' " +
            $"FROM generate_series(1, {rows}) AS i");
        await _schema.ExecuteAsync("ANALYZE federationjobs");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AListingByRegionOfActiveJobsUsesAnIndexNotASequentialScan(bool after)
    {
        const int Rows = 4000;
        await using (var database = NewDatabase(TimeProvider.System))
        {
            await database.InitializeAsync();
        }

        await InsertJobsAsync(Rows);
        var sql = new JobSql(new PostgresDialect(_schema.Name)).Query(new JobRowFilter { Region = "daegu", ActiveOnly = true }, JobRowOrder.Id, after);
        (string, object)[] parameters = after
            ? [("serviceid", "svc"), ("region", "daegu"), ("limit", 101L), ("after", "job-000100")]
            : [("serviceid", "svc"), ("region", "daegu"), ("limit", 101L)];

        var plan = await _schema.QueryAsync("EXPLAIN " + sql, r => r.GetString(0), parameters);
        var rows = await _schema.QueryAsync(sql, r => (r.GetString(0), r.GetInt64(3)), parameters);

        Assert.DoesNotContain(plan, line => line.Contains("Seq Scan", StringComparison.Ordinal));
        var scans = plan.Where(line => line.Contains(" on federationjobs ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, scans.Count);
        Assert.All(scans, line => Assert.Contains("Index", line, StringComparison.Ordinal));

        // The plan is of the statement that answers: the active daegu jobs (i % 4 = 3 and i % 47 = 0) in id order, each
        // row with the total over all pages.
        var active = Enumerable.Range(1, Rows).Where(i => i % 4 == 3 && i % 47 == 0).ToList();
        Assert.Equal(active.Where(i => !after || i > 100).Select(i => $"job-{i:D6}"), rows.Select(r => r.Item1));
        Assert.All(rows, r => Assert.Equal(active.Count, r.Item2));
    }
}

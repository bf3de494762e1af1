using System.Data.Common;
using System.Net.Sockets;
using Npgsql;

namespace Federation.Storage.Postgres;

/// <summary>
/// PostgreSQL through Npgsql. This dialect adds the DDL (text keys with <c>COLLATE "C"</c>, so key order and range
/// scans are byte order as on SQLite, timestamps as <c>timestamptz</c>), Orleans' persistence statements as single
/// statements (a write is one round trip), and the schema lock: a transaction-scoped advisory lock keyed by the
/// search path, taken first in the schema transaction, so two servers starting at once on one schema take turns and
/// the second finds the version rows the first committed.
/// </summary>
public sealed class PostgresDialect : AdoNetDialect
{
    /// <summary>First key of the schema advisory lock: the ASCII of "FdAN", unlikely to clash with an application's locks.</summary>
    public const int SchemaLockClass = 0x4664_414E;

    private const string StateKey =
        "serviceid = @ServiceId AND graintypestring = @GrainTypeString AND grainidextensionstring = COALESCE(@GrainIdExtensionString, '') " +
        "AND grainidn0 = @GrainIdN0 AND grainidn1 = @GrainIdN1";

    private static readonly IReadOnlyList<IReadOnlyList<string>> JobMigrations =
    [
        [
            """
            CREATE TABLE IF NOT EXISTS federationjobs (
                serviceid text COLLATE "C" NOT NULL,
                jobid text COLLATE "C" NOT NULL,
                version bigint NOT NULL,
                state text COLLATE "C" NOT NULL,
                region text COLLATE "C" NULL,
                project text COLLATE "C" NULL,
                owner text COLLATE "C" NULL,
                active boolean NOT NULL,
                payload bytea NOT NULL,
                modifiedon timestamptz NOT NULL,
                PRIMARY KEY (serviceid, jobid))
            """,
            "CREATE INDEX IF NOT EXISTS ix_federationjobs_state ON federationjobs (serviceid, state, jobid)",
            "CREATE INDEX IF NOT EXISTS ix_federationjobs_region ON federationjobs (serviceid, region, jobid)",
            "CREATE INDEX IF NOT EXISTS ix_federationjobs_project ON federationjobs (serviceid, project, jobid)",
            "CREATE INDEX IF NOT EXISTS ix_federationjobs_owner ON federationjobs (serviceid, owner, jobid)",
            "CREATE INDEX IF NOT EXISTS ix_federationjobs_active ON federationjobs (serviceid, region, jobid) WHERE active",
        ],
    ];

    private static readonly IReadOnlyList<IReadOnlyList<string>> OrleansMigrations =
    [
        [
            "CREATE TABLE IF NOT EXISTS orleansquery (querykey varchar(64) COLLATE \"C\" NOT NULL PRIMARY KEY, querytext text NOT NULL)",

            // Orleans keys a row by state name (passed as the grain type) and grain key, not by grain type (upstream
            // #8746): the grains keep their state names distinct. Here the key is the primary key itself, not hashes.
            // version is an integer: the provider reads it as a 32-bit number.
            """
            CREATE TABLE IF NOT EXISTS orleansstorage (
                serviceid text COLLATE "C" NOT NULL,
                graintypestring text COLLATE "C" NOT NULL,
                grainidextensionstring text COLLATE "C" NOT NULL,
                grainidn0 bigint NOT NULL,
                grainidn1 bigint NOT NULL,
                payloadbinary bytea NULL,
                modifiedon timestamptz NOT NULL,
                version integer NOT NULL,
                PRIMARY KEY (serviceid, graintypestring, grainidextensionstring, grainidn0, grainidn1))
            """,
            .. StoreQueries(
            [
                new(OrleansQueryKeys.ReadFromStorage,
                    "SELECT payloadbinary AS \"PayloadBinary\", version AS \"Version\" FROM orleansstorage WHERE " + StateKey),

                // The guarded update or the first insert, and what happened, in one statement: the new version, or the
                // version sent (null for a first write) when the guard refused, which Orleans reports as a conflict.
                new(OrleansQueryKeys.WriteToStorage,
                    "WITH updated AS (UPDATE orleansstorage SET payloadbinary = @PayloadBinary, modifiedon = now(), version = version + 1 " +
                    "WHERE @GrainStateVersion IS NOT NULL AND " + StateKey + " AND version = @GrainStateVersion RETURNING version), " +
                    "inserted AS (INSERT INTO orleansstorage (serviceid, graintypestring, grainidextensionstring, grainidn0, grainidn1, payloadbinary, modifiedon, version) " +
                    "SELECT @ServiceId, @GrainTypeString, COALESCE(@GrainIdExtensionString, ''), @GrainIdN0, @GrainIdN1, @PayloadBinary, now(), 1 " +
                    "WHERE @GrainStateVersion IS NULL ON CONFLICT DO NOTHING RETURNING version) " +
                    "SELECT COALESCE((SELECT version FROM updated), (SELECT version FROM inserted), @GrainStateVersion) AS \"NewGrainStateVersion\""),
                new(OrleansQueryKeys.ClearStorage,
                    "WITH cleared AS (UPDATE orleansstorage SET payloadbinary = NULL, modifiedon = now(), version = version + 1 " +
                    "WHERE " + StateKey + " AND version = @GrainStateVersion RETURNING version) " +
                    "SELECT COALESCE((SELECT version FROM cleared), @GrainStateVersion) AS \"NewGrainStateVersion\""),
            ]),
        ],
    ];

    private readonly string _createSchemaVersionTable;

    /// <param name="schema">The schema to create before the tables (already validated as a plain identifier), or null to use the search path as it is.</param>
    public PostgresDialect(string? schema)
    {
        const string VersionTable =
            $"CREATE TABLE IF NOT EXISTS {SchemaTable} (component text COLLATE \"C\" NOT NULL PRIMARY KEY, version bigint NOT NULL, appliedon timestamptz NOT NULL)";

        // The schema name cannot be a parameter in DDL; the options validator admits only [a-z0-9_].
        // CREATE SCHEMA IF NOT EXISTS checks CREATE on the database even when the schema exists, so it
        // runs only when missing: a role without that privilege can use a schema a DBA created.
        _createSchemaVersionTable = schema is null
            ? VersionTable
            : $"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = '{schema}') THEN CREATE SCHEMA \"{schema}\"; END IF; END $$; {VersionTable}";
        Schema = schema;
    }

    /// <summary>The schema the tables live in, or null for the connection's search path.</summary>
    public string? Schema { get; }

    public override string Name => "PostgreSQL";

    /// <summary>
    /// Keyed by the search path (not the schema, which may not exist yet), so initialisers of different
    /// schemas on one database do not wait for each other. Released by the commit or rollback.
    /// </summary>
    public override string SchemaLockStatement =>
        $"SELECT pg_advisory_xact_lock({SchemaLockClass}, hashtext(current_setting('search_path')))";

    public override string CreateSchemaVersionTable => _createSchemaVersionTable;

    public override string TrueLiteral => "TRUE";

    public override object ToDbBoolean(bool value) => value;

    public override IReadOnlyList<IReadOnlyList<string>> Migrations(SchemaComponent component) => component switch
    {
        SchemaComponent.Jobs => JobMigrations,
        SchemaComponent.OrleansPersistence => OrleansMigrations,
        _ => throw new ArgumentOutOfRangeException(nameof(component), component, "unknown schema component"),
    };

    public override DbConnection CreateConnection(string connectionString) => new NpgsqlConnection(connectionString);

    /// <summary>
    /// Stored as <c>timestamptz</c>, truncated to the millisecond so a value reads back exactly as it
    /// does from SQLite (which stores Unix milliseconds).
    /// </summary>
    public override object ToDbTimestamp(DateTimeOffset value) => DateTimeOffset.FromUnixTimeMilliseconds(value.ToUnixTimeMilliseconds()).UtcDateTime;

    public override DateTimeOffset FromDbTimestamp(object value) => value switch
    {
        DateTime dateTime => new DateTimeOffset(DateTime.SpecifyKind(dateTime, DateTimeKind.Utc)),
        DateTimeOffset offset => offset.ToUniversalTime(),
        _ => base.FromDbTimestamp(value),
    };

    /// <summary>
    /// Connection-level failures: Npgsql's transient errors (refused, reset, timed out opening), the
    /// server's connection-exception class 08, its shutdown/startup states 57P01–57P03, and 53300 (no
    /// connection slot left, for the server or the database): each passes once the server is back or
    /// has a slot again, so the caller should retry later rather than treat it as a fault.
    /// </summary>
    public override bool IsUnreachable(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
            || postgres.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow
                or PostgresErrorCodes.TooManyConnections,
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is SocketException or IOException or TimeoutException,
        SocketException or TimeoutException => true,
        _ => false,
    };
}

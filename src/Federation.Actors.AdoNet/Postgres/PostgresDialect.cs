using System.Data.Common;
using System.Net.Sockets;
using Npgsql;

namespace Federation.Actors.AdoNet.Postgres;

/// <summary>
/// PostgreSQL through Npgsql. The row statements are the shared ones, plus one-statement forms of the
/// row writes that also replace the row's index entries; this dialect adds the DDL (text
/// keys with <c>COLLATE "C"</c>, so key order and range scans are byte order as on SQLite, timestamps as
/// <c>timestamptz</c>), and the schema lock: a transaction-scoped advisory lock keyed by the search
/// path, taken first in the schema transaction, so two servers starting at once on one schema take
/// turns and the second finds the version row the first committed.
/// </summary>
public sealed class PostgresDialect : AdoNetDialect
{
    /// <summary>First key of the schema advisory lock: the ASCII of "FdAN", unlikely to clash with an application's locks.</summary>
    public const int SchemaLockClass = 0x4664_414E;

    private readonly string _createSchemaVersionTable;

    /// <param name="schema">The schema to create before the tables (already validated as a plain identifier), or null to use the search path as it is.</param>
    public PostgresDialect(string? schema)
    {
        const string VersionTable =
            "CREATE TABLE IF NOT EXISTS orleansschemaversion (component text COLLATE \"C\" NOT NULL PRIMARY KEY, version bigint NOT NULL, appliedon timestamptz NOT NULL)";

        // The schema name cannot be a parameter in DDL; the options validator admits only [a-z0-9_].
        // CREATE SCHEMA IF NOT EXISTS checks CREATE on the database even when the schema exists, so it
        // runs only when missing: a role without that privilege can use a schema a DBA created.
        _createSchemaVersionTable = schema is null
            ? VersionTable
            : $"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = '{schema}') THEN CREATE SCHEMA \"{schema}\"; END IF; END $$; {VersionTable}";
        Schema = schema;
        InsertStateWithIndex = WithIndex(InsertState);
        UpdateStateWithIndex = WithIndex(UpdateState);
        ClearStateWithIndex = WithIndex(ClearState);
        DeleteStateWithIndex = WithIndex(DeleteState);
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

    public override IReadOnlyList<IReadOnlyList<string>> Migrations { get; } =
    [
        [
            // Key = service + grain type + state name + grain key: a deliberate fix of Orleans #8746/#9706,
            // as on SQLite. text rather than varchar(n): the same cost in PostgreSQL, and no silent limit.
            """
            CREATE TABLE IF NOT EXISTS orleansstorage (
                serviceid text COLLATE "C" NOT NULL,
                graintypestring text COLLATE "C" NOT NULL,
                statename text COLLATE "C" NOT NULL,
                grainidstring text COLLATE "C" NOT NULL,
                payloadbinary bytea NULL,
                modifiedon timestamptz NOT NULL,
                version bigint NOT NULL,
                PRIMARY KEY (serviceid, graintypestring, statename, grainidstring))
            """,
            """
            CREATE TABLE IF NOT EXISTS orleansreminderstable (
                serviceid text COLLATE "C" NOT NULL,
                grainid text COLLATE "C" NOT NULL,
                remindername text COLLATE "C" NOT NULL,
                starttime timestamptz(3) NOT NULL,
                period bigint NOT NULL,
                grainhash bigint NOT NULL,
                version bigint NOT NULL,
                PRIMARY KEY (serviceid, grainid, remindername))
            """,
            "CREATE INDEX IF NOT EXISTS ix_orleansreminderstable_grainhash ON orleansreminderstable (serviceid, grainhash)",
        ],
        [
            // Version 2: index entries of IIndexedGrainState rows, written in the row's transaction.
            """
            CREATE TABLE IF NOT EXISTS orleansstorageindex (
                serviceid text COLLATE "C" NOT NULL,
                graintypestring text COLLATE "C" NOT NULL,
                statename text COLLATE "C" NOT NULL,
                grainidstring text COLLATE "C" NOT NULL,
                name text COLLATE "C" NOT NULL,
                value text COLLATE "C" NOT NULL,
                PRIMARY KEY (serviceid, graintypestring, statename, grainidstring, name, value))
            """,
            "CREATE INDEX IF NOT EXISTS ix_orleansstorageindex_lookup ON orleansstorageindex (serviceid, graintypestring, statename, name, value, grainidstring)",
        ],
    ];

    public override string InsertStateWithIndex { get; }

    public override string UpdateStateWithIndex { get; }

    public override string ClearStateWithIndex { get; }

    public override string DeleteStateWithIndex { get; }

    public override DbConnection CreateConnection(string connectionString) => new NpgsqlConnection(connectionString);

    /// <summary>
    /// The guarded row write and the replacement of its index entries as one statement, so a keyed write
    /// is one round trip in autocommit instead of <c>BEGIN</c>, the row, a delete and an insert per entry,
    /// <c>COMMIT</c>. <c>w</c> is the row write; the index changes only when it returned a row. All parts
    /// of one statement see the same snapshot and their order is unspecified, so the delete and the
    /// insert must not touch the same index row: the delete takes only entries not in the new set, the
    /// insert adds the new set and skips the entries already there (<c>ON CONFLICT DO NOTHING</c>, which
    /// also absorbs duplicates). The row lock taken by <c>w</c> serialises writers of one row; only a
    /// write that waited for another writer's commit and then matched could miss that commit's entries
    /// (the snapshot predates it), which needs an ETag the other write had not yet returned: never one
    /// this provider handed out.
    /// </summary>
    private static string WithIndex(string rowWrite) =>
        $"""
        WITH w AS ({rowWrite} RETURNING version),
        n AS (SELECT e.name, e.value FROM unnest(@names::text[], @values::text[]) AS e(name, value)),
        d AS (DELETE FROM orleansstorageindex x
              WHERE x.serviceid = @serviceid AND x.graintypestring = @graintype AND x.statename = @statename AND x.grainidstring = @grainid
                AND EXISTS (SELECT 1 FROM w)
                AND NOT EXISTS (SELECT 1 FROM n WHERE n.name = x.name AND n.value = x.value)),
        i AS (INSERT INTO orleansstorageindex (serviceid, graintypestring, statename, grainidstring, name, value)
              SELECT @serviceid, @graintype, @statename, @grainid, n.name, n.value FROM n WHERE EXISTS (SELECT 1 FROM w)
              ON CONFLICT DO NOTHING)
        SELECT version FROM w
        """;

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

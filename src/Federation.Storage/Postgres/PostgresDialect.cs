using System.Data.Common;
using System.Net.Sockets;
using Npgsql;

namespace Federation.Storage.Postgres;

/// <summary>
/// PostgreSQL through Npgsql. This dialect adds the DDL (text keys with <c>COLLATE "C"</c>, so key order and range
/// scans are byte order as on SQLite, timestamps as <c>timestamptz</c>), Orleans' persistence and clustering statements
/// as single statements (a write is one round trip, and a membership change is atomic without a stored procedure), and
/// the schema lock: a transaction-scoped advisory lock keyed by the search path, taken first in the schema transaction,
/// so two servers starting at once on one schema take turns and the second finds the version rows the first committed.
/// </summary>
public sealed class PostgresDialect : AdoNetDialect
{
    /// <summary>First key of the schema advisory lock: the ASCII of "FdAN", unlikely to clash with an application's locks.</summary>
    public const int SchemaLockClass = 0x4664_414E;

    /// <summary>Orleans' statements by key; created by whichever of its components a database gets first.</summary>
    private const string QueryTable =
        "CREATE TABLE IF NOT EXISTS orleansquery (querykey varchar(64) COLLATE \"C\" NOT NULL PRIMARY KEY, querytext text NOT NULL)";

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
        [
            // The submission time, for the newest-first listing. Rows written before this version get their last write's
            // time, the best the table knows: their order among themselves is approximate.
            "ALTER TABLE federationjobs ADD COLUMN IF NOT EXISTS submittedon timestamptz NULL",
            "UPDATE federationjobs SET submittedon = modifiedon WHERE submittedon IS NULL",
            "ALTER TABLE federationjobs ALTER COLUMN submittedon SET NOT NULL",
            "CREATE INDEX IF NOT EXISTS ix_federationjobs_newest ON federationjobs (serviceid, submittedon, jobid)",
            "CREATE INDEX IF NOT EXISTS ix_federationjobs_state_newest ON federationjobs (serviceid, state, submittedon, jobid)",
            "CREATE INDEX IF NOT EXISTS ix_federationjobs_region_newest ON federationjobs (serviceid, region, submittedon, jobid)",
            "CREATE INDEX IF NOT EXISTS ix_federationjobs_project_newest ON federationjobs (serviceid, project, submittedon, jobid)",
            "CREATE INDEX IF NOT EXISTS ix_federationjobs_owner_newest ON federationjobs (serviceid, owner, submittedon, jobid)",
        ],
    ];

    private static readonly IReadOnlyList<IReadOnlyList<string>> AuditMigrations =
    [
        [
            """
            CREATE TABLE IF NOT EXISTS federationaudit (
                seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                serviceid text COLLATE "C" NOT NULL,
                id text COLLATE "C" NOT NULL,
                at timestamptz NOT NULL,
                actor text COLLATE "C" NOT NULL,
                role text COLLATE "C" NOT NULL,
                action text COLLATE "C" NOT NULL,
                target text COLLATE "C" NOT NULL,
                region text COLLATE "C" NULL,
                before text NULL,
                after text NULL,
                origin text NULL,
                detail text NULL,
                UNIQUE (serviceid, id))
            """,
            "CREATE INDEX IF NOT EXISTS ix_federationaudit_newest ON federationaudit (serviceid, seq)",
            "CREATE INDEX IF NOT EXISTS ix_federationaudit_region ON federationaudit (serviceid, region, seq)",
            "CREATE INDEX IF NOT EXISTS ix_federationaudit_actor ON federationaudit (serviceid, actor, seq)",
            "CREATE INDEX IF NOT EXISTS ix_federationaudit_target ON federationaudit (serviceid, target, seq)",
            "CREATE INDEX IF NOT EXISTS ix_federationaudit_action ON federationaudit (serviceid, action, seq)",

            // Unqualified: created in the first schema of the search path, the deployment's, beside the table. The
            // triggers bind to it by its oid when they are created.
            """
            CREATE OR REPLACE FUNCTION federationaudit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'federationaudit is append-only' USING ERRCODE = 'restrict_violation', DETAIL = TG_OP || ' refused';
            END
            $$
            """,
            "DROP TRIGGER IF EXISTS federationaudit_no_change ON federationaudit",
            "CREATE TRIGGER federationaudit_no_change BEFORE UPDATE OR DELETE ON federationaudit FOR EACH ROW EXECUTE FUNCTION federationaudit_refuse()",

            // A row trigger does not see TRUNCATE, which empties the table without deleting rows one by one.
            "DROP TRIGGER IF EXISTS federationaudit_no_truncate ON federationaudit",
            "CREATE TRIGGER federationaudit_no_truncate BEFORE TRUNCATE ON federationaudit FOR EACH STATEMENT EXECUTE FUNCTION federationaudit_refuse()",
        ],
    ];

    private static readonly IReadOnlyList<IReadOnlyList<string>> OrleansMigrations =
    [
        [
            QueryTable,

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

    /// <summary>Orleans' <c>SiloStatus.Dead</c>, as the membership table stores it.</summary>
    private const string Dead = "6";

    private const string SiloKey = "m.address = @Address AND m.port = @Port AND m.generation = @Generation";

    /// <summary>The columns Orleans' clustering provider reads by name: a silo's row and the version of the table.</summary>
    private const string MemberColumns =
        "m.address AS \"Address\", m.port AS \"Port\", m.generation AS \"Generation\", m.siloname AS \"SiloName\", " +
        "m.hostname AS \"HostName\", m.status AS \"Status\", m.proxyport AS \"ProxyPort\", m.suspecttimes AS \"SuspectTimes\", " +
        "m.starttime AS \"StartTime\", m.iamalivetime AS \"IAmAliveTime\", v.version AS \"Version\"";

    /// <summary>
    /// The cluster's version row, locked, if it is still at the version the caller read. A concurrent change of the
    /// table waits on the lock and, once the first commits, finds the version moved on and selects nothing.
    /// </summary>
    private const string ExpectedVersion =
        "expected AS (SELECT deploymentid FROM orleansmembershipversiontable WHERE deploymentid = @DeploymentId AND version = @Version FOR UPDATE)";

    /// <summary>Increments the version of the cluster named by the rows of <c>changed</c>, i.e. only if a silo row was written.</summary>
    private const string BumpVersion =
        "bumped AS (UPDATE orleansmembershipversiontable v SET version = v.version + 1, modifiedon = now() " +
        "FROM changed c WHERE v.deploymentid = c.deploymentid RETURNING v.version)";

    private static readonly IReadOnlyList<IReadOnlyList<string>> ClusteringMigrations =
    [
        [
            QueryTable,

            // One row per cluster (Orleans calls the cluster id the deployment id). Every change of a silo's row
            // increments version in the same statement; a reader gets the rows and the version from one snapshot.
            """
            CREATE TABLE IF NOT EXISTS orleansmembershipversiontable (
                deploymentid text COLLATE "C" NOT NULL PRIMARY KEY,
                version integer NOT NULL,
                modifiedon timestamptz NOT NULL)
            """,

            // One row per silo incarnation (address, port, generation). Integers where Orleans reads 32-bit numbers;
            // suspecttimes is Orleans' own text ("silo,time|silo,time"). Deleting a cluster's version row deletes its silos.
            """
            CREATE TABLE IF NOT EXISTS orleansmembershiptable (
                deploymentid text COLLATE "C" NOT NULL REFERENCES orleansmembershipversiontable (deploymentid) ON DELETE CASCADE,
                address text COLLATE "C" NOT NULL,
                port integer NOT NULL,
                generation integer NOT NULL,
                siloname text NOT NULL,
                hostname text NOT NULL,
                status integer NOT NULL,
                proxyport integer NOT NULL,
                suspecttimes text NULL,
                starttime timestamptz NOT NULL,
                iamalivetime timestamptz NOT NULL,
                PRIMARY KEY (deploymentid, address, port, generation))
            """,
            .. StoreQueries(
            [
                new(OrleansClusteringQueryKeys.InsertMembershipVersion,
                    "WITH inserted AS (INSERT INTO orleansmembershipversiontable (deploymentid, version, modifiedon) " +
                    "VALUES (@DeploymentId, 0, now()) ON CONFLICT DO NOTHING RETURNING 1) " +
                    "SELECT EXISTS (SELECT 1 FROM inserted) AS \"Inserted\""),

                // The row goes in only through the locked version row, and the version moves only if the row went in:
                // a stale version or an existing row leaves both tables as they were.
                new(OrleansClusteringQueryKeys.InsertMembership,
                    "WITH " + ExpectedVersion + ", " +
                    "changed AS (INSERT INTO orleansmembershiptable (deploymentid, address, port, generation, siloname, hostname, status, proxyport, suspecttimes, starttime, iamalivetime) " +
                    "SELECT deploymentid, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort, NULL, @StartTime, @IAmAliveTime FROM expected " +
                    "ON CONFLICT DO NOTHING RETURNING deploymentid), " +
                    BumpVersion + " " +
                    "SELECT EXISTS (SELECT 1 FROM bumped) AS \"Inserted\""),

                // As the insert; IAmAliveTime only moves forward, as a heartbeat written meanwhile may be newer.
                new(OrleansClusteringQueryKeys.UpdateMembership,
                    "WITH " + ExpectedVersion + ", " +
                    "changed AS (UPDATE orleansmembershiptable m SET status = @Status, suspecttimes = @SuspectTimes, " +
                    "iamalivetime = GREATEST(m.iamalivetime, @IAmAliveTime) " +
                    "FROM expected e WHERE m.deploymentid = e.deploymentid AND " + SiloKey + " RETURNING m.deploymentid), " +
                    BumpVersion + " " +
                    "SELECT EXISTS (SELECT 1 FROM bumped) AS \"Updated\""),

                // A heartbeat is no membership change: the version stays.
                new(OrleansClusteringQueryKeys.UpdateIAmAliveTime,
                    "UPDATE orleansmembershiptable m SET iamalivetime = GREATEST(m.iamalivetime, @IAmAliveTime) " +
                    "WHERE m.deploymentid = @DeploymentId AND " + SiloKey),

                // The version row joined to the silo's row, if any: the provider needs the version either way.
                new(OrleansClusteringQueryKeys.MembershipReadRow,
                    "SELECT " + MemberColumns + " FROM orleansmembershipversiontable v " +
                    "LEFT JOIN orleansmembershiptable m ON m.deploymentid = v.deploymentid AND " + SiloKey + " " +
                    "WHERE v.deploymentid = @DeploymentId"),
                new(OrleansClusteringQueryKeys.MembershipReadAll,
                    "SELECT " + MemberColumns + " FROM orleansmembershipversiontable v " +
                    "LEFT JOIN orleansmembershiptable m ON m.deploymentid = v.deploymentid " +
                    "WHERE v.deploymentid = @DeploymentId"),
                new(OrleansClusteringQueryKeys.GatewaysQuery,
                    "SELECT m.address AS \"Address\", m.proxyport AS \"ProxyPort\", m.generation AS \"Generation\" FROM orleansmembershiptable m " +
                    "WHERE m.deploymentid = @DeploymentId AND m.status = @Status AND m.proxyport > 0 ORDER BY m.address, m.proxyport, m.generation"),
                new(OrleansClusteringQueryKeys.DeleteMembershipTableEntries,
                    "DELETE FROM orleansmembershipversiontable WHERE deploymentid = @DeploymentId"),

                // Without reading the votes a row's text holds, a dead row with votes cannot tell when the silo was
                // declared dead: only dead rows without votes go here. The provider runs the per-row statement below
                // instead whenever it is stored, which it is.
                new(OrleansClusteringQueryKeys.CleanupDefunctSiloEntries,
                    "DELETE FROM orleansmembershiptable m WHERE m.deploymentid = @DeploymentId AND m.status = " + Dead + " " +
                    "AND m.starttime < @IAmAliveTime AND m.iamalivetime < @IAmAliveTime AND COALESCE(m.suspecttimes, '') = ''"),

                // The provider has picked the row from what it read (dead, older than the cutoff, no vote since): it goes
                // only if it still holds what was read.
                new(OrleansClusteringQueryKeys.CleanupDefunctSiloEntry,
                    "DELETE FROM orleansmembershiptable m WHERE m.deploymentid = @DeploymentId AND " + SiloKey + " AND m.status = " + Dead + " " +
                    "AND m.starttime = @StartTime AND m.iamalivetime = @IAmAliveTime AND COALESCE(m.suspecttimes, '') = COALESCE(@SuspectTimes, '')"),
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

    public override bool SupportsWritableCte => true;

    public override object ToDbBoolean(bool value) => value;

    public override IReadOnlyList<IReadOnlyList<string>> Migrations(SchemaComponent component) => component switch
    {
        SchemaComponent.Jobs => JobMigrations,
        SchemaComponent.Audit => AuditMigrations,
        SchemaComponent.OrleansPersistence => OrleansMigrations,
        SchemaComponent.OrleansClustering => ClusteringMigrations,
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

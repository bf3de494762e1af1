using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Federation.Storage.Sqlite;

/// <summary>
/// SQLite through Microsoft.Data.Sqlite. Every connection runs in WAL mode (readers never block the
/// writer) with a busy timeout, and the schema transaction is <c>BEGIN IMMEDIATE</c>, which takes the
/// database's write lock up front so two initialisers cannot interleave.
/// </summary>
public sealed class SqliteDialect : AdoNetDialect
{
    /// <summary>Now, as the Unix milliseconds a SQLite timestamp column holds.</summary>
    private const string Now = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";

    private const string StateKey =
        "serviceid = @ServiceId AND graintypestring = @GrainTypeString AND grainidextensionstring = COALESCE(@GrainIdExtensionString, '') " +
        "AND grainidn0 = @GrainIdN0 AND grainidn1 = @GrainIdN1";

    private static readonly IReadOnlyList<IReadOnlyList<string>> JobMigrations =
    [
        [
            """
            CREATE TABLE IF NOT EXISTS federationjobs (
                serviceid TEXT NOT NULL,
                jobid TEXT NOT NULL,
                version INTEGER NOT NULL,
                state TEXT NOT NULL,
                region TEXT NULL,
                project TEXT NULL,
                owner TEXT NULL,
                active INTEGER NOT NULL,
                payload BLOB NOT NULL,
                modifiedon INTEGER NOT NULL,
                PRIMARY KEY (serviceid, jobid))
            """,
            "CREATE INDEX IF NOT EXISTS ix_federationjobs_state ON federationjobs (serviceid, state, jobid)",
            "CREATE INDEX IF NOT EXISTS ix_federationjobs_region ON federationjobs (serviceid, region, jobid)",
            "CREATE INDEX IF NOT EXISTS ix_federationjobs_project ON federationjobs (serviceid, project, jobid)",
            "CREATE INDEX IF NOT EXISTS ix_federationjobs_owner ON federationjobs (serviceid, owner, jobid)",
            "CREATE INDEX IF NOT EXISTS ix_federationjobs_active ON federationjobs (serviceid, region, jobid) WHERE active = 1",
        ],
        [
            // The submission time, for the newest-first listing. SQLite adds a NOT NULL column only with a default; every
            // insert writes the column, so the default is never used. Rows written before this version get their last
            // write's time, the best the table knows: their order among themselves is approximate.
            "ALTER TABLE federationjobs ADD COLUMN submittedon INTEGER NOT NULL DEFAULT 0",
            "UPDATE federationjobs SET submittedon = modifiedon",
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
            // seq is the rowid; AUTOINCREMENT never hands out a number again, so an entry's position is its own for good.
            """
            CREATE TABLE IF NOT EXISTS federationaudit (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                serviceid TEXT NOT NULL,
                id TEXT NOT NULL,
                at INTEGER NOT NULL,
                actor TEXT NOT NULL,
                role TEXT NOT NULL,
                action TEXT NOT NULL,
                target TEXT NOT NULL,
                region TEXT NULL,
                before TEXT NULL,
                after TEXT NULL,
                origin TEXT NULL,
                detail TEXT NULL,
                UNIQUE (serviceid, id))
            """,
            "CREATE INDEX IF NOT EXISTS ix_federationaudit_newest ON federationaudit (serviceid, seq)",
            "CREATE INDEX IF NOT EXISTS ix_federationaudit_region ON federationaudit (serviceid, region, seq)",
            "CREATE INDEX IF NOT EXISTS ix_federationaudit_actor ON federationaudit (serviceid, actor, seq)",
            "CREATE INDEX IF NOT EXISTS ix_federationaudit_target ON federationaudit (serviceid, target, seq)",
            "CREATE INDEX IF NOT EXISTS ix_federationaudit_action ON federationaudit (serviceid, action, seq)",
            "CREATE TRIGGER IF NOT EXISTS federationaudit_no_update BEFORE UPDATE ON federationaudit BEGIN SELECT RAISE(ABORT, 'federationaudit is append-only'); END",
            "CREATE TRIGGER IF NOT EXISTS federationaudit_no_delete BEFORE DELETE ON federationaudit BEGIN SELECT RAISE(ABORT, 'federationaudit is append-only'); END",
        ],
    ];

    private static readonly IReadOnlyList<IReadOnlyList<string>> OrleansMigrations =
    [
        [
            "CREATE TABLE IF NOT EXISTS orleansquery (querykey TEXT NOT NULL PRIMARY KEY, querytext TEXT NOT NULL)",

            // Orleans keys a row by state name (passed as the grain type) and grain key, not by grain type (upstream
            // #8746): the grains keep their state names distinct. Here the key is the primary key itself, not hashes.
            """
            CREATE TABLE IF NOT EXISTS orleansstorage (
                serviceid TEXT NOT NULL,
                graintypestring TEXT NOT NULL,
                grainidextensionstring TEXT NOT NULL,
                grainidn0 INTEGER NOT NULL,
                grainidn1 INTEGER NOT NULL,
                payloadbinary BLOB NULL,
                modifiedon INTEGER NOT NULL,
                version INTEGER NOT NULL,
                PRIMARY KEY (serviceid, graintypestring, grainidextensionstring, grainidn0, grainidn1))
            """,
            .. StoreQueries(
            [
                new(OrleansQueryKeys.ReadFromStorage,
                    "SELECT payloadbinary AS PayloadBinary, version AS Version FROM orleansstorage WHERE " + StateKey + " LIMIT 1"),

                // One statement writes (an upsert guarded by the version), the next says what it did: the new version, or
                // the version sent (null for a first write) when the guard refused, which Orleans reports as a conflict.
                new(OrleansQueryKeys.WriteToStorage,
                    "INSERT INTO orleansstorage (serviceid, graintypestring, grainidextensionstring, grainidn0, grainidn1, payloadbinary, modifiedon, version) " +
                    $"SELECT @ServiceId, @GrainTypeString, COALESCE(@GrainIdExtensionString, ''), @GrainIdN0, @GrainIdN1, @PayloadBinary, {Now}, 1 " +
                    "WHERE @GrainStateVersion IS NULL OR EXISTS (SELECT 1 FROM orleansstorage WHERE " + StateKey + " AND version = @GrainStateVersion) " +
                    "ON CONFLICT (serviceid, graintypestring, grainidextensionstring, grainidn0, grainidn1) DO UPDATE " +
                    "SET payloadbinary = excluded.payloadbinary, modifiedon = excluded.modifiedon, version = orleansstorage.version + 1 " +
                    "WHERE @GrainStateVersion IS NOT NULL AND orleansstorage.version = @GrainStateVersion; " +
                    "SELECT CASE WHEN changes() > 0 THEN COALESCE(@GrainStateVersion + 1, 1) ELSE @GrainStateVersion END AS NewGrainStateVersion"),
                new(OrleansQueryKeys.ClearStorage,
                    $"UPDATE orleansstorage SET payloadbinary = NULL, modifiedon = {Now}, version = version + 1 WHERE " + StateKey + " AND version = @GrainStateVersion; " +
                    "SELECT CASE WHEN changes() > 0 THEN @GrainStateVersion + 1 ELSE @GrainStateVersion END AS NewGrainStateVersion"),
            ]),
        ],
    ];

    private readonly string[] _connectionInit;

    public SqliteDialect(TimeSpan busyTimeout, SqliteSynchronousMode synchronous)
    {
        var synchronousValue = synchronous switch
        {
            SqliteSynchronousMode.Normal => "NORMAL",
            SqliteSynchronousMode.Full => "FULL",
            _ => throw new ArgumentOutOfRangeException(nameof(synchronous), synchronous, "Unknown synchronous mode."),
        };

        _connectionInit =
        [
            // First, so that switching to WAL (which needs the lock briefly) waits instead of failing.
            "PRAGMA busy_timeout = " + ((long)busyTimeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture),
            "PRAGMA journal_mode = WAL",
            "PRAGMA synchronous = " + synchronousValue,
        ];
    }

    public override string Name => "SQLite";

    public override IReadOnlyList<string> ConnectionInitStatements => _connectionInit;

    public override string CreateSchemaVersionTable =>
        $"CREATE TABLE IF NOT EXISTS {SchemaTable} (component TEXT NOT NULL PRIMARY KEY, version INTEGER NOT NULL, appliedon INTEGER NOT NULL)";

    public override string TrueLiteral => "1";

    public override object ToDbBoolean(bool value) => value ? 1L : 0L;

    public override IReadOnlyList<IReadOnlyList<string>> Migrations(SchemaComponent component) => component switch
    {
        SchemaComponent.Jobs => JobMigrations,
        SchemaComponent.Audit => AuditMigrations,
        SchemaComponent.OrleansPersistence => OrleansMigrations,
        SchemaComponent.OrleansClustering => throw new NotSupportedException(
            "SQLite holds no 'orleans.clustering': Orleans has no SQLite clustering. A single silo uses localhost clustering; silos that form a cluster use PostgreSQL."),
        _ => throw new ArgumentOutOfRangeException(nameof(component), component, "unknown schema component"),
    };

    public override DbConnection CreateConnection(string connectionString) => new SqliteConnection(connectionString);
}

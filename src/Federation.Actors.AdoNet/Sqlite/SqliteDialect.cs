using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Federation.Actors.AdoNet.Sqlite;

/// <summary>
/// SQLite through Microsoft.Data.Sqlite. Every connection runs in WAL mode (readers never block the
/// writer) with a busy timeout, and the schema transaction is <c>BEGIN IMMEDIATE</c>, which takes the
/// database's write lock up front so two initialisers cannot interleave.
/// </summary>
public sealed class SqliteDialect : AdoNetDialect
{
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
        "CREATE TABLE IF NOT EXISTS orleansschemaversion (component TEXT NOT NULL PRIMARY KEY, version INTEGER NOT NULL, appliedon INTEGER NOT NULL)";

    public override IReadOnlyList<IReadOnlyList<string>> Migrations { get; } =
    [
        [
            // Key = service + grain type + state name + grain key: a deliberate fix of Orleans #8746/#9706,
            // where the state name stands in for the type and the key kind is guessed from the text.
            """
            CREATE TABLE IF NOT EXISTS orleansstorage (
                serviceid TEXT NOT NULL,
                graintypestring TEXT NOT NULL,
                statename TEXT NOT NULL,
                grainidstring TEXT NOT NULL,
                payloadbinary BLOB NULL,
                modifiedon INTEGER NOT NULL,
                version INTEGER NOT NULL,
                PRIMARY KEY (serviceid, graintypestring, statename, grainidstring))
            """,
            """
            CREATE TABLE IF NOT EXISTS orleansreminderstable (
                serviceid TEXT NOT NULL,
                grainid TEXT NOT NULL,
                remindername TEXT NOT NULL,
                starttime INTEGER NOT NULL,
                period INTEGER NOT NULL,
                grainhash INTEGER NOT NULL,
                version INTEGER NOT NULL,
                PRIMARY KEY (serviceid, grainid, remindername))
            """,
            "CREATE INDEX IF NOT EXISTS ix_orleansreminderstable_grainhash ON orleansreminderstable (serviceid, grainhash)",
        ],
        [
            // Version 2: index entries of IIndexedGrainState rows, written in the row's transaction.
            """
            CREATE TABLE IF NOT EXISTS orleansstorageindex (
                serviceid TEXT NOT NULL,
                graintypestring TEXT NOT NULL,
                statename TEXT NOT NULL,
                grainidstring TEXT NOT NULL,
                name TEXT NOT NULL,
                value TEXT NOT NULL,
                PRIMARY KEY (serviceid, graintypestring, statename, grainidstring, name, value))
            """,
            "CREATE INDEX IF NOT EXISTS ix_orleansstorageindex_lookup ON orleansstorageindex (serviceid, graintypestring, statename, name, value, grainidstring)",
        ],
    ];

    public override DbConnection CreateConnection(string connectionString) => new SqliteConnection(connectionString);
}

using System.Data.Common;

namespace Federation.Storage;

/// <summary>
/// Everything that differs between the databases the project runs on: the driver, the schema DDL of each
/// <see cref="SchemaComponent"/>, how a connection is prepared, how a timestamp is stored, and which failures mean the
/// database could not be reached. The statements that read and write job rows are standard SQL
/// (<c>INSERT … ON CONFLICT</c>, <c>UPDATE … WHERE version = @version</c>) that SQLite ≥ 3.35 and PostgreSQL ≥ 9.5
/// both accept (<see cref="Jobs.JobSql"/>). All SQL is parameterized with <c>@name</c> parameters, which
/// Microsoft.Data.Sqlite and Npgsql both bind.
/// </summary>
public abstract class AdoNetDialect
{
    /// <summary>The table that records, per component, the schema version a database is at.</summary>
    public const string SchemaTable = "federationschema";

    /// <summary>The dialect's name, as it appears in logs and errors ("SQLite", "PostgreSQL").</summary>
    public abstract string Name { get; }

    /// <summary>Creates an unopened connection.</summary>
    public abstract DbConnection CreateConnection(string connectionString);

    /// <summary>Statements run once on every newly opened connection (session settings).</summary>
    public virtual IReadOnlyList<string> ConnectionInitStatements => [];

    /// <summary>
    /// Run first inside the schema transaction so two processes initialising one database at once
    /// take turns (PostgreSQL: an advisory lock). Null when the transaction itself already excludes
    /// other writers (SQLite's <c>BEGIN IMMEDIATE</c>).
    /// </summary>
    public virtual string? SchemaLockStatement => null;

    /// <summary>Creates <see cref="SchemaTable"/> if it is missing. Must be idempotent.</summary>
    public abstract string CreateSchemaVersionTable { get; }

    public virtual string ReadSchemaVersion => $"SELECT version FROM {SchemaTable} WHERE component = @component";

    public virtual string InsertSchemaVersion =>
        $"INSERT INTO {SchemaTable} (component, version, appliedon) VALUES (@component, @version, @appliedon)";

    public virtual string UpdateSchemaVersion =>
        $"UPDATE {SchemaTable} SET version = @version, appliedon = @appliedon WHERE component = @component";

    /// <summary>
    /// The migrations of one component, in order: element <c>i</c> takes it from version <c>i</c> to <c>i + 1</c>
    /// (element 0 creates it). The version this build expects is the number of elements.
    /// </summary>
    public abstract IReadOnlyList<IReadOnlyList<string>> Migrations(SchemaComponent component);

    /// <summary>The literal a boolean column compares with for true (a partial index needs a literal, not a parameter).</summary>
    public abstract string TrueLiteral { get; }

    /// <summary>
    /// Whether a <c>WITH</c> clause may hold <c>INSERT</c>/<c>UPDATE</c> statements with <c>RETURNING</c> (PostgreSQL's
    /// data-modifying CTEs), so a job row and its audit entries can be written by one statement; SQLite's cannot.
    /// </summary>
    public virtual bool SupportsWritableCte => false;

    /// <summary>Converts a value for a boolean column.</summary>
    public abstract object ToDbBoolean(bool value);

    /// <summary>Converts an instant to the value stored in a timestamp column.</summary>
    public virtual object ToDbTimestamp(DateTimeOffset value) => value.ToUnixTimeMilliseconds();

    /// <summary>Converts a stored timestamp column value back to an instant (UTC).</summary>
    public virtual DateTimeOffset FromDbTimestamp(object value) => DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// True when <paramref name="exception"/> means the database could not be reached or the connection
    /// broke (as opposed to a statement the database rejected). SQLite is a local file: never.
    /// </summary>
    public virtual bool IsUnreachable(Exception exception) => false;

    /// <summary>The trivial statement a health check runs.</summary>
    public virtual string HealthCheckStatement => "SELECT 1";

    /// <summary>Quotes a SQL text as a string literal (for the query texts a migration stores in Orleans' query table).</summary>
    protected static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>The statements that store Orleans' queries (persistence or clustering) under their keys, replacing older texts.</summary>
    protected static IReadOnlyList<string> StoreQueries(IReadOnlyList<KeyValuePair<string, string>> queries)
    {
        ArgumentNullException.ThrowIfNull(queries);
        var statements = new List<string>(queries.Count);
        foreach (var (key, text) in queries)
        {
            statements.Add(
                $"INSERT INTO orleansquery (querykey, querytext) VALUES ({Literal(key)}, {Literal(text)}) " +
                "ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext");
        }

        return statements;
    }
}

using System.Data.Common;

namespace Federation.Actors.AdoNet;

/// <summary>
/// Everything that differs between the databases the ADO.NET providers run on: the driver, the schema
/// DDL, how a connection is prepared, and how a timestamp is stored. The statements that read and
/// write rows are standard SQL (<c>INSERT … ON CONFLICT</c>, <c>UPDATE … WHERE version = @version</c>,
/// <c>RETURNING</c>) that SQLite ≥ 3.35 and PostgreSQL ≥ 9.5 both accept, so they live here once and a
/// dialect overrides one only where its database needs something else.
/// All SQL is parameterized with <c>@name</c> parameters, which Microsoft.Data.Sqlite and Npgsql both bind.
/// </summary>
public abstract partial class AdoNetDialect
{
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

    /// <summary>Creates the schema-version table if it is missing. Must be idempotent.</summary>
    public abstract string CreateSchemaVersionTable { get; }

    /// <summary>
    /// The migrations, in order: element <c>i</c> takes the schema from version <c>i</c> to <c>i + 1</c>
    /// (element 0 creates it). The schema version this code expects is the number of elements.
    /// </summary>
    public abstract IReadOnlyList<IReadOnlyList<string>> Migrations { get; }

    /// <summary>Converts an instant to the value stored in a timestamp column.</summary>
    public virtual object ToDbTimestamp(DateTimeOffset value) => value.ToUnixTimeMilliseconds();

    /// <summary>
    /// True when <paramref name="exception"/> means the database could not be reached or the connection
    /// broke (as opposed to a statement the database rejected). SQLite is a local file: never.
    /// </summary>
    public virtual bool IsUnreachable(Exception exception) => false;

    /// <summary>The trivial statement a health check runs.</summary>
    public virtual string HealthCheckStatement => "SELECT 1";

    /// <summary>Converts a stored timestamp column value back to an instant (UTC).</summary>
    public virtual DateTimeOffset FromDbTimestamp(object value) => DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
}

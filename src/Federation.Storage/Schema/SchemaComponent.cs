namespace Federation.Storage;

/// <summary>
/// A part of the schema with a version of its own in <see cref="AdoNetDialect.SchemaTable"/>: a database holds one or
/// several (PostgreSQL holds the jobs, the audit table and Orleans' persistence, and Orleans' clustering where the silos
/// cluster on it; the embedded SQLite default keeps the jobs and the audit table in the job file, Orleans' persistence in
/// a file of its own).
/// </summary>
public enum SchemaComponent
{
    /// <summary>The project's job table (<c>federationjobs</c>): one row per job with its index columns.</summary>
    Jobs,

    /// <summary>
    /// What <c>Microsoft.Orleans.Persistence.AdoNet</c> reads and writes: <c>orleansquery</c> (its statements, by key)
    /// and <c>orleansstorage</c> (grain state rows). The Orleans packages ship no SQL; these statements are the
    /// project's, written to the provider's contract (parameter and column names, the version protocol).
    /// </summary>
    OrleansPersistence,

    /// <summary>
    /// What <c>Microsoft.Orleans.Clustering.AdoNet</c> reads and writes: its statements in <c>orleansquery</c> (keys in
    /// <see cref="OrleansClusteringQueryKeys"/>), <c>orleansmembershipversiontable</c> (one row per cluster: the table
    /// version every membership change increments) and <c>orleansmembershiptable</c> (one row per silo). PostgreSQL only:
    /// Orleans has no SQLite clustering, and the embedded default's one silo uses localhost clustering.
    /// </summary>
    OrleansClustering,

    /// <summary>
    /// The project's audit table (<c>federationaudit</c>): one row per entry, numbered in insertion order, never updated
    /// or deleted (the database's triggers refuse both). Held with <see cref="Jobs"/>, so a job row and its entries
    /// commit in one transaction.
    /// </summary>
    Audit,
}

/// <summary>Names of the components as stored in the schema table.</summary>
public static class SchemaComponents
{
    public static string NameOf(SchemaComponent component) => component switch
    {
        SchemaComponent.Jobs => "federation.jobs",
        SchemaComponent.OrleansPersistence => "orleans.persistence",
        SchemaComponent.OrleansClustering => "orleans.clustering",
        SchemaComponent.Audit => "federation.audit",
        _ => throw new ArgumentOutOfRangeException(nameof(component), component, "unknown schema component"),
    };
}

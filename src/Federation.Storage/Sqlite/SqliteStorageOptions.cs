namespace Federation.Storage.Sqlite;

/// <summary>How durable a SQLite commit is (<c>PRAGMA synchronous</c>, in WAL mode).</summary>
public enum SqliteSynchronousMode
{
    /// <summary>The WAL is synced at checkpoints only: a commit survives a process crash (kill -9) but the last ones may be lost on power loss.</summary>
    Normal,

    /// <summary>The WAL is synced on every commit: a commit survives power loss too.</summary>
    Full,
}

/// <summary>
/// Options of the SQLite store (the embedded default): the job table in the file <see cref="ConnectionString"/> names,
/// Orleans' grain state in a second file beside it (<see cref="GrainStateConnectionString"/>). Two files because SQLite
/// admits one writer per file: the job store commits writes in groups through one connection of its own, and Orleans'
/// provider opens connections of its own, which would wait for the file lock behind the group commit under load.
/// </summary>
public sealed class SqliteStorageOptions
{
    /// <summary>What <see cref="GrainStateFileOf"/> puts in place of the job file's extension.</summary>
    public const string GrainStateFileSuffix = ".orleans.db";

    /// <summary>Default of <see cref="MaxReadConnections"/>: enough to keep two cores busy reading while one write is in flight.</summary>
    public const int DefaultMaxReadConnections = 4;

    /// <summary>Upper bound of <see cref="MaxReadConnections"/>.</summary>
    public const int MaxMaxReadConnections = 64;

    /// <summary>Default of <see cref="Synchronous"/>: a commit survives power loss.</summary>
    public const SqliteSynchronousMode DefaultSynchronous = SqliteSynchronousMode.Full;

    /// <summary>Default of <see cref="BusyTimeout"/>.</summary>
    public static readonly TimeSpan DefaultBusyTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A Microsoft.Data.Sqlite connection string naming a database file, e.g. <c>Data Source=/var/lib/federation/state.db</c>.
    /// The file is created if missing; its directory must exist and be writable. In-memory databases are
    /// rejected: each connection would see its own empty database.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// The file of Orleans' grain state (regions, projects, the megaregion, the execution clock's mark); null means
    /// beside the job file, named by <see cref="GrainStateFileOf"/> (<c>federation.db</c> → <c>federation.orleans.db</c>).
    /// </summary>
    public string? GrainStateConnectionString { get; set; }

    /// <summary>How long a statement waits for a lock held by another process before failing.</summary>
    public TimeSpan BusyTimeout { get; set; } = DefaultBusyTimeout;

    /// <summary>Connections kept for reads; writes always use one connection of their own.</summary>
    public int MaxReadConnections { get; set; } = DefaultMaxReadConnections;

    /// <summary>Commit durability; see <see cref="SqliteSynchronousMode"/>.</summary>
    public SqliteSynchronousMode Synchronous { get; set; } = DefaultSynchronous;

    /// <summary>The grain-state file that goes with a job file: the same name with <see cref="GrainStateFileSuffix"/> for its extension.</summary>
    public static string GrainStateFileOf(string jobFile)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobFile);
        return Path.ChangeExtension(jobFile, null) + GrainStateFileSuffix;
    }

    /// <summary>The grain-state connection string in effect: the one set, or the job file's sibling.</summary>
    public string EffectiveGrainStateConnectionString()
    {
        if (GrainStateConnectionString is { } set)
        {
            return set;
        }

        var builder = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(ConnectionString);
        builder.DataSource = GrainStateFileOf(builder.DataSource);
        return builder.ToString();
    }
}

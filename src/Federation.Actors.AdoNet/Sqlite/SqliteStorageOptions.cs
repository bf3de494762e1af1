namespace Federation.Actors.AdoNet.Sqlite;

/// <summary>How durable a SQLite commit is (<c>PRAGMA synchronous</c>, in WAL mode).</summary>
public enum SqliteSynchronousMode
{
    /// <summary>The WAL is synced at checkpoints only: a commit survives a process crash (kill -9) but the last ones may be lost on power loss.</summary>
    Normal,

    /// <summary>The WAL is synced on every commit: a commit survives power loss too.</summary>
    Full,
}

/// <summary>Options of the SQLite grain storage and reminder table.</summary>
public sealed class SqliteStorageOptions
{
    /// <summary>Default of <see cref="ServiceId"/>.</summary>
    public const string DefaultServiceId = "default";

    /// <summary>Longest accepted <see cref="ServiceId"/>, as Orleans' varchar(150).</summary>
    public const int MaxServiceIdLength = 150;

    /// <summary>Default of <see cref="DeleteStateOnClear"/>.</summary>
    public const bool DefaultDeleteStateOnClear = false;

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

    /// <summary>Separates deployments that share one database file; part of every row's key.</summary>
    public string ServiceId { get; set; } = DefaultServiceId;

    /// <summary>Delete a state's row on clear instead of keeping it with a NULL payload and a higher version.</summary>
    public bool DeleteStateOnClear { get; set; } = DefaultDeleteStateOnClear;

    /// <summary>How long a statement waits for a lock held by another process before failing.</summary>
    public TimeSpan BusyTimeout { get; set; } = DefaultBusyTimeout;

    /// <summary>Connections kept for reads; writes always use one connection of their own.</summary>
    public int MaxReadConnections { get; set; } = DefaultMaxReadConnections;

    /// <summary>Commit durability; see <see cref="SqliteSynchronousMode"/>.</summary>
    public SqliteSynchronousMode Synchronous { get; set; } = DefaultSynchronous;
}

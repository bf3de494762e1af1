namespace Federation.Storage.Postgres;

/// <summary>
/// Options of the PostgreSQL store: the job table and Orleans' grain state, and Orleans' membership where the silos
/// cluster on it, in one database (and schema).
/// </summary>
public sealed class PostgresStorageOptions
{
    /// <summary>Default of <see cref="MaxPoolSize"/>: Npgsql's own default.</summary>
    public const int DefaultMaxPoolSize = 100;

    /// <summary>Upper bound of <see cref="MaxPoolSize"/>.</summary>
    public const int MaxMaxPoolSize = 1024;

    /// <summary>Upper bound of <see cref="ConnectTimeout"/>, Npgsql's limit.</summary>
    public static readonly TimeSpan MaxConnectTimeout = TimeSpan.FromSeconds(1024);

    /// <summary>
    /// Default of <see cref="ConnectTimeout"/>: short, so a request during an outage fails within
    /// seconds with <see cref="AdoNetStorageErrorKind.Unreachable"/> instead of hanging for Npgsql's 15 s.
    /// </summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Default of <see cref="CommandTimeout"/>.</summary>
    public static readonly TimeSpan DefaultCommandTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// An Npgsql connection string, e.g. <c>Host=db;Port=5432;Username=federation;Password=…;Database=federation</c>.
    /// Its <c>Timeout</c>, <c>Command Timeout</c>, <c>Maximum Pool Size</c> (and <c>Search Path</c> when
    /// <see cref="Schema"/> is set) are replaced by the options below. Never logged.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// The PostgreSQL schema the tables live in, created on start if missing (the role then needs
    /// CREATE on the database). Null: the connection's search path decides (normally <c>public</c>).
    /// A lower-case identifier: letters, digits and underscores, at most 63 characters.
    /// </summary>
    public string? Schema { get; set; }

    /// <summary>How long opening a connection may take before the operation fails as unreachable.</summary>
    public TimeSpan ConnectTimeout { get; set; } = DefaultConnectTimeout;

    /// <summary>How long one statement may run.</summary>
    public TimeSpan CommandTimeout { get; set; } = DefaultCommandTimeout;

    /// <summary>Most connections the provider's Npgsql pool opens.</summary>
    public int MaxPoolSize { get; set; } = DefaultMaxPoolSize;
}

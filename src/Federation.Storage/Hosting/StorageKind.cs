namespace Federation.Storage;

/// <summary>Where the federation keeps its state.</summary>
public enum StorageKind
{
    /// <summary>Local SQLite files: state survives a restart (the embedded default).</summary>
    Sqlite,

    /// <summary>Process memory: fastest, lost on exit. For demos, tests and benchmarks.</summary>
    Memory,

    /// <summary>A PostgreSQL database: real deployments, several silos on one database.</summary>
    Postgres,
}

namespace Federation.Storage;

/// <summary>Why an ADO.NET provider operation failed, so a caller can tell an outage from a bug.</summary>
public enum AdoNetStorageErrorKind
{
    /// <summary>The database answered but the operation failed (bad schema, a constraint, a rolled-back group).</summary>
    Failed,

    /// <summary>
    /// The database could not be reached or the connection broke (server down, refused, timed out,
    /// restarting). Transient: the same call may succeed once the database is back. A write that fails
    /// this way may or may not have committed; callers retry idempotently.
    /// </summary>
    Unreachable,
}

/// <summary>
/// The database behind an ADO.NET provider could not be opened, reached, or its schema could not be
/// prepared (wrong path, no permission, server down, a schema newer than this build). The message
/// names the provider and the database (never credentials); the driver's exception is the inner exception.
/// </summary>
public sealed class AdoNetStorageException : Exception
{
    public AdoNetStorageException()
    {
    }

    public AdoNetStorageException(string message)
        : base(message)
    {
    }

    public AdoNetStorageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public AdoNetStorageException(string message, AdoNetStorageErrorKind kind, Exception? innerException)
        : base(message, innerException)
    {
        Kind = kind;
    }

    /// <summary>Whether this is an outage (<see cref="AdoNetStorageErrorKind.Unreachable"/>) or another failure.</summary>
    public AdoNetStorageErrorKind Kind { get; }

    /// <summary>True when the database could not be reached; the server answers 503 and retries later.</summary>
    public bool IsUnreachable => Kind == AdoNetStorageErrorKind.Unreachable;
}

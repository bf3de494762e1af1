namespace Federation.Actors.Storage;

/// <summary>
/// A write or clear carried an ETag that is not the stored one: another activation (or an earlier
/// one) changed the row. The stored row is unchanged. Do not retry the same write: re-read,
/// re-evaluate, then write. When it escapes a grain method the runtime deactivates that activation.
/// </summary>
public sealed class InconsistentStateException : Exception
{
    public InconsistentStateException()
    {
    }

    public InconsistentStateException(string message)
        : base(message)
    {
    }

    public InconsistentStateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public InconsistentStateException(string message, string? storedETag, string? currentETag)
        : base(message)
    {
        StoredETag = storedETag;
        CurrentETag = currentETag;
    }

    /// <summary>The ETag found in storage, when the provider could read it.</summary>
    public string? StoredETag { get; }

    /// <summary>The ETag the caller sent.</summary>
    public string? CurrentETag { get; }
}

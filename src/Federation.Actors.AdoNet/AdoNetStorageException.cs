namespace Federation.Actors.AdoNet;

/// <summary>
/// The database behind an ADO.NET provider could not be opened or its schema could not be prepared
/// (wrong path, no permission, a schema newer than this build). The message names the provider and
/// the database; the driver's exception is the inner exception.
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
}

namespace Federation.Actors.AdoNet;

/// <summary>
/// Hands out open, initialised connections. SQLite keeps its own small pool (one writer, a few readers);
/// a server database such as PostgreSQL can simply open a connection from its driver's pool per lease.
/// </summary>
public interface IAdoNetConnectionSource : IAsyncDisposable
{
    /// <summary>Waits for a connection. The lease must be disposed to give it back.</summary>
    ValueTask<AdoNetLease> AcquireAsync(AdoNetAccess access, CancellationToken cancellationToken);

    /// <summary>Gives a leased connection back; called by <see cref="AdoNetLease.Dispose"/>.</summary>
    void Release(AdoNetConnection connection, AdoNetAccess access);
}

/// <summary>A leased connection; dispose it to give it back.</summary>
public readonly struct AdoNetLease : IDisposable
{
    private readonly IAdoNetConnectionSource _source;
    private readonly AdoNetAccess _access;

    public AdoNetLease(IAdoNetConnectionSource source, AdoNetConnection connection, AdoNetAccess access)
    {
        _source = source;
        _access = access;
        Connection = connection;
    }

    public AdoNetConnection Connection { get; }

    public void Dispose() => _source?.Release(Connection, _access);
}

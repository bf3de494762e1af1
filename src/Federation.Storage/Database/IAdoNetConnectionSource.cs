namespace Federation.Storage;

/// <summary>
/// Hands out open, initialised connections. SQLite keeps its own small pool (one writer with group
/// commit, a few readers); a server database such as PostgreSQL can simply open a connection from its
/// driver's pool per lease, run a write of several statements in a transaction of its own, and a
/// one-statement write in autocommit.
/// </summary>
public interface IAdoNetConnectionSource : IAsyncDisposable
{
    /// <summary>Waits for a connection. The lease must be disposed to give it back.</summary>
    ValueTask<AdoNetLease> AcquireAsync(AdoNetAccess access, CancellationToken cancellationToken);

    /// <summary>Gives a leased connection back; called by <see cref="AdoNetLease.Dispose"/>.</summary>
    void Release(AdoNetConnection connection, AdoNetAccess access);

    /// <summary>
    /// Runs one row write and returns only once it is durably committed. All statements of
    /// <paramref name="work"/> commit atomically, in one transaction (a row and its index entries never
    /// disagree). A source may commit several concurrent writes in one transaction (group commit); each
    /// write's statements still see the effects of the writes before it. If the commit fails, every
    /// write in it fails and none is stored.
    /// </summary>
    /// <param name="work">The statements; they must not start or end a transaction themselves.</param>
    /// <param name="state">Passed to <paramref name="work"/>, so the delegate can be static.</param>
    /// <param name="cancellationToken">Honoured until the write starts; a started write runs to its commit.</param>
    Task<TResult> WriteAsync<TState, TResult>(Func<AdoNetConnection, TState, Task<TResult>> work, TState state, CancellationToken cancellationToken);

    /// <summary>
    /// Runs a row write that is exactly <b>one statement</b> and returns only once it is durably
    /// committed, with the guarantees of <see cref="WriteAsync"/>. A server database may run it in
    /// autocommit (the statement is its own transaction), which saves the <c>BEGIN</c> and <c>COMMIT</c>
    /// round trips; a source that shares commits between writes (SQLite's group commit) runs it as any
    /// other write, which is what this default does.
    /// </summary>
    /// <param name="work">Exactly one statement: a second one would commit on its own.</param>
    /// <param name="state">Passed to <paramref name="work"/>, so the delegate can be static.</param>
    /// <param name="cancellationToken">Honoured until the write starts; a started write runs to its commit.</param>
    Task<TResult> WriteStatementAsync<TState, TResult>(Func<AdoNetConnection, TState, Task<TResult>> work, TState state, CancellationToken cancellationToken) =>
        WriteAsync(work, state, cancellationToken);

    /// <summary>
    /// A leased connection broke because the database became unreachable: a pooling source drops its
    /// idle connections, which are dead too, so the next lease opens a fresh one.
    /// </summary>
    void ConnectionFailed()
    {
    }
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

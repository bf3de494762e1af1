using System.Data.Common;
using Npgsql;

namespace Federation.Storage.Postgres;

/// <summary>
/// Connections from an <see cref="NpgsqlDataSource"/> pool, one per lease; each write runs in a
/// transaction of its own, a one-statement write (every row write of the PostgreSQL dialect) in
/// autocommit, so it costs one round trip. No group commit here: a pooled PostgreSQL commit costs a round trip
/// and one WAL flush that the server already shares between concurrent committers (its own group commit),
/// so batching writes here would add latency and coupling for little gain (docs/storage.md).
/// A failure to reach the server, or a connection that breaks, becomes an
/// <see cref="AdoNetStorageException"/> of kind <see cref="AdoNetStorageErrorKind.Unreachable"/>, and the
/// pool is cleared so no other dead idle connection is handed out afterwards: the next operation opens a
/// fresh connection and succeeds as soon as the server is back.
/// </summary>
public sealed class PostgresConnectionSource : IAdoNetConnectionSource
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresDialect _dialect;
    private readonly string _displayName;
    private readonly bool _ownsDataSource;
    private long _commits;

    /// <param name="dataSource">The pool.</param>
    /// <param name="dialect">Classifies failures.</param>
    /// <param name="displayName">Names the server in errors: host, port and database, never credentials.</param>
    /// <param name="ownsDataSource">True: disposing this instance disposes the pool. False: the pool is another's (shared).</param>
    public PostgresConnectionSource(NpgsqlDataSource dataSource, PostgresDialect dialect, string displayName, bool ownsDataSource = true)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(dialect);
        ArgumentException.ThrowIfNullOrWhiteSpace(displayName);
        _dataSource = dataSource;
        _dialect = dialect;
        _displayName = displayName;
        _ownsDataSource = ownsDataSource;
    }

    /// <summary>Transactions committed through <see cref="WriteAsync"/> and <see cref="WriteStatementAsync"/> (diagnostics).</summary>
    public long Commits => Interlocked.Read(ref _commits);

    public async ValueTask<AdoNetLease> AcquireAsync(AdoNetAccess access, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return new AdoNetLease(this, connection, access);
    }

    public void Release(AdoNetConnection connection, AdoNetAccess access)
    {
        ArgumentNullException.ThrowIfNull(connection);

        // Returns the physical connection to the pool (a broken one is discarded by Npgsql).
        connection.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    public async Task<TResult> WriteAsync<TState, TResult>(Func<AdoNetConnection, TState, Task<TResult>> work, TState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            try
            {
                // Not cancellable once started, as on SQLite: the caller learns the outcome of a write it began.
                await using var transaction = await connection.Connection.BeginTransactionAsync(CancellationToken.None).ConfigureAwait(false);
                var result = await work(connection, state).ConfigureAwait(false);
                await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
                Interlocked.Increment(ref _commits);
                return result;
            }
            catch (Exception exception) when (exception is DbException or IOException or TimeoutException && _dialect.IsUnreachable(exception))
            {
                throw Unreachable("A write (which may or may not have committed)", exception);
            }
        }
    }

    /// <summary>
    /// Runs the one statement in autocommit: Npgsql sends it with its <c>Sync</c>, the server commits it
    /// as a transaction of its own (flushing the WAL with <c>synchronous_commit=on</c>) before it answers
    /// <c>ReadyForQuery</c>, and the command completes only after that answer. So the caller is
    /// acknowledged after the commit, as with <see cref="WriteAsync"/>, in one round trip instead of two
    /// (<c>BEGIN</c> + statement, then <c>COMMIT</c>).
    /// </summary>
    public async Task<TResult> WriteStatementAsync<TState, TResult>(Func<AdoNetConnection, TState, Task<TResult>> work, TState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            try
            {
                var result = await work(connection, state).ConfigureAwait(false);
                Interlocked.Increment(ref _commits);
                return result;
            }
            catch (Exception exception) when (exception is DbException or IOException or TimeoutException && _dialect.IsUnreachable(exception))
            {
                throw Unreachable("A write (which may or may not have committed)", exception);
            }
        }
    }

    public ValueTask DisposeAsync() => _ownsDataSource ? _dataSource.DisposeAsync() : ValueTask.CompletedTask;

    private async Task<AdoNetConnection> OpenAsync(CancellationToken cancellationToken)
    {
        try
        {
            var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            return new AdoNetConnection(connection);
        }
        catch (Exception exception) when (exception is DbException or IOException or TimeoutException && _dialect.IsUnreachable(exception))
        {
            throw Unreachable("Connecting", exception);
        }
    }

    /// <summary>Idle connections opened before an outage are dead too: drop them rather than fail on each in turn.</summary>
    public void ConnectionFailed() => _dataSource.Clear();

    private AdoNetStorageException Unreachable(string operation, Exception exception)
    {
        ConnectionFailed();
        return AdoNetDatabase.UnreachableError(_dialect.Name, _displayName, operation, exception);
    }
}

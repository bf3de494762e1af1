using System.Collections.Concurrent;
using System.Data;
using Microsoft.Data.Sqlite;

namespace Federation.Actors.AdoNet.Sqlite;

/// <summary>
/// SQLite allows one writer at a time per database file. Rather than let many threads collide on the
/// file lock (Microsoft.Data.Sqlite then backs off in 150 ms sleeps), all writes of this process go
/// through one connection behind an async gate, in arrival order; reads use a small pool of their own
/// connections, which in WAL mode never wait for the writer. The busy timeout is left for other
/// processes (or other providers) that share the file.
/// Driver pooling is off: this class is the pool, and disposing it really closes the file.
/// </summary>
public sealed class SqliteConnectionSource : IAdoNetConnectionSource
{
    private readonly string _connectionString;
    private readonly IReadOnlyList<string> _initStatements;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly SemaphoreSlim _readSlots;
    private readonly ConcurrentBag<AdoNetConnection> _idleReaders = [];
    private readonly SqliteDialect _dialect;
    private AdoNetConnection? _writer;
    private volatile bool _disposed;

    public SqliteConnectionSource(SqliteDialect dialect, string connectionString, int maxReadConnections)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxReadConnections, 1);
        _dialect = dialect;
        _connectionString = new SqliteConnectionStringBuilder(connectionString) { Pooling = false }.ToString();
        _initStatements = dialect.ConnectionInitStatements;
        _readSlots = new SemaphoreSlim(maxReadConnections, maxReadConnections);
    }

    public async ValueTask<AdoNetLease> AcquireAsync(AdoNetAccess access, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (access == AdoNetAccess.Write)
        {
            await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                _writer ??= await OpenAsync(cancellationToken).ConfigureAwait(false);
                return new AdoNetLease(this, _writer, access);
            }
            catch
            {
                _writeGate.Release();
                throw;
            }
        }

        await _readSlots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var reader = _idleReaders.TryTake(out var idle) ? idle : await OpenAsync(cancellationToken).ConfigureAwait(false);
            return new AdoNetLease(this, reader, access);
        }
        catch
        {
            _readSlots.Release();
            throw;
        }
    }

    public void Release(AdoNetConnection connection, AdoNetAccess access)
    {
        if (access == AdoNetAccess.Write)
        {
            if (connection.Connection.State != ConnectionState.Open)
            {
                _writer = null;
                connection.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            _writeGate.Release();
            return;
        }

        if (_disposed || connection.Connection.State != ConnectionState.Open)
        {
            connection.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        else
        {
            _idleReaders.Add(connection);
        }

        _readSlots.Release();
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;

        // Wait out an in-flight write so its connection is not closed under it.
        await _writeGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_writer is not null)
            {
                await _writer.DisposeAsync().ConfigureAwait(false);
                _writer = null;
            }
        }
        finally
        {
            _writeGate.Release();
        }

        while (_idleReaders.TryTake(out var reader))
        {
            await reader.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<AdoNetConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = _dialect.CreateConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            foreach (var statement in _initStatements)
            {
                await using var command = connection.CreateCommand();
                command.CommandText = statement;
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return new AdoNetConnection(connection);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}

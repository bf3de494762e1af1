using System.Collections.Concurrent;
using System.Data;
using Microsoft.Data.Sqlite;

namespace Federation.Storage.Sqlite;

/// <summary>
/// SQLite admits one writer at a time per database file. Rather than let many threads collide on the
/// file lock (Microsoft.Data.Sqlite then backs off in 150 ms sleeps), all writes of this source go
/// through one connection behind an async gate, in arrival order, and writes that queue up behind
/// each other share one transaction: <b>group commit</b>. The last write of a burst (no writer is
/// waiting, or <see cref="MaxWritesPerCommit"/> is reached) commits for all of them, so one fsync
/// acknowledges many writes, and nobody is acknowledged before that commit. Reads use a small pool of
/// their own connections, which in WAL mode see only committed data and never wait for the writer.
/// The busy timeout is left for other processes (or other sources) sharing the file.
/// Driver pooling is off: this class is the pool, and disposing it really closes the file.
/// </summary>
public sealed class SqliteConnectionSource : IAdoNetConnectionSource
{
    /// <summary>Bounds how long a write can wait for its commit under continuous load.</summary>
    public const int MaxWritesPerCommit = 256;

    private const string Begin = "BEGIN IMMEDIATE";
    private const string Commit = "COMMIT";
    private const string Rollback = "ROLLBACK";

    private readonly string _connectionString;
    private readonly IReadOnlyList<string> _initStatements;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly SemaphoreSlim _readSlots;
    private readonly ConcurrentBag<AdoNetConnection> _idleReaders = [];
    private readonly SqliteDialect _dialect;
    private AdoNetConnection? _writer;
    private Batch? _batch;
    private int _waitingWriters;
    private long _commits;
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

    /// <summary>Transactions committed so far (for tests and diagnostics: writes ÷ commits is the group size).</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Writers waiting for the writer connection (for tests that need a queue to have formed).</summary>
    internal int WaitingWriters => Volatile.Read(ref _waitingWriters);

    public async ValueTask<AdoNetLease> AcquireAsync(AdoNetAccess access, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (access == AdoNetAccess.Write)
        {
            await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                _writer ??= await OpenAsync(cancellationToken).ConfigureAwait(false);

                // An exclusive user manages its own transaction: close the open group first.
                await CommitBatchAsync(_writer).ConfigureAwait(false);
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

    public async Task<TResult> WriteAsync<TState, TResult>(Func<AdoNetConnection, TState, Task<TResult>> work, TState state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(_disposed, this);

        // Counted before waiting, so the holder of the gate knows someone will continue its batch.
        // The wait is not cancellable for the same reason: a counted writer must take its turn.
        Interlocked.Increment(ref _waitingWriters);
        try
        {
            await _writeGate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _waitingWriters);
        }

        Batch batch;
        TResult result;
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _writer ??= await OpenAsync(CancellationToken.None).ConfigureAwait(false);
            if (_batch is null)
            {
                await ExecuteAsync(_writer, Begin).ConfigureAwait(false);
                _batch = new Batch();
            }

            batch = _batch;
            batch.Writes++;

            // Not cancellable: interrupting a statement inside the transaction would roll back the
            // writes of others that share it.
            result = await work(_writer, state).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            await AbortBatchAsync(exception).ConfigureAwait(false);
            _writeGate.Release();
            throw;
        }

        if (Volatile.Read(ref _waitingWriters) == 0 || batch.Writes >= MaxWritesPerCommit)
        {
            try
            {
                await CommitBatchAsync(_writer).ConfigureAwait(false);
            }
            finally
            {
                _writeGate.Release();
            }
        }
        else
        {
            // A waiting writer continues this transaction; the last one of the burst commits it.
            _writeGate.Release();
        }

        await batch.Committed.Task.ConfigureAwait(false);
        return result;
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
                await CommitBatchAsync(_writer).ConfigureAwait(false);
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

    /// <summary>Commits the open batch, if any; its writers learn the outcome. Call holding the gate.</summary>
    private async Task CommitBatchAsync(AdoNetConnection writer)
    {
        var batch = _batch;
        if (batch is null)
        {
            return;
        }

        _batch = null;
        try
        {
            await ExecuteAsync(writer, Commit).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            await TryRollbackAsync(writer).ConfigureAwait(false);
            batch.Committed.TrySetException(new AdoNetStorageException($"The commit of {batch.Writes} write(s) failed; none of them is stored: {exception.Message}", exception));
            return;
        }

        Interlocked.Increment(ref _commits);
        batch.Committed.TrySetResult();
    }

    /// <summary>A write of the batch failed: roll back all of it. Call holding the gate.</summary>
    private async Task AbortBatchAsync(Exception cause)
    {
        var batch = _batch;
        if (batch is null)
        {
            return;
        }

        _batch = null;
        if (_writer is not null)
        {
            await TryRollbackAsync(_writer).ConfigureAwait(false);
        }

        batch.Committed.TrySetException(new AdoNetStorageException(
            $"This write was rolled back with the {batch.Writes} write(s) sharing its commit, because one of them failed: {cause.Message}", cause));

        // The failed write itself never awaits the batch: mark the exception observed.
        _ = batch.Committed.Task.Exception;
    }

    private async Task TryRollbackAsync(AdoNetConnection writer)
    {
        try
        {
            await ExecuteAsync(writer, Rollback).ConfigureAwait(false);
        }
        catch (SqliteException)
        {
            // SQLite may already have rolled back on the failure (I/O error, disk full): the
            // transaction is gone either way. A connection in doubt is replaced.
            await writer.DisposeAsync().ConfigureAwait(false);
            _writer = null;
        }
    }

    private static Task ExecuteAsync(AdoNetConnection connection, string sql) =>
        connection.Command(sql).ExecuteNonQueryAsync(CancellationToken.None);

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

    /// <summary>One open transaction and the writes in it.</summary>
    private sealed class Batch
    {
        public TaskCompletionSource Committed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Writes { get; set; }
    }
}

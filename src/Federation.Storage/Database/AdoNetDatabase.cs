using System.Data.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Federation.Storage;

/// <summary>
/// One database as the project sees it: a dialect, a connection source, and the schema components it holds,
/// created or migrated once per instance before the first statement. The schema step runs in a
/// transaction that excludes other initialisers (SQLite <c>BEGIN IMMEDIATE</c>, a PostgreSQL advisory
/// lock) and is guarded by each component's version row, so any number of processes may start against one
/// database at once.
/// </summary>
public sealed class AdoNetDatabase : IStorageHealthCheck, IAsyncDisposable
{
    private readonly SemaphoreSlim _initGate = new(1, 1);
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private int _owners = 1;
    private volatile bool _initialized;

    /// <param name="dialect">The database's dialect.</param>
    /// <param name="connections">Where connections come from; owned (disposed) by this instance.</param>
    /// <param name="displayName">Names the database in errors and logs (a file path, never a password).</param>
    /// <param name="components">The schema components this database holds.</param>
    public AdoNetDatabase(AdoNetDialect dialect, IAdoNetConnectionSource connections, string displayName, IReadOnlyList<SchemaComponent> components, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        ArgumentNullException.ThrowIfNull(connections);
        ArgumentException.ThrowIfNullOrWhiteSpace(displayName);
        ArgumentNullException.ThrowIfNull(components);
        Dialect = dialect;
        Components = components;
        Connections = connections;
        DisplayName = displayName;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    public AdoNetDialect Dialect { get; }

    public IAdoNetConnectionSource Connections { get; }

    public string DisplayName { get; }

    /// <summary>The schema components this database holds.</summary>
    public IReadOnlyList<SchemaComponent> Components { get; }

    /// <summary>The schema version of <paramref name="component"/> this build creates and expects.</summary>
    public int SchemaVersion(SchemaComponent component) => Dialect.Migrations(component).Count;

    /// <summary>Ensures the schema, then leases a connection.</summary>
    public async ValueTask<AdoNetLease> AcquireAsync(AdoNetAccess access, CancellationToken cancellationToken)
    {
        if (!_initialized)
        {
            await InitializeAsync(cancellationToken).ConfigureAwait(false);
        }

        return await Connections.AcquireAsync(access, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Ensures the schema, then runs one row write to its commit (see <see cref="IAdoNetConnectionSource.WriteAsync"/>).</summary>
    public async Task<TResult> WriteAsync<TState, TResult>(Func<AdoNetConnection, TState, Task<TResult>> work, TState state, CancellationToken cancellationToken)
    {
        if (!_initialized)
        {
            await InitializeAsync(cancellationToken).ConfigureAwait(false);
        }

        return await Connections.WriteAsync(work, state, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Ensures the schema, then runs a one-statement row write to its commit (see <see cref="IAdoNetConnectionSource.WriteStatementAsync"/>).</summary>
    public async Task<TResult> WriteStatementAsync<TState, TResult>(Func<AdoNetConnection, TState, Task<TResult>> work, TState state, CancellationToken cancellationToken)
    {
        if (!_initialized)
        {
            await InitializeAsync(cancellationToken).ConfigureAwait(false);
        }

        return await Connections.WriteStatementAsync(work, state, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Creates or migrates the schema unless this instance already did. A failure is not cached: the
    /// next call tries again, so a database that comes back is picked up.
    /// </summary>
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        if (_initialized)
        {
            return;
        }

        await _initGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_initialized)
            {
                return;
            }

            await MigrateAsync(cancellationToken).ConfigureAwait(false);
            _initialized = true;
        }
        catch (AdoNetStorageException exception)
        {
            Log.SchemaFailed(_logger, Dialect.Name, DisplayName, exception);
            throw;
        }
        catch (DbException exception)
        {
            Log.SchemaFailed(_logger, Dialect.Name, DisplayName, exception);
            throw new AdoNetStorageException(
                $"The {Dialect.Name} database '{DisplayName}' could not be opened or prepared: {exception.Message} " +
                "Check that the path (or server) in the connection string exists and is writable by this process.",
                Dialect.IsUnreachable(exception) ? AdoNetStorageErrorKind.Unreachable : AdoNetStorageErrorKind.Failed,
                exception);
        }
        finally
        {
            _initGate.Release();
        }
    }

    /// <summary>
    /// Prepares the schema if needed and runs <see cref="AdoNetDialect.HealthCheckStatement"/> on a read
    /// connection. An outage is reported, not thrown; cancellation is thrown.
    /// </summary>
    public async Task<StorageHealth> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await InitializeAsync(cancellationToken).ConfigureAwait(false);
            using var lease = await Connections.AcquireAsync(AdoNetAccess.Read, cancellationToken).ConfigureAwait(false);
            await lease.Connection.Command(Dialect.HealthCheckStatement).ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return new StorageHealth(true, $"{Dialect.Name} database '{DisplayName}' is reachable.");
        }
        catch (AdoNetStorageException exception)
        {
            return new StorageHealth(false, exception.Message);
        }
        catch (DbException exception)
        {
            return new StorageHealth(false, $"{Dialect.Name} database '{DisplayName}' is unreachable: {exception.Message}");
        }
    }

    /// <summary>True when <paramref name="exception"/> from a statement means the database could not be reached.</summary>
    public bool IsConnectionFailure(Exception exception) =>
        exception is DbException or IOException or TimeoutException && Dialect.IsUnreachable(exception);

    /// <summary>
    /// The typed outage error for a statement that failed because the connection broke; tells the
    /// connection source, so it does not hand out the other dead connections.
    /// </summary>
    public AdoNetStorageException Unreachable(string operation, Exception exception)
    {
        Connections.ConnectionFailed();
        return UnreachableError(Dialect.Name, DisplayName, operation, exception);
    }

    /// <summary>The message every outage error of a provider carries: database, what failed, the driver's reason.</summary>
    public static AdoNetStorageException UnreachableError(string dialect, string displayName, string operation, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return new AdoNetStorageException(
            $"The {dialect} database '{displayName}' is unreachable. {operation} failed: {exception.Message}",
            AdoNetStorageErrorKind.Unreachable,
            exception);
    }

    /// <summary>True once the last owner has disposed it.</summary>
    public bool IsDisposed => Volatile.Read(ref _owners) <= 0;

    /// <summary>
    /// Adds an owner (a second provider on the same database), so that providers sharing one file
    /// share its writer; the connections close when the last owner disposes. False if already closed.
    /// </summary>
    public bool TryAddOwner()
    {
        var owners = Volatile.Read(ref _owners);
        while (owners > 0)
        {
            var seen = Interlocked.CompareExchange(ref _owners, owners + 1, owners);
            if (seen == owners)
            {
                return true;
            }

            owners = seen;
        }

        return false;
    }

    /// <summary>Releases one owner; the last one closes the connections.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Decrement(ref _owners) != 0)
        {
            return;
        }

        await Connections.DisposeAsync().ConfigureAwait(false);
        _initGate.Dispose();
    }

    private async Task MigrateAsync(CancellationToken cancellationToken)
    {
        using var lease = await Connections.AcquireAsync(AdoNetAccess.Write, cancellationToken).ConfigureAwait(false);
        var connection = lease.Connection.Connection;
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (Dialect.SchemaLockStatement is { } lockStatement)
        {
            await ExecuteAsync(connection, transaction, lockStatement, cancellationToken).ConfigureAwait(false);
        }

        await ExecuteAsync(connection, transaction, Dialect.CreateSchemaVersionTable, cancellationToken).ConfigureAwait(false);
        var changed = false;
        foreach (var component in Components)
        {
            var name = SchemaComponents.NameOf(component);
            var migrations = Dialect.Migrations(component);
            var current = await ReadVersionAsync(connection, transaction, name, cancellationToken).ConfigureAwait(false);
            var target = migrations.Count;
            if (current > target)
            {
                throw new AdoNetStorageException(
                    $"The {Dialect.Name} database '{DisplayName}' has schema version {current} of '{name}', newer than the {target} this build supports. " +
                    "Run a build at least as new as the one that migrated it.");
            }

            if (current == target)
            {
                Log.SchemaCurrent(_logger, Dialect.Name, DisplayName, name, current);
                continue;
            }

            for (var version = current; version < target; version++)
            {
                foreach (var statement in migrations[version])
                {
                    await ExecuteAsync(connection, transaction, statement, cancellationToken).ConfigureAwait(false);
                }
            }

            await using (var command = CreateCommand(connection, transaction, current == 0 ? Dialect.InsertSchemaVersion : Dialect.UpdateSchemaVersion))
            {
                AdoNetConnection.Bind(command, "@component", name);
                AdoNetConnection.Bind(command, "@version", (long)target);
                AdoNetConnection.Bind(command, "@appliedon", Dialect.ToDbTimestamp(_timeProvider.GetUtcNow()));
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            Log.SchemaMigrated(_logger, Dialect.Name, DisplayName, name, current, target);
            changed = true;
        }

        if (changed)
        {
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<int> ReadVersionAsync(DbConnection connection, DbTransaction transaction, string component, CancellationToken cancellationToken)
    {
        await using var command = CreateCommand(connection, transaction, Dialect.ReadSchemaVersion);
        AdoNetConnection.Bind(command, "@component", component);
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is null or DBNull ? 0 : Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = CreateCommand(connection, transaction, sql);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static DbCommand CreateCommand(DbConnection connection, DbTransaction transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }
}

using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Federation.Actors.AdoNet.Sqlite;

/// <summary>
/// One <see cref="AdoNetDatabase"/> per SQLite file in a container, so every provider registered on
/// that file (several named grain storages, the reminder table) shares one writer connection and one
/// group commit instead of contending for the file lock through the busy timeout. Providers whose
/// connection settings differ (busy timeout, synchronous mode, reader count) get a database object of
/// their own.
/// </summary>
public sealed class SqliteDatabases
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Key, AdoNetDatabase> _databases = [];
    private readonly TimeProvider? _timeProvider;
    private readonly ILoggerFactory? _loggerFactory;

    public SqliteDatabases(TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        _timeProvider = timeProvider;
        _loggerFactory = loggerFactory;
    }

    /// <summary>The shared database for the options' file; the caller owns one reference and disposes it.</summary>
    public AdoNetDatabase Acquire(string name, SqliteStorageOptions options)
    {
        SqliteStorageOptionsValidator.ThrowIfInvalid(name, options);
        var key = new Key(
            Path.GetFullPath(new SqliteConnectionStringBuilder(options.ConnectionString).DataSource),
            options.BusyTimeout,
            options.Synchronous,
            options.MaxReadConnections);
        lock (_gate)
        {
            if (_databases.TryGetValue(key, out var shared) && shared.TryAddOwner())
            {
                return shared;
            }

            var database = SqliteStorage.CreateDatabase(name, options, _timeProvider, _loggerFactory?.CreateLogger<AdoNetDatabase>());
            _databases[key] = database;
            return database;
        }
    }

    private readonly record struct Key(string FullPath, TimeSpan BusyTimeout, SqliteSynchronousMode Synchronous, int MaxReadConnections);
}

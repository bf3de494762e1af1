using Federation.Actors.Storage;
using Microsoft.Extensions.Logging;

namespace Federation.Actors.AdoNet.Sqlite;

/// <summary>Builds the SQLite providers from <see cref="SqliteStorageOptions"/>, with or without DI.</summary>
public static class SqliteStorage
{
    /// <summary>Opens (lazily) the database the options name, with this dialect's connection pool.</summary>
    public static AdoNetDatabase CreateDatabase(string name, SqliteStorageOptions options, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        SqliteStorageOptionsValidator.ThrowIfInvalid(name, options);
        var dialect = new SqliteDialect(options.BusyTimeout, options.Synchronous);
        var source = new SqliteConnectionSource(dialect, options.ConnectionString!, options.MaxReadConnections);
        return new AdoNetDatabase(dialect, source, SqliteStorageOptionsValidator.DataSourceOf(options), timeProvider, logger);
    }

    /// <summary>
    /// A grain storage on the database the options name. Pass <paramref name="databases"/> to share
    /// the file's writer with other providers on it; without, the storage opens a database of its own.
    /// </summary>
    public static AdoNetGrainStorage CreateGrainStorage(
        string name,
        SqliteStorageOptions options,
        IGrainStorageSerializer serializer,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        SqliteDatabases? databases = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var database = databases?.Acquire(name, options) ?? CreateDatabase(name, options, timeProvider, loggerFactory?.CreateLogger<AdoNetDatabase>());
        return new AdoNetGrainStorage(name, database, options.ServiceId, options.DeleteStateOnClear, serializer, timeProvider, loggerFactory?.CreateLogger<AdoNetGrainStorage>());
    }

    /// <summary>A reminder table on the database the options name; <paramref name="databases"/> as for <see cref="CreateGrainStorage"/>.</summary>
    public static AdoNetReminderTable CreateReminderTable(
        SqliteStorageOptions options,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        SqliteDatabases? databases = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string Name = SqliteServiceCollectionExtensions.ReminderOptionsName;
        var database = databases?.Acquire(Name, options) ?? CreateDatabase(Name, options, timeProvider, loggerFactory?.CreateLogger<AdoNetDatabase>());
        return new AdoNetReminderTable(database, options.ServiceId);
    }
}

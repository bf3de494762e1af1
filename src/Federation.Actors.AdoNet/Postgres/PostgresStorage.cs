using Federation.Actors.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Federation.Actors.AdoNet.Postgres;

/// <summary>Builds the PostgreSQL providers from <see cref="PostgresStorageOptions"/>, with or without DI.</summary>
public static class PostgresStorage
{
    /// <summary>The options' connection string with the options' timeouts, pool size and schema applied.</summary>
    public static string EffectiveConnectionString(PostgresStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString)
        {
            Timeout = (int)Math.Ceiling(options.ConnectTimeout.TotalSeconds),
            CommandTimeout = (int)Math.Ceiling(options.CommandTimeout.TotalSeconds),
            MaxPoolSize = options.MaxPoolSize,

            // The statements are a fixed handful: prepare each on first use per physical connection.
            MaxAutoPrepare = 32,
            AutoPrepareMinUsages = 1,

            // The providers never change session state (the search path is a startup parameter), so
            // the reset Npgsql would otherwise run on every return to the pool is a wasted round trip.
            NoResetOnClose = true,
        };
        if (options.Schema is not null)
        {
            builder.SearchPath = options.Schema;
        }

        return builder.ConnectionString;
    }

    /// <summary>Host, port, database and schema the options name, for logs and errors: never the user or password.</summary>
    public static string DisplayNameOf(PostgresStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        var name = $"{builder.Host}:{builder.Port}/{builder.Database}";
        return options.Schema is null ? name : $"{name} (schema {options.Schema})";
    }

    /// <summary>A database object with its own connection pool; the schema is prepared on first use.</summary>
    public static AdoNetDatabase CreateDatabase(string name, PostgresStorageOptions options, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        PostgresStorageOptionsValidator.ThrowIfInvalid(name, options);
        var dialect = new PostgresDialect(options.Schema);
        var builder = new NpgsqlDataSourceBuilder(EffectiveConnectionString(options));
        if (loggerFactory is not null)
        {
            // Npgsql logs host and database only; parameter values stay out of its logs by default.
            builder.UseLoggerFactory(loggerFactory);
        }

        var displayName = DisplayNameOf(options);
        var source = new PostgresConnectionSource(builder.Build(), dialect, displayName);
        return new AdoNetDatabase(dialect, source, displayName, timeProvider, loggerFactory?.CreateLogger<AdoNetDatabase>());
    }

    /// <summary>A grain storage with a connection pool of its own.</summary>
    public static AdoNetGrainStorage CreateGrainStorage(
        string name,
        PostgresStorageOptions options,
        IGrainStorageSerializer serializer,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var database = CreateDatabase(name, options, timeProvider, loggerFactory);
        return new AdoNetGrainStorage(name, database, options.ServiceId, options.DeleteStateOnClear, serializer, timeProvider, loggerFactory?.CreateLogger<AdoNetGrainStorage>());
    }

    /// <summary>A reminder table with a connection pool of its own.</summary>
    public static AdoNetReminderTable CreateReminderTable(PostgresStorageOptions options, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var database = CreateDatabase(PostgresServiceCollectionExtensions.ReminderOptionsName, options, timeProvider, loggerFactory);
        return new AdoNetReminderTable(database, options.ServiceId);
    }
}

using Microsoft.Extensions.Logging;
using Npgsql;

namespace Federation.Storage.Postgres;

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

    /// <summary>The connection pool the options describe (owned by the caller): the job store and Orleans' provider share it.</summary>
    public static NpgsqlDataSource CreateDataSource(PostgresStorageOptions options, ILoggerFactory? loggerFactory = null)
    {
        PostgresStorageOptionsValidator.ThrowIfInvalid(nameof(PostgresStorageOptions), options);
        var builder = new NpgsqlDataSourceBuilder(EffectiveConnectionString(options));
        if (loggerFactory is not null)
        {
            // Npgsql logs host and database only; parameter values stay out of its logs by default.
            builder.UseLoggerFactory(loggerFactory);
        }

        return builder.Build();
    }

    /// <summary>The database holding the job table, the audit table and Orleans' persistence on <paramref name="dataSource"/> (owned); the schema is prepared on first use.</summary>
    public static AdoNetDatabase CreateDatabase(PostgresStorageOptions options, NpgsqlDataSource dataSource, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null) =>
        Create(options, dataSource, ownsDataSource: true, [SchemaComponent.Jobs, SchemaComponent.Audit, SchemaComponent.OrleansPersistence], timeProvider, loggerFactory);

    /// <summary>
    /// The database holding Orleans' clustering (<see cref="SchemaComponent.OrleansClustering"/>) on
    /// <paramref name="dataSource"/>, which it disposes only if <paramref name="ownsDataSource"/>. Orleans' provider
    /// does not go through it: the schema must be prepared (<see cref="AdoNetDatabase.InitializeAsync"/>) before the
    /// membership table initialises.
    /// </summary>
    public static AdoNetDatabase CreateClusteringDatabase(PostgresStorageOptions options, NpgsqlDataSource dataSource, bool ownsDataSource, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null) =>
        Create(options, dataSource, ownsDataSource, [SchemaComponent.OrleansClustering], timeProvider, loggerFactory);

    private static AdoNetDatabase Create(PostgresStorageOptions options, NpgsqlDataSource dataSource, bool ownsDataSource, IReadOnlyList<SchemaComponent> components, TimeProvider? timeProvider, ILoggerFactory? loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        var dialect = new PostgresDialect(options.Schema);
        var displayName = DisplayNameOf(options);
        var source = new PostgresConnectionSource(dataSource, dialect, displayName, ownsDataSource);
        return new AdoNetDatabase(dialect, source, displayName, components, timeProvider, loggerFactory?.CreateLogger<AdoNetDatabase>());
    }
}

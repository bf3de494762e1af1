using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Federation.Storage.Sqlite;

/// <summary>Opens the SQLite databases <see cref="SqliteStorageOptions"/> names, with or without DI.</summary>
public static class SqliteStorage
{
    /// <summary>
    /// The job file: the job table and the audit table (so a job row and its audit entries commit together), one writer
    /// connection with group commit, a few readers.
    /// </summary>
    public static AdoNetDatabase CreateJobDatabase(SqliteStorageOptions options, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        SqliteStorageOptionsValidator.ThrowIfInvalid(nameof(SqliteStorageOptions), options);
        return Create(options, options.ConnectionString!, [SchemaComponent.Jobs, SchemaComponent.Audit], timeProvider, loggerFactory);
    }

    /// <summary>
    /// The grain-state file: Orleans' tables and queries. Orleans' provider opens its own connections to it; this
    /// database object prepares the schema (and sets WAL mode, which stays with the file) and answers health checks.
    /// </summary>
    public static AdoNetDatabase CreateGrainStateDatabase(SqliteStorageOptions options, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        SqliteStorageOptionsValidator.ThrowIfInvalid(nameof(SqliteStorageOptions), options);
        return Create(options, options.EffectiveGrainStateConnectionString(), [SchemaComponent.OrleansPersistence], timeProvider, loggerFactory);
    }

    /// <summary>The connection string Orleans' provider uses for the grain-state file: its busy timeout is the options'.</summary>
    public static string OrleansConnectionString(SqliteStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new SqliteConnectionStringBuilder(options.EffectiveGrainStateConnectionString())
        {
            DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
        }.ToString();
    }

    /// <summary>The file a connection string names, for logs and errors (never the whole connection string).</summary>
    public static string FileOf(string connectionString) => new SqliteConnectionStringBuilder(connectionString).DataSource;

    private static AdoNetDatabase Create(SqliteStorageOptions options, string connectionString, IReadOnlyList<SchemaComponent> components, TimeProvider? timeProvider, ILoggerFactory? loggerFactory)
    {
        var file = FileOf(connectionString);
        if (Path.GetDirectoryName(Path.GetFullPath(file)) is { Length: > 0 } folder)
        {
            try
            {
                Directory.CreateDirectory(folder);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // The same typed error as a file that cannot be opened, so a silo's start reports it in one line.
                throw new AdoNetStorageException(
                    $"The SQLite database '{file}' could not be opened or prepared: {exception.Message} " +
                    "Check that the path (or server) in the connection string exists and is writable by this process.",
                    AdoNetStorageErrorKind.Failed,
                    exception);
            }
        }

        var dialect = new SqliteDialect(options.BusyTimeout, options.Synchronous);
        var source = new SqliteConnectionSource(dialect, connectionString, options.MaxReadConnections);
        return new AdoNetDatabase(dialect, source, file, components, timeProvider, loggerFactory?.CreateLogger<AdoNetDatabase>());
    }
}

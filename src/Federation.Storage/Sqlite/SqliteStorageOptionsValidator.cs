using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Federation.Storage.Sqlite;

/// <summary>Validates <see cref="SqliteStorageOptions"/>; every message names the bad option.</summary>
public sealed class SqliteStorageOptionsValidator : IValidateOptions<SqliteStorageOptions>
{
    public ValidateOptionsResult Validate(string? name, SqliteStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = Check(options);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Throws <see cref="OptionsValidationException"/> if the options are not valid (for use without DI).</summary>
    public static void ThrowIfInvalid(string name, SqliteStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = Check(options);
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(name, typeof(SqliteStorageOptions), failures);
        }
    }

    /// <summary>The database file the options name, for logs and errors (never the whole connection string).</summary>
    public static string DataSourceOf(SqliteStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new SqliteConnectionStringBuilder(options.ConnectionString).DataSource;
    }

    private static List<string> Check(SqliteStorageOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            failures.Add("SqliteStorageOptions.ConnectionString must be set, e.g. \"Data Source=/var/lib/federation/federation.db\".");
        }
        else
        {
            CheckFile(failures, nameof(SqliteStorageOptions.ConnectionString), options.ConnectionString);
        }

        if (options.GrainStateConnectionString is { } grainState)
        {
            CheckFile(failures, nameof(SqliteStorageOptions.GrainStateConnectionString), grainState);
        }

        if (options.BusyTimeout <= TimeSpan.Zero || options.BusyTimeout.TotalMilliseconds > int.MaxValue)
        {
            failures.Add($"SqliteStorageOptions.BusyTimeout must be positive and at most {TimeSpan.FromMilliseconds(int.MaxValue)}; it is {options.BusyTimeout}.");
        }

        if (options.MaxReadConnections is < 1 or > SqliteStorageOptions.MaxMaxReadConnections)
        {
            failures.Add($"SqliteStorageOptions.MaxReadConnections must be between 1 and {SqliteStorageOptions.MaxMaxReadConnections}; it is {options.MaxReadConnections}.");
        }

        if (!Enum.IsDefined(options.Synchronous))
        {
            failures.Add($"SqliteStorageOptions.Synchronous must be Normal or Full; it is {options.Synchronous}.");
        }

        return failures;
    }

    private static void CheckFile(List<string> failures, string option, string connectionString)
    {
        try
        {
            var builder = new SqliteConnectionStringBuilder(connectionString);
            if (string.IsNullOrWhiteSpace(builder.DataSource)
                || string.Equals(builder.DataSource, ":memory:", StringComparison.OrdinalIgnoreCase)
                || builder.Mode == SqliteOpenMode.Memory)
            {
                failures.Add($"SqliteStorageOptions.{option} must name a database file: an in-memory database is private to one connection, and the store uses several.");
            }
            else if (builder.Mode == SqliteOpenMode.ReadOnly)
            {
                failures.Add($"SqliteStorageOptions.{option} must not use Mode=ReadOnly: the store writes.");
            }
        }
        catch (ArgumentException exception)
        {
            failures.Add($"SqliteStorageOptions.{option} is not a valid SQLite connection string: {exception.Message}");
        }
    }
}

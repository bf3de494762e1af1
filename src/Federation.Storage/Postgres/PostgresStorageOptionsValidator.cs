using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Federation.Storage.Postgres;

/// <summary>Validates <see cref="PostgresStorageOptions"/>; every message names the bad option and never repeats the connection string.</summary>
public sealed partial class PostgresStorageOptionsValidator : IValidateOptions<PostgresStorageOptions>
{
    public ValidateOptionsResult Validate(string? name, PostgresStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = Check(options);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Throws <see cref="OptionsValidationException"/> if the options are not valid (for use without DI).</summary>
    public static void ThrowIfInvalid(string name, PostgresStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = Check(options);
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(name, typeof(PostgresStorageOptions), failures);
        }
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex SchemaName();

    private static List<string> Check(PostgresStorageOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            failures.Add("PostgresStorageOptions.ConnectionString must be set, e.g. \"Host=127.0.0.1;Port=5432;Username=federation;Password=...;Database=federation\".");
        }
        else
        {
            try
            {
                var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
                if (string.IsNullOrWhiteSpace(builder.Host))
                {
                    failures.Add("PostgresStorageOptions.ConnectionString must name a Host.");
                }
            }
            catch (ArgumentException)
            {
                // The driver's message may quote the string, password included: not repeated here.
                failures.Add("PostgresStorageOptions.ConnectionString is not a valid Npgsql connection string (expected Key=Value pairs separated by ';', with known keys).");
            }
        }

        if (options.Schema is not null && !SchemaName().IsMatch(options.Schema))
        {
            failures.Add($"PostgresStorageOptions.Schema must be a lower-case identifier (letters, digits, '_', not starting with a digit, at most 63 characters); it is '{options.Schema}'.");
        }

        if (options.ConnectTimeout < TimeSpan.FromSeconds(1) || options.ConnectTimeout > PostgresStorageOptions.MaxConnectTimeout)
        {
            failures.Add($"PostgresStorageOptions.ConnectTimeout must be between 1 s and {PostgresStorageOptions.MaxConnectTimeout.TotalSeconds} s; it is {options.ConnectTimeout}.");
        }

        if (options.CommandTimeout < TimeSpan.FromSeconds(1) || options.CommandTimeout.TotalSeconds > int.MaxValue)
        {
            failures.Add($"PostgresStorageOptions.CommandTimeout must be at least 1 s; it is {options.CommandTimeout}.");
        }

        if (options.MaxPoolSize is < 1 or > PostgresStorageOptions.MaxMaxPoolSize)
        {
            failures.Add($"PostgresStorageOptions.MaxPoolSize must be between 1 and {PostgresStorageOptions.MaxMaxPoolSize}; it is {options.MaxPoolSize}.");
        }

        return failures;
    }
}

using Npgsql;

namespace Federation.Benchmarks.Http;

/// <summary>
/// PostgreSQL for the load generators: the server named by <c>--connection</c> or, by default,
/// <c>FEDERATION_TEST_POSTGRES</c> (<c>export FEDERATION_TEST_POSTGRES="$(./eng/ensure-postgres.sh)"</c>), and a
/// schema of the run's own, dropped afterwards, so every run starts from empty tables.
/// </summary>
internal static class BenchmarkPostgres
{
    public const string EnvironmentVariable = "FEDERATION_TEST_POSTGRES";

    /// <summary>
    /// Connections per pool: the test server's max_connections (100) is shared with the test suites that
    /// may run meanwhile, and 256 concurrent clients would otherwise ask for more than it has.
    /// </summary>
    public const int MaxPoolSize = 32;

    /// <summary>The connection string to use: the given one, else the environment's; a <see cref="FormatException"/> says how to get one.</summary>
    public static string ConnectionOrDefault(string? given) =>
        given ?? (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : throw new FormatException($"--storage postgres needs --connection or {EnvironmentVariable} (export {EnvironmentVariable}=\"$(./eng/ensure-postgres.sh)\")"));

    /// <summary>A fresh schema name for one run.</summary>
    public static string NewSchema(string prefix) => $"{prefix}_{Guid.NewGuid():N}";

    /// <summary>Drops the run's schema and every row in it.</summary>
    public static async Task DropSchemaAsync(string connectionString, string schema)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();

        // The name is ours, of [a-z0-9_] only; DDL takes no parameters.
        command.CommandText = $"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE";
        await command.ExecuteNonQueryAsync();
    }
}

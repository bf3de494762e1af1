using System.Data.Common;
using Federation.Storage.Postgres;
using Npgsql;

namespace Federation.TestKit.Postgres;

/// <summary>
/// A PostgreSQL schema of its own on the test server named by <see cref="EnvironmentVariable"/>, so test
/// classes (and tests: xUnit makes one instance per test) running in parallel on one database never see
/// each other's rows. Dropped with everything in it on dispose.
/// </summary>
public sealed class PostgresTestSchema : IAsyncDisposable
{
    /// <summary>Set by ./eng/test.sh to the connection string of the server it provisions.</summary>
    public const string EnvironmentVariable = "FEDERATION_TEST_POSTGRES";

    /// <summary>Test pools are small: many tests run at once against one server's max_connections.</summary>
    public const int TestPoolSize = 8;

    public PostgresTestSchema()
    {
        ServerConnectionString = ServerConnectionStringOrFail();
        Name = "fedtest_" + Guid.NewGuid().ToString("N");
    }

    /// <summary>The server's connection string, as the test script exported it.</summary>
    public string ServerConnectionString { get; }

    /// <summary>The schema's name (a valid <see cref="PostgresStorageOptions.Schema"/>).</summary>
    public string Name { get; }

    /// <summary>
    /// The variable's value, or a failure telling how to get a server: a PostgreSQL test never passes
    /// or skips without one.
    /// </summary>
    public static string ServerConnectionStringOrFail()
    {
        var value = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidOperationException(
                $"{EnvironmentVariable} is not set. Run the tests through ./eng/test.sh (it installs and starts PostgreSQL), " +
                $"or set {EnvironmentVariable} yourself, e.g. {EnvironmentVariable}=\"$(./eng/ensure-postgres.sh)\".");
        }

        return value;
    }

    /// <summary>Options on this schema with the test pool size.</summary>
    public PostgresStorageOptions Options() => new()
    {
        ConnectionString = ServerConnectionString,
        Schema = Name,
        MaxPoolSize = TestPoolSize,
    };

    /// <summary>Runs one statement in this schema on a connection of its own.</summary>
    public async Task ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = await OpenAsync();
        await using var command = Command(connection, sql, parameters);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Reads every row of one query in this schema.</summary>
    public async Task<List<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> map, params (string Name, object Value)[] parameters)
    {
        await using var connection = await OpenAsync();
        await using var command = Command(connection, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(map(reader));
        }

        return rows;
    }

    public async ValueTask DisposeAsync()
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ServerConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();

        // The name is ours and of [a-z0-9_] only; DDL takes no parameters.
        command.CommandText = $"DROP SCHEMA IF EXISTS \"{Name}\" CASCADE";
        await command.ExecuteNonQueryAsync();
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ServerConnectionString) { Pooling = false, SearchPath = Name }.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }
}

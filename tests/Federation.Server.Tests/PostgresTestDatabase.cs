using Federation.TestKit.Postgres;
using Npgsql;

namespace Federation.Server.Tests;

/// <summary>
/// A PostgreSQL schema of its own on the test server named by <see cref="PostgresTestSchema.EnvironmentVariable"/> (the server's
/// <c>--schema</c>), so tests running in parallel on one database never see each other's rows. Dropped with
/// everything in it on dispose.
/// </summary>
public sealed class PostgresTestDatabase : IAsyncDisposable
{
    public PostgresTestDatabase()
    {
        ConnectionString = PostgresTestSchema.ServerConnectionStringOrFail();
        Schema = "fedsrv_" + Guid.NewGuid().ToString("N");
    }

    /// <summary>The test server's connection string, as the test script exported it.</summary>
    public string ConnectionString { get; }

    /// <summary>The schema the server under test keeps its tables in.</summary>
    public string Schema { get; }

    /// <summary>The server's command line for this schema, through <paramref name="connectionString"/> (default: the test server's).</summary>
    public string[] Args(string? connectionString = null) =>
        ["--storage", "postgres", "--connection", connectionString ?? ConnectionString, "--schema", Schema];

    /// <summary>The test server's connection string with another host and port (a forwarder in front of it).</summary>
    public string Through(int port) => new NpgsqlConnectionStringBuilder(ConnectionString) { Host = "127.0.0.1", Port = port }.ConnectionString;

    /// <summary>Counts the stored rows of job <paramref name="id"/> in this schema, read directly (not through the server).</summary>
    public async Task<long> CountJobRowsAsync(string id)
    {
        await using var connection = await OpenAsync(Schema);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM federationjobs WHERE jobid = $1";
        command.Parameters.AddWithValue(id);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// Locks the job table of this schema (ACCESS EXCLUSIVE, in a transaction of its own) until the result is disposed:
    /// every statement on job rows waits meanwhile, as behind a slow database, and then runs.
    /// </summary>
    public async Task<IAsyncDisposable> LockJobTableAsync()
    {
        var connection = await OpenAsync(Schema);
        var transaction = await connection.BeginTransactionAsync();
        await using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = "LOCK TABLE federationjobs IN ACCESS EXCLUSIVE MODE";
            await command.ExecuteNonQueryAsync();
        }

        return new TableLock(connection, transaction);
    }

    /// <summary>
    /// Creates a database of its own on the test server (the test role may create databases), for a test
    /// that changes database-wide settings; returns its connection string. Drop it with <see cref="DropDatabaseAsync"/>.
    /// </summary>
    public async Task<string> CreateDatabaseAsync()
    {
        await ExecuteAsync($"CREATE DATABASE \"{Schema}\"");
        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = Schema }.ConnectionString;
    }

    /// <summary>How many connections the database of <see cref="CreateDatabaseAsync"/> admits (-1: no limit).</summary>
    public Task SetConnectionLimitAsync(int limit) =>
        ExecuteAsync($"ALTER DATABASE \"{Schema}\" CONNECTION LIMIT {limit}");

    /// <summary>Drops the database of <see cref="CreateDatabaseAsync"/>, closing what is still connected to it.</summary>
    public Task DropDatabaseAsync() => ExecuteAsync($"DROP DATABASE IF EXISTS \"{Schema}\" WITH (FORCE)");

    public async ValueTask DisposeAsync()
    {
        await using var connection = await OpenAsync(searchPath: null);
        await using var command = connection.CreateCommand();

        // The name is ours and of [a-z0-9_] only; DDL takes no parameters.
        command.CommandText = $"DROP SCHEMA IF EXISTS \"{Schema}\" CASCADE";
        await command.ExecuteNonQueryAsync();
    }

    private async Task ExecuteAsync(string sql)
    {
        // The names are ours and of [a-z0-9_] only; DDL takes no parameters.
        await using var connection = await OpenAsync(searchPath: null);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private async Task<NpgsqlConnection> OpenAsync(string? searchPath)
    {
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false };
        if (searchPath is not null)
        {
            builder.SearchPath = searchPath;
        }

        var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        return connection;
    }

    private sealed class TableLock(NpgsqlConnection connection, NpgsqlTransaction transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await transaction.RollbackAsync();
            await transaction.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}

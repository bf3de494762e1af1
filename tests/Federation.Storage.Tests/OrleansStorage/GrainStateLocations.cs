using Federation.Storage.Hosting;
using Federation.TestKit.Postgres;
using Microsoft.Data.Sqlite;
using Orleans.Hosting;

namespace Federation.Storage.Tests.OrleansStorage;

/// <summary>One row of Orleans' <c>orleansstorage</c> table, read directly: the provider passes the state name as the grain type.</summary>
public sealed record StoredGrainRow(string StateName, string Key, long Version, bool PayloadIsNull);

/// <summary>Where a silo of a test keeps Orleans' grain state (a SQLite file, a PostgreSQL schema), and its rows as they are.</summary>
public abstract class GrainStateLocation : IAsyncDisposable
{
    protected const string RowsQuery =
        "SELECT graintypestring, grainidextensionstring, version, payloadbinary IS NULL FROM orleansstorage " +
        "WHERE grainidextensionstring = @key ORDER BY graintypestring";

    /// <summary>Adds the federation's storage on this location to a silo.</summary>
    public abstract void AddStorage(ISiloBuilder silo);

    /// <summary>The rows stored under one grain key (as <see cref="StringKeyGrainStorage"/> stores it), by state name.</summary>
    public abstract Task<IReadOnlyList<StoredGrainRow>> RowsAsync(string key);

    public abstract ValueTask DisposeAsync();

    protected static StoredGrainRow Map(System.Data.Common.DbDataReader reader) =>
        new(reader.GetString(0), reader.GetString(1), Convert.ToInt64(reader.GetValue(2), System.Globalization.CultureInfo.InvariantCulture), reader.GetBoolean(3));
}

/// <summary>A job file in a temp directory of its own; Orleans' grain state goes to the file beside it.</summary>
public sealed class SqliteGrainStateLocation : GrainStateLocation
{
    private readonly TempDirectory _directory = new();

    public TempDirectory Directory => _directory;

    public override void AddStorage(ISiloBuilder silo) =>
        silo.AddFederationSqliteStorage(o => o.ConnectionString = _directory.JobConnectionString);

    public override async Task<IReadOnlyList<StoredGrainRow>> RowsAsync(string key)
    {
        await using var connection = new SqliteConnection($"Data Source={_directory.GrainStateFile};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = RowsQuery;
        command.Parameters.AddWithValue("@key", StringKeyGrainStorage.StoredKey(key));
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<StoredGrainRow>();
        while (await reader.ReadAsync())
        {
            rows.Add(Map(reader));
        }

        return rows;
    }

    public override ValueTask DisposeAsync()
    {
        _directory.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>A PostgreSQL schema of its own on the test server; the job table and Orleans' grain state both live in it.</summary>
public sealed class PostgresGrainStateLocation : GrainStateLocation
{
    private readonly PostgresTestSchema _schema = new();

    public PostgresTestSchema Schema => _schema;

    public override void AddStorage(ISiloBuilder silo) => silo.AddFederationPostgresStorage(o =>
    {
        var test = _schema.Options();
        o.ConnectionString = test.ConnectionString;
        o.Schema = test.Schema;
        o.MaxPoolSize = test.MaxPoolSize;
    });

    public override async Task<IReadOnlyList<StoredGrainRow>> RowsAsync(string key) =>
        await _schema.QueryAsync(RowsQuery, Map, ("key", StringKeyGrainStorage.StoredKey(key)));

    public override ValueTask DisposeAsync() => _schema.DisposeAsync();
}

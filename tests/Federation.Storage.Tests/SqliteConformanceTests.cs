using Federation.Actors.AdoNet.Sqlite;
using Microsoft.Data.Sqlite;
using Federation.Actors.Reminders;
using Federation.Actors.Storage;
using Federation.Actors.TestKit.Storage;

namespace Federation.Actors.AdoNet.Tests;

/// <summary>The shared grain-storage suite on SQLite; each test runs on its own temp database file.</summary>
public sealed class SqliteGrainStorageConformanceTests : GrainStorageConformance
{
    private readonly TempDatabase _database = new();

    protected override IGrainStorage CreateStorage(bool deleteStateOnClear) =>
        SqliteStorage.CreateGrainStorage(
            "conformance",
            new SqliteStorageOptions { ConnectionString = _database.ConnectionString, DeleteStateOnClear = deleteStateOnClear },
            new JsonGrainStorageSerializer());

    protected override Task CleanupAsync()
    {
        _database.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>The shared index-query suite on SQLite; each test runs on its own temp database file.</summary>
public sealed class SqliteGrainStateQueryConformanceTests : GrainStateQueryConformance
{
    private readonly TempDatabase _database = new();

    protected override IGrainStorage CreateStorage(bool deleteStateOnClear) =>
        SqliteStorage.CreateGrainStorage(
            "query",
            new SqliteStorageOptions { ConnectionString = _database.ConnectionString, DeleteStateOnClear = deleteStateOnClear },
            new JsonGrainStorageSerializer());

    protected override Task CleanupAsync()
    {
        _database.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>The shared reminder-table suite on SQLite; each test runs on its own temp database file.</summary>
public sealed class SqliteReminderTableConformanceTests : ReminderTableConformance
{
    private readonly TempDatabase _database = new();

    protected override IReminderTable CreateTable() =>
        SqliteStorage.CreateReminderTable(new SqliteStorageOptions { ConnectionString = _database.ConnectionString });

    protected override Task CleanupAsync()
    {
        _database.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>The index-entry write suite on SQLite (the row and index statements in one transaction); each test runs on its own temp database file.</summary>
public sealed class SqliteIndexedWriteConformanceTests : IndexedWriteConformance
{
    private readonly TempDatabase _database = new();

    protected override IGrainStorage CreateStorage(bool deleteStateOnClear) =>
        SqliteStorage.CreateGrainStorage(
            "indexed",
            new SqliteStorageOptions { ConnectionString = _database.ConnectionString, DeleteStateOnClear = deleteStateOnClear },
            new JsonGrainStorageSerializer());

    protected override async Task<IReadOnlyList<string>> StoredEntriesAsync(string stateName, string key)
    {
        await using var connection = new SqliteConnection(_database.ConnectionString + ";Pooling=False;Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT name || '=' || value FROM orleansstorageindex WHERE statename = @statename AND grainidstring = @grainid ORDER BY name, value";
        command.Parameters.AddWithValue("@statename", stateName);
        command.Parameters.AddWithValue("@grainid", key);
        var entries = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            entries.Add(reader.GetString(0));
        }

        return entries;
    }

    protected override Task CleanupAsync()
    {
        _database.Dispose();
        return Task.CompletedTask;
    }
}

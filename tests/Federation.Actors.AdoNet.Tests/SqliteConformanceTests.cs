using Federation.Actors.AdoNet.Sqlite;
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

using System.Data.Common;
using Federation.Actors.AdoNet.Postgres;
using Federation.Actors.Reminders;
using Federation.Actors.Storage;
using Federation.Actors.TestKit.Storage;

namespace Federation.TestKit.Postgres;

/// <summary>The shared grain-storage suite on PostgreSQL; each test runs in a schema of its own.</summary>
public sealed class PostgresGrainStorageConformanceTests : GrainStorageConformance
{
    private readonly PostgresTestSchema _schema = new();

    protected override IGrainStorage CreateStorage(bool deleteStateOnClear) =>
        PostgresStorage.CreateGrainStorage("conformance", _schema.Options(deleteStateOnClear), new JsonGrainStorageSerializer());

    protected override Task CleanupAsync() => _schema.DisposeAsync().AsTask();
}

/// <summary>The shared index-query suite on PostgreSQL; each test runs in a schema of its own.</summary>
public sealed class PostgresGrainStateQueryConformanceTests : GrainStateQueryConformance
{
    private readonly PostgresTestSchema _schema = new();

    protected override IGrainStorage CreateStorage(bool deleteStateOnClear) =>
        PostgresStorage.CreateGrainStorage("query", _schema.Options(deleteStateOnClear), new JsonGrainStorageSerializer());

    protected override Task CleanupAsync() => _schema.DisposeAsync().AsTask();
}

/// <summary>The shared reminder-table suite on PostgreSQL; each test runs in a schema of its own.</summary>
public sealed class PostgresReminderTableConformanceTests : ReminderTableConformance
{
    private readonly PostgresTestSchema _schema = new();

    protected override IReminderTable CreateTable() => PostgresStorage.CreateReminderTable(_schema.Options());

    protected override Task CleanupAsync() => _schema.DisposeAsync().AsTask();
}

/// <summary>The index-entry write suite on PostgreSQL (one statement per write); each test runs in a schema of its own.</summary>
public sealed class PostgresIndexedWriteConformanceTests : IndexedWriteConformance
{
    private readonly PostgresTestSchema _schema = new();

    protected override IGrainStorage CreateStorage(bool deleteStateOnClear) =>
        PostgresStorage.CreateGrainStorage("indexed", _schema.Options(deleteStateOnClear), new JsonGrainStorageSerializer());

    protected override async Task<IReadOnlyList<string>> StoredEntriesAsync(string stateName, string key) =>
        await _schema.QueryAsync(
            "SELECT name || '=' || value FROM orleansstorageindex WHERE statename = @statename AND grainidstring = @grainid ORDER BY name, value",
            r => r.GetString(0),
            ("statename", stateName),
            ("grainid", key));

    protected override Task CleanupAsync() => _schema.DisposeAsync().AsTask();

    [Fact]
    public async Task AnEntryTheServerRejectsFailsTheWholeWriteAndChangesNeitherTheRowNorItsEntries()
    {
        var storage = CreateStorage(deleteStateOnClear: false);
        await using var owned = (IAsyncDisposable)storage;
        var grain = GrainId.Create(new GrainType("job"), "j");
        var state = new GrainState<EntriesTestState>(new EntriesTestState { Value = 1, Entries = [new("region", "gwangju")] });
        await storage.WriteStateAsync("job", grain, state);

        // PostgreSQL text cannot hold U+0000: the entry insert fails after the row update in the same statement.
        state.State = new EntriesTestState { Value = 2, Entries = [new("region", "daegu"), new("tag", "bad\0value")] };
        await Assert.ThrowsAnyAsync<DbException>(() => storage.WriteStateAsync("job", grain, state));

        Assert.Equal(["region=gwangju"], await StoredEntriesAsync("job", "j"));
        var read = new GrainState<EntriesTestState>(null!);
        await storage.ReadStateAsync("job", grain, read);
        Assert.Equal((1, "1"), (read.State.Value, read.ETag));
    }
}

using Federation.Actors.AdoNet.Postgres;
using Federation.Actors.Reminders;
using Federation.Actors.Storage;
using Federation.Actors.TestKit.Storage;

namespace Federation.Actors.AdoNet.Tests.Postgres;

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

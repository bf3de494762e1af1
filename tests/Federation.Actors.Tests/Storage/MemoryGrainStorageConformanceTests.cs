using Federation.Actors.Storage;
using Federation.Actors.TestKit.Storage;

namespace Federation.Actors.Tests.Storage;

public sealed class MemoryGrainStorageConformanceTests : GrainStorageConformance
{
    protected override IGrainStorage CreateStorage(bool deleteStateOnClear) =>
        new MemoryGrainStorage(new JsonGrainStorageSerializer(), new MemoryGrainStorageOptions { DeleteStateOnClear = deleteStateOnClear });
}

public sealed class MemoryReminderTableConformanceTests : ReminderTableConformance
{
    protected override Federation.Actors.Reminders.IReminderTable CreateTable() => new MemoryReminderTable();
}

public sealed class MemoryGrainStateQueryConformanceTests : GrainStateQueryConformance
{
    protected override IGrainStorage CreateStorage(bool deleteStateOnClear) =>
        new MemoryGrainStorage(new JsonGrainStorageSerializer(), new MemoryGrainStorageOptions { DeleteStateOnClear = deleteStateOnClear });
}

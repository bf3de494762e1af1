using Federation.Actors.Reminders;
using Federation.Actors.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Actors.AdoNet.Tests;

/// <summary>The memory registrations; here because this project carries the DI container.</summary>
public sealed class MemoryStorageRegistrationTests
{
    [Fact]
    public void AddMemoryGrainStorageRegistersAKeyedProviderWithItsOwnOptions()
    {
        var services = new ServiceCollection();
        services.AddMemoryGrainStorage();
        services.AddMemoryGrainStorage("archive", o => o.DeleteStateOnClear = true);
        using var provider = services.BuildServiceProvider();

        var byDefault = provider.GetRequiredKeyedService<IGrainStorage>(StorageProviderNames.Default);
        var archive = provider.GetRequiredKeyedService<IGrainStorage>("archive");

        Assert.IsType<MemoryGrainStorage>(byDefault);
        Assert.IsType<MemoryGrainStorage>(archive);
        Assert.NotSame(byDefault, archive);
        Assert.Same(byDefault, provider.GetRequiredKeyedService<IGrainStorage>(StorageProviderNames.Default));
        Assert.IsType<JsonGrainStorageSerializer>(provider.GetRequiredService<IGrainStorageSerializer>());
    }

    [Fact]
    public async Task DeleteStateOnClearOptionReachesTheNamedProvider()
    {
        var services = new ServiceCollection();
        services.AddMemoryGrainStorage();
        services.AddMemoryGrainStorage("archive", o => o.DeleteStateOnClear = true);
        using var provider = services.BuildServiceProvider();
        var grain = GrainId.Create(new GrainType("counter"), "k");

        var kept = new GrainState<int>(1);
        var storage = provider.GetRequiredKeyedService<IGrainStorage>(StorageProviderNames.Default);
        await storage.WriteStateAsync("s", grain, kept);
        await storage.ClearStateAsync("s", grain, kept);
        var deleted = new GrainState<int>(1);
        var archive = provider.GetRequiredKeyedService<IGrainStorage>("archive");
        await archive.WriteStateAsync("s", grain, deleted);
        await archive.ClearStateAsync("s", grain, deleted);

        Assert.Equal("2", kept.ETag);
        Assert.Null(deleted.ETag);
    }

    [Fact]
    public void AnExistingSerializerIsKept()
    {
        var services = new ServiceCollection();
        var custom = new JsonGrainStorageSerializer(JsonGrainStorageSerializer.CreateDefaultOptions());
        services.AddSingleton<IGrainStorageSerializer>(custom);
        services.AddMemoryGrainStorage();
        using var provider = services.BuildServiceProvider();

        Assert.Same(custom, provider.GetRequiredService<IGrainStorageSerializer>());
    }

    [Fact]
    public void AddMemoryReminderTableRegistersOneSingleton()
    {
        var services = new ServiceCollection();
        services.AddMemoryReminderTable();
        using var provider = services.BuildServiceProvider();

        Assert.IsType<MemoryReminderTable>(provider.GetRequiredService<IReminderTable>());
        Assert.Same(provider.GetRequiredService<IReminderTable>(), provider.GetRequiredService<IReminderTable>());
    }
}

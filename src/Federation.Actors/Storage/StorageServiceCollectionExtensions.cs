using Federation.Actors.Reminders;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Federation.Actors.Storage;

/// <summary>Registers the in-memory grain storage and reminder table.</summary>
public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="MemoryGrainStorage"/> as the keyed singleton <see cref="IGrainStorage"/>
    /// <paramref name="name"/> (what <c>[PersistentState(stateName, name)]</c> resolves), and the
    /// JSON serializer unless another <see cref="IGrainStorageSerializer"/> is already registered.
    /// </summary>
    public static IServiceCollection AddMemoryGrainStorage(
        this IServiceCollection services,
        string name = StorageProviderNames.Default,
        Action<MemoryGrainStorageOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var options = services.AddOptions<MemoryGrainStorageOptions>(name);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.AddGrainStorageSerializer();
        services.AddKeyedSingleton<IGrainStorage>(name, static (sp, key) => new MemoryGrainStorage(
            sp.GetRequiredService<IGrainStorageSerializer>(),
            sp.GetRequiredService<IOptionsMonitor<MemoryGrainStorageOptions>>().Get((string)key!)));
        return services;
    }

    /// <summary>Registers a <see cref="MemoryReminderTable"/> as the singleton <see cref="IReminderTable"/>.</summary>
    public static IServiceCollection AddMemoryReminderTable(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<IReminderTable, MemoryReminderTable>();
        return services;
    }

    /// <summary>TryAdds the default <see cref="JsonGrainStorageSerializer"/>; every provider registration calls it.</summary>
    public static IServiceCollection AddGrainStorageSerializer(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<IGrainStorageSerializer>(static _ => new JsonGrainStorageSerializer());
        return services;
    }
}

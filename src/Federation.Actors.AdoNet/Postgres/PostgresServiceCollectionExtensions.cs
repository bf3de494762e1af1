using Federation.Actors.Reminders;
using Federation.Actors.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Federation.Actors.AdoNet.Postgres;

/// <summary>
/// Registers the PostgreSQL grain storage and reminder table. Each registered provider has a connection
/// pool of its own (PostgreSQL serves concurrent writers itself, so there is no writer to share as on SQLite).
/// </summary>
public static class PostgresServiceCollectionExtensions
{
    /// <summary>The options name the reminder table's <see cref="PostgresStorageOptions"/> are registered under.</summary>
    public const string ReminderOptionsName = "Federation.Reminders";

    /// <summary>
    /// Registers a PostgreSQL <see cref="AdoNetGrainStorage"/> as the keyed singleton <see cref="IGrainStorage"/>
    /// <paramref name="name"/>, TryAdds the JSON serializer, validates the options on start, and creates
    /// the schema when the host starts (or on first use, whichever comes first).
    /// </summary>
    public static IServiceCollection AddPostgresGrainStorage(this IServiceCollection services, string name, Action<PostgresStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configure);
        AddOptions(services, name, configure);
        services.AddGrainStorageSerializer();
        services.AddKeyedSingleton<IGrainStorage>(name, static (sp, key) => PostgresStorage.CreateGrainStorage(
            (string)key!,
            sp.GetRequiredService<IOptionsMonitor<PostgresStorageOptions>>().Get((string)key!),
            sp.GetRequiredService<IGrainStorageSerializer>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<ILoggerFactory>()));
        services.AddSingleton<IHostedService>(sp => new AdoNetSchemaInitializer(
            // Another registration may have replaced this name since; then there is nothing of ours to prepare.
            ct => sp.GetRequiredKeyedService<IGrainStorage>(name) is AdoNetGrainStorage storage ? storage.InitializeAsync(ct) : Task.CompletedTask));
        return services;
    }

    /// <summary>Registers a PostgreSQL grain storage named <see cref="StorageProviderNames.Default"/>.</summary>
    public static IServiceCollection AddPostgresGrainStorage(this IServiceCollection services, Action<PostgresStorageOptions> configure) =>
        services.AddPostgresGrainStorage(StorageProviderNames.Default, configure);

    /// <summary>
    /// Registers a PostgreSQL <see cref="AdoNetReminderTable"/> as the singleton <see cref="IReminderTable"/>,
    /// validates the options on start and creates the schema when the host starts.
    /// </summary>
    public static IServiceCollection AddPostgresReminderTable(this IServiceCollection services, Action<PostgresStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        AddOptions(services, ReminderOptionsName, configure);
        services.AddSingleton<IReminderTable>(static sp => PostgresStorage.CreateReminderTable(
            sp.GetRequiredService<IOptionsMonitor<PostgresStorageOptions>>().Get(ReminderOptionsName),
            sp.GetService<TimeProvider>(),
            sp.GetService<ILoggerFactory>()));
        services.AddSingleton<IHostedService>(static sp => new AdoNetSchemaInitializer(
            ct => sp.GetRequiredService<IReminderTable>().InitAsync(ct)));
        return services;
    }

    private static void AddOptions(IServiceCollection services, string name, Action<PostgresStorageOptions> configure)
    {
        services.AddOptions<PostgresStorageOptions>(name).Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PostgresStorageOptions>, PostgresStorageOptionsValidator>());
    }
}

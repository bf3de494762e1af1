using Federation.Actors.Reminders;
using Federation.Actors.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Federation.Actors.AdoNet.Sqlite;

/// <summary>Registers the SQLite grain storage and reminder table.</summary>
public static class SqliteServiceCollectionExtensions
{
    /// <summary>The options name the reminder table's <see cref="SqliteStorageOptions"/> are registered under.</summary>
    public const string ReminderOptionsName = "Federation.Reminders";

    /// <summary>
    /// Registers a SQLite <see cref="AdoNetGrainStorage"/> as the keyed singleton <see cref="IGrainStorage"/>
    /// <paramref name="name"/>, TryAdds the JSON serializer, validates the options on start, and creates
    /// the schema when the host starts (or on first use, whichever comes first).
    /// </summary>
    public static IServiceCollection AddSqliteGrainStorage(this IServiceCollection services, string name, Action<SqliteStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configure);
        AddOptions(services, name, configure);
        services.AddGrainStorageSerializer();
        services.AddKeyedSingleton<IGrainStorage>(name, static (sp, key) => SqliteStorage.CreateGrainStorage(
            (string)key!,
            sp.GetRequiredService<IOptionsMonitor<SqliteStorageOptions>>().Get((string)key!),
            sp.GetRequiredService<IGrainStorageSerializer>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<ILoggerFactory>(),
            sp.GetRequiredService<SqliteDatabases>()));
        services.AddSingleton<IHostedService>(sp => new AdoNetSchemaInitializer(
            // Another registration may have replaced this name since; then there is nothing of ours to prepare.
            ct => sp.GetRequiredKeyedService<IGrainStorage>(name) is AdoNetGrainStorage storage ? storage.InitializeAsync(ct) : Task.CompletedTask));
        return services;
    }

    /// <summary>Registers a SQLite grain storage named <see cref="StorageProviderNames.Default"/>.</summary>
    public static IServiceCollection AddSqliteGrainStorage(this IServiceCollection services, Action<SqliteStorageOptions> configure) =>
        services.AddSqliteGrainStorage(StorageProviderNames.Default, configure);

    /// <summary>
    /// Registers a SQLite <see cref="AdoNetReminderTable"/> as the singleton <see cref="IReminderTable"/>,
    /// validates the options on start and creates the schema when the host starts.
    /// </summary>
    public static IServiceCollection AddSqliteReminderTable(this IServiceCollection services, Action<SqliteStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        AddOptions(services, ReminderOptionsName, configure);
        services.AddSingleton<IReminderTable>(static sp => SqliteStorage.CreateReminderTable(
            sp.GetRequiredService<IOptionsMonitor<SqliteStorageOptions>>().Get(ReminderOptionsName),
            sp.GetService<TimeProvider>(),
            sp.GetService<ILoggerFactory>(),
            sp.GetRequiredService<SqliteDatabases>()));
        services.AddSingleton<IHostedService>(static sp => new AdoNetSchemaInitializer(
            ct => sp.GetRequiredService<IReminderTable>().InitAsync(ct)));
        return services;
    }

    private static void AddOptions(IServiceCollection services, string name, Action<SqliteStorageOptions> configure)
    {
        services.AddOptions<SqliteStorageOptions>(name).Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SqliteStorageOptions>, SqliteStorageOptionsValidator>());
        services.TryAddSingleton(static sp => new SqliteDatabases(sp.GetService<TimeProvider>(), sp.GetService<ILoggerFactory>()));
    }
}

using Federation.Storage.Audit;
using Federation.Storage.Jobs;
using Federation.Storage.Postgres;
using Federation.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;

namespace Federation.Storage.Hosting;

/// <summary>
/// Registers the federation's storage on a silo: the job store under <see cref="StorageNames.Jobs"/> (and as
/// <see cref="IJobStore"/>), Orleans' grain storage under <see cref="StorageNames.GrainState"/> (Orleans' ADO.NET
/// provider on the project's schema, given keys it cannot misread by <see cref="StringKeyGrainStorage"/>, or Orleans'
/// memory storage), the audit log (<see cref="IAuditLog"/>, on the job store's database, where the job store writes its
/// rows' entries), the schema initializer, and <see cref="IStorageHealthCheck"/>. Grain state that Orleans' provider
/// keeps is written with Orleans' serializer, so the stored form follows the types' <c>[Id]</c>s and survives renames.
/// </summary>
public static class FederationStorageSiloBuilderExtensions
{
    /// <summary>The ADO.NET invariant of SQLite in Orleans (it maps it to Microsoft.Data.Sqlite's factory).</summary>
    public const string SqliteInvariant = "System.Data.SQLite";

    /// <summary>The ADO.NET invariant of PostgreSQL in Orleans.</summary>
    public const string PostgresInvariant = "Npgsql";

    /// <summary>The name Orleans' ADO.NET provider is registered under; grains reach it as <see cref="StorageNames.GrainState"/>, through <see cref="StringKeyGrainStorage"/>.</summary>
    public const string OrleansProviderName = "orleans-adonet";

    /// <summary>Everything in memory: lost on exit.</summary>
    public static ISiloBuilder AddFederationMemoryStorage(this ISiloBuilder silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.AddMemoryGrainStorage(StorageNames.GrainState);
        return silo.AddFederationStorage(static _ => FederationDatabases.Memory());
    }

    /// <summary>The job table in the file the options name, Orleans' grain state in a second file beside it.</summary>
    public static ISiloBuilder AddFederationSqliteStorage(this ISiloBuilder silo, Action<SqliteStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new SqliteStorageOptions();
        configure(options);
        SqliteStorageOptionsValidator.ThrowIfInvalid(nameof(SqliteStorageOptions), options);
        silo.AddAdoNetGrainStorage(OrleansProviderName, builder => builder.Configure<IServiceProvider>((o, services) =>
        {
            o.Invariant = SqliteInvariant;
            o.ConnectionString = SqliteStorage.OrleansConnectionString(options);
            o.GrainStorageSerializer = new OrleansGrainStorageSerializer(services.GetRequiredService<Serializer>());
        }));
        silo.Services.AddKeyedSingleton<IGrainStorage>(StorageNames.GrainState, static (sp, _) => new StringKeyGrainStorage(sp.GetRequiredKeyedService<IGrainStorage>(OrleansProviderName)));
        return silo.AddFederationStorage(services => FederationDatabases.Sqlite(options, services.GetService<TimeProvider>(), services.GetService<ILoggerFactory>()));
    }

    /// <summary>The job table and Orleans' grain state in one PostgreSQL database, sharing one connection pool.</summary>
    public static ISiloBuilder AddFederationPostgresStorage(this ISiloBuilder silo, Action<PostgresStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new PostgresStorageOptions();
        configure(options);
        PostgresStorageOptionsValidator.ThrowIfInvalid(nameof(PostgresStorageOptions), options);
        silo.AddAdoNetGrainStorage(OrleansProviderName, builder => builder.Configure<IServiceProvider>((o, services) =>
        {
            // Orleans' provider opens its connections from the pool the job store uses: one set of timeouts and limits.
            o.Invariant = PostgresInvariant;
            o.DataSource = services.GetRequiredService<FederationDatabases>().DataSource;
            o.GrainStorageSerializer = new OrleansGrainStorageSerializer(services.GetRequiredService<Serializer>());
        }));
        silo.Services.AddKeyedSingleton<IGrainStorage>(StorageNames.GrainState, static (sp, _) => new StringKeyGrainStorage(sp.GetRequiredKeyedService<IGrainStorage>(OrleansProviderName)));
        return silo.AddFederationStorage(services => FederationDatabases.Postgres(options, services.GetService<TimeProvider>(), services.GetService<ILoggerFactory>()));
    }

    private static ISiloBuilder AddFederationStorage(this ISiloBuilder silo, Func<IServiceProvider, FederationDatabases> databases)
    {
        var services = silo.Services;
        services.AddSingleton(databases);
        services.AddSingleton<IStorageHealthCheck>(static sp => sp.GetRequiredService<FederationDatabases>());
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, StorageInitializer>();
        services.TryAddSingleton(new JobStoreOptions());
        services.AddSingleton<IJobStore>(static sp => sp.GetRequiredService<FederationDatabases>().CreateJobStore(
            sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId,
            sp.GetRequiredService<JobStoreOptions>(),
            new JsonRowSerializer(),
            sp.GetService<TimeProvider>()));
        services.AddKeyedSingleton<IGrainStorage>(StorageNames.Jobs, static (sp, _) => sp.GetRequiredService<IJobStore>());
        services.AddSingleton<IAuditLog>(static sp => sp.GetRequiredService<FederationDatabases>().CreateAuditLog(
            sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId));
        return silo;
    }
}

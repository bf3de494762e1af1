using Federation.Storage.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Hosting;
using Orleans.Runtime;

namespace Federation.Storage.Hosting;

/// <summary>
/// Registers the cluster's membership on a silo: Orleans' ADO.NET clustering (<c>UseAdoNetClustering</c>, invariant
/// <see cref="FederationStorageSiloBuilderExtensions.PostgresInvariant"/>) on the project's PostgreSQL schema, which a
/// lifecycle participant creates before Orleans reads it. The silo's <c>ClusterOptions</c> and endpoints are the host's
/// to configure.
/// </summary>
public static class FederationClusteringSiloBuilderExtensions
{
    /// <summary>
    /// Orleans' membership in the PostgreSQL database and schema the options name. With
    /// <see cref="FederationStorageSiloBuilderExtensions.AddFederationPostgresStorage"/> on the same options, both use
    /// one connection pool and one schema (one version table, prepared under one lock), and any number of silos may
    /// start on it at once.
    /// </summary>
    public static ISiloBuilder AddFederationPostgresClustering(this ISiloBuilder silo, Action<PostgresStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new PostgresStorageOptions();
        configure(options);
        PostgresStorageOptionsValidator.ThrowIfInvalid(nameof(PostgresStorageOptions), options);
        silo.Services.AddSingleton(sp => FederationClustering.Postgres(
            options, sp.GetService<FederationDatabases>(), sp.GetService<TimeProvider>(), sp.GetService<ILoggerFactory>()));
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, ClusteringInitializer>();
        return silo.UseAdoNetClustering(builder => builder.Configure<IServiceProvider>((o, services) =>
        {
            o.Invariant = FederationStorageSiloBuilderExtensions.PostgresInvariant;
            o.DataSource = services.GetRequiredService<FederationClustering>().DataSource;
        }));
    }
}

using Federation.Grains.Admission;
using Federation.Grains.Aggregation;
using Federation.Grains.Cluster;
using Federation.Grains.Diagnostics;
using Federation.Grains.Execution;
using Federation.Grains.Execution.Slurm;
using Federation.Grains.Jobs;
using Federation.Grains.Regions;
using Federation.Grains.Residency;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace Federation.Grains.Hosting;

/// <summary>Adds the domain grains' services to a silo.</summary>
public static class FederationGrainsSiloBuilderExtensions
{
    /// <summary>
    /// Adds the options (validated on start), the execution clock, the simulated <see cref="IJobExecutor"/> (unless
    /// another executor is registered first), the job queries over the job store, the grain references and the grains'
    /// metrics, the silo's statistics reports, its copy of the residency policy and its counts of queued jobs per project. The grain classes reach Orleans through the code the Orleans SDK generates for this assembly. The
    /// storage (the job store and Orleans' grain storage) is the host's to add.
    /// </summary>
    /// <param name="silo">The silo.</param>
    /// <param name="configure">Sets the grains' options.</param>
    /// <param name="region">
    /// The region this silo runs, one silo per region (its silo metadata <c>region=&lt;id&gt;</c>, which places that region's
    /// grain here); null for the embedded default, one silo that runs every region.
    /// </param>
    public static ISiloBuilder AddFederationGrains(this ISiloBuilder silo, Action<FederationGrainsOptions>? configure = null, string? region = null)
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.UseSiloMetadata(region is null ? new Dictionary<string, string>() : new Dictionary<string, string> { [RegionSilos.MetadataKey] = region });
        var services = silo.Services;
        var options = services.AddOptions<FederationGrainsOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FederationGrainsOptions>, FederationGrainsOptionsValidator>());
        services.AddOptions<Projects.AllocationOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<Projects.AllocationOptions>, Projects.AllocationOptionsValidator>());
        services.TryAddSingleton<Projects.ProjectStandings>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<GrainsInstruments>();
        services.TryAddSingleton<RegionGauges>();
        services.TryAddSingleton<IRegionGauges>(static sp => sp.GetRequiredService<RegionGauges>());
        services.TryAddSingleton<ExecutionClock>();
        services.TryAddSingleton<NoticeDeliveries>();
        services.TryAddSingleton<IJobExecutor, SimulatedJobExecutor>();
        services.TryAddSingleton<JobRows>();
        services.TryAddSingleton<Audit.AuditTrail>();
        services.TryAddSingleton<Audit.IAuditQuery>(static sp => sp.GetRequiredService<Audit.AuditTrail>());
        services.TryAddSingleton<IJobQuery>(static sp => sp.GetRequiredService<JobRows>());
        services.TryAddSingleton<IJobRowReader>(static sp => sp.GetRequiredService<JobRows>());
        services.TryAddSingleton<GrainReferences>();
        services.TryAddSingleton<RegionSilos>();
        services.AddPlacementDirector<RegionAffinityPlacement, RegionAffinityPlacementDirector>();
        services.TryAddSingleton<StatisticsReports>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(static sp => sp.GetRequiredService<StatisticsReports>());
        services.TryAddSingleton<ResidencyPolicies>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(static sp => sp.GetRequiredService<ResidencyPolicies>());
        services.AddOptions<AdmissionOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AdmissionOptions>, AdmissionOptionsValidator>());
        services.TryAddSingleton<QueuedJobCounts>();
        return silo;
    }

    /// <summary>
    /// Runs the jobs of the given regions on their Slurm clusters through slurmrestd (<see cref="SlurmRegionExecutor"/>),
    /// the other regions' on the simulated executor. The megaregion's model should mark those regions
    /// <see cref="Scheduling.Region.RequiresScript"/>, so that jobs without a script are never placed there.
    /// </summary>
    public static ISiloBuilder AddSlurmExecutors(this ISiloBuilder silo, IReadOnlyDictionary<string, SlurmOptions> regions)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(regions);
        var services = silo.Services;
        services.AddSingleton(new SlurmRegions(regions));
        services.TryAddSingleton<SimulatedJobExecutor>();
        services.AddSingleton<RegionExecutors>();
        services.AddSingleton<IJobExecutor>(static sp => sp.GetRequiredService<RegionExecutors>());
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(static sp => sp.GetRequiredService<RegionExecutors>());
        return silo;
    }
}

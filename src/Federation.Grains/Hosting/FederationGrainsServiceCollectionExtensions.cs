using Federation.Grains.Execution;
using Federation.Grains.Diagnostics;
using Federation.Grains.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Federation.Grains.Hosting;

/// <summary>Registers the domain grains' dependencies on a host that already runs the actors runtime.</summary>
public static class FederationGrainsServiceCollectionExtensions
{
    /// <summary>
    /// Adds the options (validated on start), the execution clock, the simulated <see cref="IJobExecutor"/>
    /// (unless another executor is registered), the job query and the grains' metrics. The grain classes
    /// themselves register with the runtime through the generated module initializer of this assembly,
    /// which runs when this method first touches the assembly. The storage named by
    /// <see cref="FederationGrainsOptions.StorageName"/> must be registered by the host.
    /// </summary>
    public static IServiceCollection AddFederationGrains(this IServiceCollection services, Action<FederationGrainsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<FederationGrainsOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FederationGrainsOptions>, FederationGrainsOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<GrainsInstruments>();
        services.TryAddSingleton<ExecutionClock>();
        services.TryAddSingleton<IJobExecutor, SimulatedJobExecutor>();
        services.TryAddSingleton<IJobQuery, JobQuery>();
        services.TryAddSingleton<WellKnownGrains>();
        return services;
    }
}

using Federation.Actors.Catalog;
using Federation.Actors.Configuration;
using Federation.Actors.Diagnostics;
using Federation.Actors.Directory;
using Federation.Actors.Invocation;
using Federation.Actors.Messaging;
using Federation.Actors.Placement;
using Federation.Actors.Reminders;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Federation.Actors.Hosting;

/// <summary>Enables the runtime on a generic host.</summary>
public static class ActorsServiceCollectionExtensions
{
    /// <summary>
    /// Adds the silo: catalog, turn scheduler, message path, placement, in-memory directory, timers,
    /// reminders (when an <c>IReminderTable</c> is registered), metrics and the hosted service; and
    /// <see cref="IGrainFactory"/>. Storage providers are registered separately (keyed <c>IGrainStorage</c>).
    /// </summary>
    public static IServiceCollection AddActors(this IServiceCollection services, Action<ActorsBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(Silo)))
        {
            configure?.Invoke(new ActorsBuilder(services));
            return services;
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        // A host registers logging; a bare service collection (tests, tools) still gets working loggers.
        services.TryAddSingleton<ILoggerFactory, NullLoggerFactory>();
        services.TryAdd(ServiceDescriptor.Singleton(typeof(ILogger<>), typeof(Logger<>)));
        AddOptions<GrainCollectionOptions, GrainCollectionOptionsValidator>(services);
        AddOptions<MessagingOptions, MessagingOptionsValidator>(services);
        AddOptions<ReminderOptions, ReminderOptionsValidator>(services);
        AddOptions<SiloOptions, SiloOptionsValidator>(services);
        AddOptions<StatelessWorkerOptions, StatelessWorkerOptionsValidator>(services);

        services.TryAddSingleton<IGrainDirectory, InMemoryGrainDirectory>();
        services.TryAddKeyedSingleton<IPlacementDirector, RandomPlacementDirector>(typeof(RandomPlacement));
        services.TryAddKeyedSingleton<IPlacementDirector, PreferLocalPlacementDirector>(typeof(PreferLocalPlacement));
        services.TryAddKeyedSingleton<IPlacementDirector, PreferLocalPlacementDirector>(typeof(ResourceOptimizedPlacement));
        services.TryAddKeyedSingleton<IPlacementDirector, PreferLocalPlacementDirector>(typeof(StatelessWorkerPlacement));
        services.TryAddKeyedSingleton<IPlacementDirector, HashBasedPlacementDirector>(typeof(HashBasedPlacement));
        services.TryAddKeyedSingleton<IPlacementDirector, RegionAffinityPlacementDirector>(typeof(RegionAffinityPlacement));

        services.AddSingleton<ActorsInstruments>();
        services.AddSingleton<SiloRuntime>();
        services.AddSingleton(static sp => new Catalog.Catalog(sp.GetRequiredService<SiloRuntime>()));
        services.AddSingleton(static sp => new MessageRouter(sp.GetRequiredService<SiloRuntime>(), sp.GetRequiredService<Catalog.Catalog>()));
        services.AddSingleton<IGrainReferenceRuntime>(static sp => sp.GetRequiredService<MessageRouter>());
        services.AddSingleton<IGrainFactory>(static sp =>
        {
            var runtime = sp.GetRequiredService<SiloRuntime>();
            var factory = new GrainFactory(sp.GetRequiredService<IGrainReferenceRuntime>());
            runtime.GrainFactory = factory;
            return factory;
        });
        services.AddSingleton(static sp =>
        {
            var runtime = sp.GetRequiredService<SiloRuntime>();
            var reminders = ActivatorUtilities.CreateInstance<ReminderService>(sp);
            runtime.Reminders = reminders;
            return reminders;
        });
        services.AddSingleton(static sp =>
        {
            _ = sp.GetRequiredService<IGrainFactory>();
            return new Silo(sp.GetRequiredService<SiloRuntime>(), sp.GetRequiredService<Catalog.Catalog>(), sp.GetRequiredService<ReminderService>());
        });
        services.AddHostedService(static sp => sp.GetRequiredService<Silo>());
        configure?.Invoke(new ActorsBuilder(services));
        return services;
    }

    /// <summary>Enables the runtime on an <see cref="IHostBuilder"/>.</summary>
    public static IHostBuilder UseActors(this IHostBuilder hostBuilder, Action<HostBuilderContext, ActorsBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(hostBuilder);
        return hostBuilder.ConfigureServices((context, services) => services.AddActors(builder => configure?.Invoke(context, builder)));
    }

    /// <summary>Enables the runtime on a <see cref="IHostApplicationBuilder"/> (HostApplicationBuilder, WebApplicationBuilder).</summary>
    public static IHostApplicationBuilder UseActors(this IHostApplicationBuilder hostBuilder, Action<ActorsBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(hostBuilder);
        hostBuilder.Services.AddActors(configure);
        return hostBuilder;
    }

    private static void AddOptions<TOptions, TValidator>(IServiceCollection services)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddOptions<TOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>, TValidator>());
    }
}

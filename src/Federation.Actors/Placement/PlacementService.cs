using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Actors.Placement;

/// <summary>Runs the director registered for a grain class's strategy (keyed by the strategy's type).</summary>
internal sealed class PlacementService : IPlacementContext
{
    private readonly IServiceProvider _services;
    private readonly ConcurrentDictionary<Type, IPlacementDirector> _directors = new();
    private readonly SiloInfo[] _silos;

    public PlacementService(IServiceProvider services, SiloInfo localSilo)
    {
        _services = services;
        LocalSilo = localSilo;
        _silos = new[] { localSilo };
    }

    public SiloInfo LocalSilo { get; }

    public IReadOnlyList<SiloInfo> GetCompatibleSilos(GrainId grainId) => _silos;

    public SiloAddress Place(PlacementStrategy strategy, GrainId grainId)
    {
        var director = _directors.GetOrAdd(strategy.GetType(), static (type, sp) =>
            sp.GetKeyedService<IPlacementDirector>(type) ?? throw new InvalidOperationException($"No placement director is registered for {type.Name}."), _services);
        return director.OnAddActivation(strategy, grainId, this);
    }
}

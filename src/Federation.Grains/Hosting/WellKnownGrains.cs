using Federation.Actors;
using Federation.Contracts;
using Microsoft.Extensions.Options;

namespace Federation.Grains.Hosting;

/// <summary>
/// The references every job uses (the router, the megaregion, each region), made once per silo. A job activation lives
/// for one call, so references it made itself were made again for every job: a proxy, the grain type's lookup and the
/// key's id and hash each time. A grain reference is an address, shareable by every caller of the silo.
/// </summary>
public sealed class WellKnownGrains
{
    private readonly IGrainFactory _grains;
    private readonly string[] _regionIds;
    private readonly IRegionGrain[] _regions;

    public WellKnownGrains(IGrainFactory grains, IOptions<FederationGrainsOptions> options)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(options);
        _grains = grains;
        var regions = options.Value.Megaregion.Regions;
        _regionIds = new string[regions.Length];
        _regions = new IRegionGrain[regions.Length];
        for (var i = 0; i < regions.Length; i++)
        {
            _regionIds[i] = regions[i].Id;
            _regions[i] = grains.GetGrain<IRegionGrain>(regions[i].Id);
        }

        Router = grains.GetGrain<IRouterGrain>(0);
        Megaregion = grains.GetGrain<IMegaregionGrain>(IMegaregionGrain.Key);
    }

    public IRouterGrain Router { get; }

    public IMegaregionGrain Megaregion { get; }

    /// <summary>The region's reference (one of the megaregion's; any other id gets a reference of its own).</summary>
    public IRegionGrain Region(string id)
    {
        for (var i = 0; i < _regionIds.Length; i++)
        {
            if (string.Equals(_regionIds[i], id, StringComparison.Ordinal))
            {
                return _regions[i];
            }
        }

        return _grains.GetGrain<IRegionGrain>(id);
    }
}

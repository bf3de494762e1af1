using Federation.Contracts;
using Microsoft.Extensions.Options;
using Orleans;

namespace Federation.Grains.Hosting;

/// <summary>
/// The one way the federation gets a grain reference: the router, the megaregion and every region are made once per
/// silo (a job activation lives for one call, so references it made itself were made again for every job), jobs and
/// projects on demand. A grain reference is an address, shareable by every caller of the silo.
/// </summary>
public sealed class GrainReferences
{
    private readonly IGrainFactory _factory;
    private readonly string[] _regionIds;
    private readonly IRegionGrain[] _regions;

    public GrainReferences(IGrainFactory factory, IOptions<FederationGrainsOptions> options)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentNullException.ThrowIfNull(options);
        _factory = factory;
        var regions = options.Value.Megaregion.Regions;
        _regionIds = new string[regions.Length];
        _regions = new IRegionGrain[regions.Length];
        for (var i = 0; i < regions.Length; i++)
        {
            _regionIds[i] = regions[i].Id;
            _regions[i] = factory.GetGrain<IRegionGrain>(regions[i].Id);
        }

        Router = factory.GetGrain<IRouterGrain>(0);
        Megaregion = factory.GetGrain<IMegaregionGrain>(IMegaregionGrain.Key);
    }

    public IRouterGrain Router { get; }

    public IMegaregionGrain Megaregion { get; }

    /// <summary>The region at <paramref name="index"/> in the megaregion.</summary>
    public IRegionGrain Region(int index) => _regions[index];

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

        return _factory.GetGrain<IRegionGrain>(id);
    }

    public IJobGrain Job(string id) => _factory.GetGrain<IJobGrain>(id);

    public IProjectGrain Project(string id) => _factory.GetGrain<IProjectGrain>(id);
}

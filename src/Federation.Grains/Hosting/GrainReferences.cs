using Federation.Contracts;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Runtime;

namespace Federation.Grains.Hosting;

/// <summary>
/// The one way the federation gets a grain reference: the router, the megaregion and every region are made once per
/// silo (a job activation lives for one call, so references it made itself would be made again for every job), jobs and
/// projects on demand from their grain type and interface type, resolved once: Orleans' <c>GetGrain&lt;T&gt;(key)</c>
/// resolves the interface's type from its attributes on every call. A grain reference is an address, shareable by
/// every caller of the silo.
/// </summary>
public sealed class GrainReferences
{
    private readonly IGrainFactory _factory;
    private readonly string[] _regionIds;
    private readonly IRegionGrain[] _regions;
    private readonly (GrainType Grain, GrainInterfaceType Interface) _jobType;
    private readonly (GrainType Grain, GrainInterfaceType Interface) _projectType;

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
        ProjectDirectory = factory.GetGrain<IProjectDirectoryGrain>(IProjectDirectoryGrain.Key);
        Tokens = factory.GetGrain<ITokenRegistryGrain>(ITokenRegistryGrain.Key);
        _jobType = TypesOf(factory.GetGrain<IJobGrain>("-"));
        _projectType = TypesOf(factory.GetGrain<IProjectGrain>("-"));
    }

    public IRouterGrain Router { get; }

    public IMegaregionGrain Megaregion { get; }

    /// <summary>The projects that were given an allocation.</summary>
    public IProjectDirectoryGrain ProjectDirectory { get; }

    /// <summary>The token registry: the signing key, issued tokens and revocations.</summary>
    public ITokenRegistryGrain Tokens { get; }

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

    public IJobGrain Job(string id) => (IJobGrain)_factory.GetGrain(GrainId.Create(_jobType.Grain, id), _jobType.Interface);

    public IProjectGrain Project(string id) => (IProjectGrain)_factory.GetGrain(GrainId.Create(_projectType.Grain, id), _projectType.Interface);

    private static (GrainType, GrainInterfaceType) TypesOf(IAddressable reference) =>
        reference is GrainReference r ? (r.GrainId.Type, r.InterfaceType) : throw new InvalidOperationException($"{reference.GetType()} is not a grain reference");
}

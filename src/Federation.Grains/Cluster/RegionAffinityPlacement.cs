using Orleans;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Federation.Grains.Cluster;

/// <summary>
/// Places a grain keyed by a region id on a silo of that region (silo metadata <c>region=&lt;id&gt;</c>): a region's
/// grain, and with it what runs beside it (its executor's runs), stays next to the region's accelerators. When no
/// active silo of the region is known, the grain goes to the calling silo (any active silo); it moves home when one
/// returns (<see cref="Regions.RegionGrain"/> deactivates itself then, and the next call lands here again).
/// </summary>
[GenerateSerializer, Immutable, Alias("federation.RegionAffinityPlacement")]
public sealed class RegionAffinityPlacement : PlacementStrategy
{
    internal static readonly RegionAffinityPlacement Instance = new();
}

/// <summary>Marks a grain class keyed by region id for <see cref="RegionAffinityPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class RegionAffinityPlacementAttribute() : PlacementAttribute(RegionAffinityPlacement.Instance);

/// <summary>Chooses the silo for a <see cref="RegionAffinityPlacement"/> grain from the cluster's silos and their regions.</summary>
internal sealed class RegionAffinityPlacementDirector(RegionSilos silos) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var compatible = context.GetCompatibleSilos(target);

        // An explicit hint (IPlacementDirector.PlacementHintKey in the request context) wins, as it does for Orleans' own strategies.
        if (IPlacementDirector.GetPlacementHint(target.RequestContextData, compatible) is { } hinted)
        {
            return Task.FromResult(hinted);
        }

        var region = target.GrainIdentity.Key.ToString();
        var home = silos.HomeOf(region, compatible);
        if (home is not null)
        {
            return Task.FromResult(home);
        }

        // No silo of the region: the caller's silo if it can host the grain, else any that can.
        var local = context.LocalSilo;
        return Task.FromResult(Array.IndexOf(compatible, local) >= 0 ? local : compatible[Random.Shared.Next(compatible.Length)]);
    }
}

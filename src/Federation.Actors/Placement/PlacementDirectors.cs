using Federation.Actors.Placement;

namespace Federation.Actors.Placement;

/// <summary>A silo as placement sees it: its address, name and metadata.</summary>
public sealed record SiloInfo(SiloAddress Address, string Name, IReadOnlyDictionary<string, string> Metadata);

/// <summary>What a placement director may ask: the silo placing the grain and the compatible active silos.</summary>
public interface IPlacementContext
{
    SiloInfo LocalSilo { get; }

    /// <summary>Active silos that can host the grain type, in a stable order.</summary>
    IReadOnlyList<SiloInfo> GetCompatibleSilos(GrainId grainId);
}

/// <summary>Chooses the silo for a new activation under one strategy. Must be thread-safe.</summary>
public interface IPlacementDirector
{
    SiloAddress OnAddActivation(PlacementStrategy strategy, GrainId grainId, IPlacementContext context);
}

/// <summary>Uniformly random compatible silo.</summary>
public sealed class RandomPlacementDirector : IPlacementDirector
{
    public SiloAddress OnAddActivation(PlacementStrategy strategy, GrainId grainId, IPlacementContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var silos = PlacementGuard.Compatible(grainId, context);
        return silos[Random.Shared.Next(silos.Count)].Address;
    }
}

/// <summary>The local silo when compatible, else random (also used for stateless workers and, with no statistics, resource-optimized).</summary>
public sealed class PreferLocalPlacementDirector : IPlacementDirector
{
    public SiloAddress OnAddActivation(PlacementStrategy strategy, GrainId grainId, IPlacementContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var silos = PlacementGuard.Compatible(grainId, context);
        foreach (var silo in silos)
        {
            if (silo.Address == context.LocalSilo.Address)
            {
                return silo.Address;
            }
        }

        return silos[Random.Shared.Next(silos.Count)].Address;
    }
}

/// <summary><c>sorted(compatible)[(uniformHash &amp; 0x7fffffff) % n]</c>.</summary>
public sealed class HashBasedPlacementDirector : IPlacementDirector
{
    public SiloAddress OnAddActivation(PlacementStrategy strategy, GrainId grainId, IPlacementContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var silos = PlacementGuard.Compatible(grainId, context).Select(s => s.Address.ToString()).Order(StringComparer.Ordinal).ToList();
        var chosen = silos[(int)((grainId.GetUniformHashCode() & 0x7fffffff) % (uint)silos.Count)];
        return context.GetCompatibleSilos(grainId).First(s => s.Address.ToString() == chosen).Address;
    }
}

/// <summary>
/// A grain keyed by a region name prefers silos whose "region" metadata equals the key (random among
/// them), and fails over to any compatible silo when none matches.
/// </summary>
public sealed class RegionAffinityPlacementDirector : IPlacementDirector
{
    public SiloAddress OnAddActivation(PlacementStrategy strategy, GrainId grainId, IPlacementContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var silos = PlacementGuard.Compatible(grainId, context);
        var region = RegionOf(grainId);
        var matching = silos.Where(s => s.Metadata.TryGetValue(RegionAffinityPlacement.RegionMetadataKey, out var r) && string.Equals(r, region, StringComparison.OrdinalIgnoreCase)).ToList();
        var pool = matching.Count > 0 ? matching : silos;
        foreach (var silo in pool)
        {
            if (silo.Address == context.LocalSilo.Address)
            {
                return silo.Address;
            }
        }

        return pool[Random.Shared.Next(pool.Count)].Address;
    }

    /// <summary>The region a key names: the key itself, or its extension for compound keys.</summary>
    public static string RegionOf(GrainId grainId)
    {
        var key = grainId.Key;
        var plus = key.IndexOf('+', StringComparison.Ordinal);
        return plus >= 0 ? key[(plus + 1)..] : key;
    }
}

internal static class PlacementGuard
{
    public static IReadOnlyList<SiloInfo> Compatible(GrainId grainId, IPlacementContext context)
    {
        var silos = context.GetCompatibleSilos(grainId);
        return silos.Count == 0 ? throw new InvalidOperationException($"No active silo can host {grainId}.") : silos;
    }
}

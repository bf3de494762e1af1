namespace Federation.Actors.Placement;

/// <summary>How a grain class chooses a silo for a new activation. Each strategy has one director in the runtime.</summary>
public abstract class PlacementStrategy
{
    /// <summary>Whether activations of this strategy register in the grain directory.</summary>
    public virtual bool IsUsingGrainDirectory => true;

    public override string ToString() => GetType().Name;
}

/// <summary>A uniformly random compatible silo (Orleans' default up to 9.1).</summary>
public sealed class RandomPlacement : PlacementStrategy
{
    public static readonly RandomPlacement Instance = new();
}

/// <summary>The local silo if it is active and compatible, else random.</summary>
public sealed class PreferLocalPlacement : PlacementStrategy
{
    public static readonly PreferLocalPlacement Instance = new();
}

/// <summary><c>sorted(compatible)[(uniformHash &amp; 0x7fffffff) % n]</c>: deterministic for one membership.</summary>
public sealed class HashBasedPlacement : PlacementStrategy
{
    public static readonly HashBasedPlacement Instance = new();
}

/// <summary>
/// Orleans' default from 9.2. With no silo statistics (as in a single silo) it places like random,
/// preferring the local silo; the statistics-driven scoring belongs to the cluster issue.
/// </summary>
public sealed class ResourceOptimizedPlacement : PlacementStrategy
{
    public static readonly ResourceOptimizedPlacement Instance = new();
}

/// <summary>
/// A grain keyed by a region name prefers a silo whose "region" metadata equals its key, and fails
/// over to any active silo when none matches.
/// </summary>
public sealed class RegionAffinityPlacement : PlacementStrategy
{
    /// <summary>The silo metadata key compared with the grain key.</summary>
    public const string RegionMetadataKey = "region";

    public static readonly RegionAffinityPlacement Instance = new();
}

/// <summary>Up to <see cref="MaxLocal"/> local activations per silo, no directory entry (see <c>[StatelessWorker]</c>).</summary>
public sealed class StatelessWorkerPlacement : PlacementStrategy
{
    public StatelessWorkerPlacement(int maxLocal, bool removeIdleWorkers = true)
    {
        MaxLocal = maxLocal > 0 ? maxLocal : Environment.ProcessorCount;
        RemoveIdleWorkers = removeIdleWorkers;
    }

    public int MaxLocal { get; }

    public bool RemoveIdleWorkers { get; }

    public override bool IsUsingGrainDirectory => false;
}

/// <summary>Base of the placement attributes; the code generator records <see cref="Strategy"/> in the grain metadata.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public abstract class PlacementAttribute : Attribute
{
    protected PlacementAttribute(PlacementStrategy strategy)
    {
        Strategy = strategy;
    }

    public PlacementStrategy Strategy { get; }
}

public sealed class RandomPlacementAttribute : PlacementAttribute
{
    public RandomPlacementAttribute()
        : base(RandomPlacement.Instance)
    {
    }
}

public sealed class PreferLocalPlacementAttribute : PlacementAttribute
{
    public PreferLocalPlacementAttribute()
        : base(PreferLocalPlacement.Instance)
    {
    }
}

public sealed class HashBasedPlacementAttribute : PlacementAttribute
{
    public HashBasedPlacementAttribute()
        : base(HashBasedPlacement.Instance)
    {
    }
}

public sealed class ResourceOptimizedPlacementAttribute : PlacementAttribute
{
    public ResourceOptimizedPlacementAttribute()
        : base(ResourceOptimizedPlacement.Instance)
    {
    }
}

public sealed class RegionAffinityPlacementAttribute : PlacementAttribute
{
    public RegionAffinityPlacementAttribute()
        : base(RegionAffinityPlacement.Instance)
    {
    }
}

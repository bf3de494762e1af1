using System.Collections.Immutable;

namespace Federation.Contracts;

/// <summary>One accelerator pool of a region and how much of it is in use.</summary>
public sealed record PoolView
{
    public string Type { get; init; } = "";

    public int Count { get; init; }

    public int Busy { get; init; }

    /// <summary>Of <see cref="Busy"/>, accelerators used by jobs from other regions.</summary>
    public int ExternalBusy { get; init; }

    public double PetaflopsPerUnit { get; init; }

    public int MemoryGb { get; init; }
}

/// <summary>Accelerators of one type offered to other regions.</summary>
public sealed record OfferedAcceleratorsView
{
    public string Type { get; init; } = "";

    public int Count { get; init; }
}

/// <summary>
/// A region's spare-capacity offer: how many accelerators of which types jobs from other regions may
/// use, in which time window (null bounds are open), and whether such jobs may be preempted.
/// </summary>
public sealed record OfferView
{
    public ImmutableArray<OfferedAcceleratorsView> Accelerators { get; init; } = [];

    public DateTimeOffset? From { get; init; }

    public DateTimeOffset? Until { get; init; }

    public bool Preemptible { get; init; }
}

/// <summary>A regional datacenter as the API shows it.</summary>
public sealed record RegionView
{
    public string Id { get; init; } = "";

    public string Name { get; init; } = "";

    public ImmutableArray<PoolView> Pools { get; init; } = [];

    public int RunningJobs { get; init; }

    public int QueuedJobs { get; init; }

    /// <summary>Accelerators requested by the queued jobs.</summary>
    public long QueuedDemand { get; init; }

    public OfferView Offer { get; init; } = new();

    /// <summary>Busy accelerators / all accelerators, 0..1.</summary>
    public double Utilization { get; init; }

    /// <summary>A draining region starts no new job and admits none; running jobs finish.</summary>
    public bool Draining { get; init; }

    public double StoragePb { get; init; }

    public double TotalPetaflops { get; init; }

    /// <summary>True when the region's figures are illustrative rather than published.</summary>
    public bool Illustrative { get; init; }
}

/// <summary>A request to drain a region (or end a drain).</summary>
public sealed record DrainRequest
{
    /// <summary>True to drain, false to return the region to service.</summary>
    public bool Drain { get; init; } = true;

    /// <summary>
    /// When true, queued jobs are handed back to placement so they can start elsewhere; otherwise they wait
    /// for the region to return.
    /// </summary>
    public bool RequeueQueued { get; init; } = true;
}

/// <summary>Supply and demand of one region, as the megaregion view aggregates it.</summary>
public sealed record RegionLoad
{
    public string Id { get; init; } = "";

    public int Capacity { get; init; }

    public int Busy { get; init; }

    public long QueuedDemand { get; init; }

    public int QueuedJobs { get; init; }

    /// <summary>Accelerators offered to other regions.</summary>
    public int Offered { get; init; }

    /// <summary>Of <see cref="Busy"/>, accelerators used by jobs from other regions.</summary>
    public int ExternalBusy { get; init; }

    public double Utilization { get; init; }

    public bool Draining { get; init; }
}

/// <summary>Jobs that left one region for another (their home, or a queue they were moved out of).</summary>
public sealed record OverflowFlow
{
    public string From { get; init; } = "";

    public string To { get; init; } = "";

    public long Jobs { get; init; }

    public double DataMovedGb { get; init; }
}

/// <summary>The whole megaregion: each region's load, totals, and the overflow flows between regions.</summary>
public sealed record MegaregionView
{
    public DateTimeOffset At { get; init; }

    public ImmutableArray<RegionLoad> Regions { get; init; } = [];

    public ImmutableArray<OverflowFlow> Flows { get; init; } = [];

    public int TotalCapacity { get; init; }

    public int TotalBusy { get; init; }

    public long TotalQueuedDemand { get; init; }

    public double Utilization { get; init; }
}

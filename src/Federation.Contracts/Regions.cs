using System.Collections.Immutable;

namespace Federation.Contracts;

/// <summary>One accelerator pool of a region and how much of it is in use.</summary>
[GenerateSerializer, Immutable, Alias("federation.PoolView")]
public sealed record PoolView
{
    [Id(0)]
    public string Type { get; init; } = "";

    [Id(1)]
    public int Count { get; init; }

    [Id(2)]
    public int Busy { get; init; }

    /// <summary>Of <see cref="Busy"/>, accelerators used by jobs from other regions.</summary>
    [Id(3)]
    public int ExternalBusy { get; init; }

    [Id(4)]
    public double PetaflopsPerUnit { get; init; }

    [Id(5)]
    public int MemoryGb { get; init; }
}

/// <summary>Accelerators of one type offered to other regions.</summary>
[GenerateSerializer, Immutable, Alias("federation.OfferedAcceleratorsView")]
public sealed record OfferedAcceleratorsView
{
    [Id(0)]
    public string Type { get; init; } = "";

    [Id(1)]
    public int Count { get; init; }
}

/// <summary>
/// A region's spare-capacity offer: how many accelerators of which types jobs from other regions may
/// use, in which time window (null bounds are open), and whether such jobs may be preempted.
/// </summary>
[GenerateSerializer, Immutable, Alias("federation.OfferView")]
public sealed record OfferView
{
    [Id(0)]
    public ImmutableArray<OfferedAcceleratorsView> Accelerators { get; init; } = [];

    [Id(1)]
    public DateTimeOffset? From { get; init; }

    [Id(2)]
    public DateTimeOffset? Until { get; init; }

    [Id(3)]
    public bool Preemptible { get; init; }

    /// <summary>
    /// Under a preemptible offer: seconds between the checkpoint signal to a lent job the region takes back (reclaim)
    /// and the moment it is stopped. Null in a request keeps the default, 60 s; a region's view always says it.
    /// </summary>
    [Id(4)]
    public double? ReclaimGraceSeconds { get; init; }
}

/// <summary>A regional datacenter as the API shows it.</summary>
[GenerateSerializer, Immutable, Alias("federation.RegionView")]
public sealed record RegionView
{
    [Id(0)]
    public string Id { get; init; } = "";

    [Id(1)]
    public string Name { get; init; } = "";

    [Id(2)]
    public ImmutableArray<PoolView> Pools { get; init; } = [];

    [Id(3)]
    public int RunningJobs { get; init; }

    [Id(4)]
    public int QueuedJobs { get; init; }

    /// <summary>Accelerators requested by the queued jobs.</summary>
    [Id(5)]
    public long QueuedDemand { get; init; }

    [Id(6)]
    public OfferView Offer { get; init; } = new();

    /// <summary>Busy accelerators / all accelerators, 0..1.</summary>
    [Id(7)]
    public double Utilization { get; init; }

    /// <summary>A draining region starts no new job and admits none; running jobs finish.</summary>
    [Id(8)]
    public bool Draining { get; init; }

    [Id(9)]
    public double StoragePb { get; init; }

    [Id(10)]
    public double TotalPetaflops { get; init; }

    /// <summary>True when the region's figures are illustrative rather than published.</summary>
    [Id(11)]
    public bool Illustrative { get; init; }

    /// <summary>The Orleans silo the region's grain runs on (<c>host:port@generation</c>).</summary>
    [Id(12)]
    public string? HostSilo { get; init; }

    /// <summary>
    /// True when the region's grain runs on a silo of another region because none of its own is alive: it queues what
    /// it admits and starts nothing until one returns.
    /// </summary>
    [Id(13)]
    public bool Away { get; init; }

    /// <summary>
    /// Changes with every change of the offer or the drain state: the region's <c>ETag</c>. Sent back as <c>If-Match</c>
    /// with a change, it makes the change apply only to the region as it was read.
    /// </summary>
    [Id(14)]
    public long Version { get; init; }

    /// <summary>
    /// Jobs from other regions this region preempted to take its lent accelerators back (reclaim, under a preemptible
    /// offer), ever: the count is stored with the region's settings, and each preempted job's history says so (<c>Preempted</c>).
    /// </summary>
    [Id(15)]
    public long Preemptions { get; init; }

    /// <summary>
    /// Accelerators lent on top of <see cref="Offer"/> because projects returned hours of allocations this region backs,
    /// each until the end of its term (issue 16); the scheduler lends the offer plus these (at most each pool's size).
    /// </summary>
    [Id(16)]
    public ImmutableArray<ReturnedCapacityView> ReturnedCapacity { get; init; } = [];
}

/// <summary>Whether a region's own silos are alive, as the megaregion view shows it.</summary>
public static class RegionStatus
{
    /// <summary>A silo of the region is active (always, in the embedded default's one silo).</summary>
    public const string Up = "up";

    /// <summary>No silo of the region is active in the cluster's membership: it was declared dead, or never joined.</summary>
    public const string Unreachable = "unreachable";
}

/// <summary>A request to drain a region (or end a drain).</summary>
[GenerateSerializer, Immutable, Alias("federation.DrainRequest")]
public sealed record DrainRequest
{
    /// <summary>True to drain, false to return the region to service.</summary>
    [Id(0)]
    public bool Drain { get; init; } = true;

    /// <summary>
    /// When true, queued jobs are handed back to placement so they can start elsewhere; otherwise they wait
    /// for the region to return.
    /// </summary>
    [Id(1)]
    public bool RequeueQueued { get; init; } = true;
}

/// <summary>Supply and demand of one region, as the megaregion view aggregates it.</summary>
[GenerateSerializer, Immutable, Alias("federation.RegionLoad")]
public sealed record RegionLoad
{
    [Id(0)]
    public string Id { get; init; } = "";

    [Id(1)]
    public int Capacity { get; init; }

    [Id(2)]
    public int Busy { get; init; }

    [Id(3)]
    public long QueuedDemand { get; init; }

    [Id(4)]
    public int QueuedJobs { get; init; }

    /// <summary>Accelerators offered to other regions.</summary>
    [Id(5)]
    public int Offered { get; init; }

    /// <summary>Of <see cref="Busy"/>, accelerators used by jobs from other regions.</summary>
    [Id(6)]
    public int ExternalBusy { get; init; }

    [Id(7)]
    public double Utilization { get; init; }

    [Id(8)]
    public bool Draining { get; init; }

    /// <summary>The Orleans silo the region's grain runs on (<c>host:port@generation</c>), as of the region's last report.</summary>
    [Id(9)]
    public string? HostSilo { get; init; }

    /// <summary>True when the region's grain runs away from its own silos (see <see cref="RegionView.Away"/>).</summary>
    [Id(10)]
    public bool Away { get; init; }

    /// <summary><see cref="RegionStatus.Up"/> or <see cref="RegionStatus.Unreachable"/>, from the cluster's membership when the view is read.</summary>
    [Id(11)]
    public string Status { get; init; } = RegionStatus.Up;

    /// <summary>The active silos of the region (empty in the embedded default, where one silo runs every region).</summary>
    [Id(12)]
    public ImmutableArray<string> Silos { get; init; } = [];
}

/// <summary>Jobs that left one region for another (their home, or a queue they were moved out of).</summary>
[GenerateSerializer, Immutable, Alias("federation.OverflowFlow")]
public sealed record OverflowFlow
{
    [Id(0)]
    public string From { get; init; } = "";

    [Id(1)]
    public string To { get; init; } = "";

    [Id(2)]
    public long Jobs { get; init; }

    [Id(3)]
    public double DataMovedGb { get; init; }
}

/// <summary>The whole megaregion: each region's load, totals, and the overflow flows between regions.</summary>
[GenerateSerializer, Immutable, Alias("federation.MegaregionView")]
public sealed record MegaregionView
{
    [Id(0)]
    public DateTimeOffset At { get; init; }

    [Id(1)]
    public ImmutableArray<RegionLoad> Regions { get; init; } = [];

    [Id(2)]
    public ImmutableArray<OverflowFlow> Flows { get; init; } = [];

    [Id(3)]
    public int TotalCapacity { get; init; }

    [Id(4)]
    public int TotalBusy { get; init; }

    [Id(5)]
    public long TotalQueuedDemand { get; init; }

    [Id(6)]
    public double Utilization { get; init; }
}

/// <summary>A change made with a version (<c>If-Match</c>) that is no longer the region's: someone changed it since.</summary>
[GenerateSerializer, Alias("federation.RegionChangedException")]
public sealed class RegionChangedException : Exception
{
    public RegionChangedException()
    {
    }

    public RegionChangedException(string message)
        : base(message)
    {
    }

    public RegionChangedException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public RegionChangedException(string region, long expected, long current)
        : base($"{region} changed since it was read (version {expected}; now {current}): read it again and repeat the change if it still holds")
    {
        Region = region;
        Expected = expected;
        Current = current;
    }

    [Id(0)]
    public string Region { get; init; } = "";

    [Id(1)]
    public long Expected { get; init; }

    [Id(2)]
    public long Current { get; init; }
}

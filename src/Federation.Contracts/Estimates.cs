using System.Collections.Immutable;

namespace Federation.Contracts;

/// <summary>One running allocation, as a region's estimate carries it (a value: an estimate carries hundreds).</summary>
[GenerateSerializer, Immutable, Alias("federation.RunningSlot")]
public readonly record struct RunningSlot
{
    /// <summary>Index of the pool in the region's model.</summary>
    [Id(0)]
    public int Pool { get; init; }

    [Id(1)]
    public int Count { get; init; }

    /// <summary>The job's home is another region (it uses the offer).</summary>
    [Id(2)]
    public bool External { get; init; }

    /// <summary>When the job is expected to end, seconds on the domain clock.</summary>
    [Id(3)]
    public double EstimatedEndSeconds { get; init; }
}

/// <summary>One queued job (or, with no <see cref="JobId"/>, the summed work of several), as a region's estimate carries it.</summary>
[GenerateSerializer, Immutable, Alias("federation.QueuedSlot")]
public sealed record QueuedSlot
{
    /// <summary>The job; null for the head of the queue (only shape matters there) and for a summed slot.</summary>
    [Id(0)]
    public string? JobId { get; init; }

    [Id(1)]
    public int Count { get; init; }

    [Id(2)]
    public double DurationSeconds { get; init; }

    [Id(3)]
    public int Priority { get; init; }

    [Id(4)]
    public bool External { get; init; }

    /// <summary>Pools (bit i = pool i) the job may use.</summary>
    [Id(5)]
    public int PoolMask { get; init; }

    /// <summary>The request, for the tail jobs the rebalancer may move.</summary>
    [Id(6)]
    public JobRequest? Job { get; init; }

    [Id(7)]
    public DateTimeOffset SubmittedAt { get; init; }
}

/// <summary>
/// A region's scheduling state in compact form: enough for a router or the rebalancer to rebuild an
/// estimator that computes the same expected starts as the region (head of the queue individually, the
/// middle as summed work, the tail with the jobs' requests).
/// </summary>
[GenerateSerializer, Immutable, Alias("federation.RegionEstimate")]
public sealed record RegionEstimate
{
    [Id(0)]
    public string RegionId { get; init; } = "";

    /// <summary>Execution-clock time of the estimate.</summary>
    [Id(1)]
    public DateTimeOffset At { get; init; }

    [Id(2)]
    public OfferView Offer { get; init; } = new();

    [Id(3)]
    public bool Draining { get; init; }

    [Id(4)]
    public ImmutableArray<RunningSlot> Running { get; init; } = [];

    /// <summary>Queue order: head, an optional summed slot, tail; jobs waiting for their data come last.</summary>
    [Id(5)]
    public ImmutableArray<QueuedSlot> Queued { get; init; } = [];

    /// <summary>Jobs queued (or waiting for their data) in all.</summary>
    [Id(6)]
    public int QueuedJobs { get; init; }

    /// <summary>
    /// The size of each pool now, in the megaregion's pool order, when it is not the megaregion file's (a region whose
    /// pools are read from its Slurm); empty when the file's sizes hold.
    /// </summary>
    [Id(7)]
    public ImmutableArray<int> PoolSizes { get; init; } = [];
}

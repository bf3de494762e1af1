using System.Collections.Immutable;

namespace Federation.Contracts;

/// <summary>One running allocation, as a region's estimate carries it (a value: an estimate carries hundreds).</summary>
public readonly record struct RunningSlot
{
    /// <summary>Index of the pool in the region's model.</summary>
    public int Pool { get; init; }

    public int Count { get; init; }

    /// <summary>The job's home is another region (it uses the offer).</summary>
    public bool External { get; init; }

    /// <summary>When the job is expected to end, seconds on the domain clock.</summary>
    public double EstimatedEndSeconds { get; init; }
}

/// <summary>One queued job (or, with no <see cref="JobId"/>, the summed work of several), as a region's estimate carries it.</summary>
public sealed record QueuedSlot
{
    /// <summary>The job; null for the head of the queue (only shape matters there) and for a summed slot.</summary>
    public string? JobId { get; init; }

    public int Count { get; init; }

    public double DurationSeconds { get; init; }

    public int Priority { get; init; }

    public bool External { get; init; }

    /// <summary>Pools (bit i = pool i) the job may use.</summary>
    public int PoolMask { get; init; }

    /// <summary>The request, for the tail jobs the rebalancer may move.</summary>
    public JobRequest? Job { get; init; }

    public DateTimeOffset SubmittedAt { get; init; }
}

/// <summary>
/// A region's scheduling state in compact form: enough for a router or the rebalancer to rebuild an
/// estimator that computes the same expected starts as the region (head of the queue individually, the
/// middle as summed work, the tail with the jobs' requests).
/// </summary>
public sealed record RegionEstimate
{
    public string RegionId { get; init; } = "";

    /// <summary>Execution-clock time of the estimate.</summary>
    public DateTimeOffset At { get; init; }

    public OfferView Offer { get; init; } = new();

    public bool Draining { get; init; }

    public ImmutableArray<RunningSlot> Running { get; init; } = [];

    /// <summary>Queue order: head, an optional summed slot, tail; jobs waiting for their data come last.</summary>
    public ImmutableArray<QueuedSlot> Queued { get; init; } = [];

    /// <summary>Jobs queued (or waiting for their data) in all.</summary>
    public int QueuedJobs { get; init; }
}

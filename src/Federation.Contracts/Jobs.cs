using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Federation.Contracts;

/// <summary>What a job needs in accelerators: how many, of which types (empty = any), with how much memory each.</summary>
public sealed record AcceleratorRequest
{
    public int Count { get; init; }

    public ImmutableArray<string> Types { get; init; } = [];

    public int MinMemoryGb { get; init; }
}

/// <summary>Where a job's input data lives and how big it is; moving it to another region takes time.</summary>
public sealed record DatasetRef
{
    public string Region { get; init; } = "";

    public double SizeGb { get; init; }
}

/// <summary>
/// A job as a researcher submits it. <see cref="Id"/> is optional: a client-supplied id makes the
/// submission idempotent (the same id and body returns the existing job; the same id with another body
/// is refused). Every multi-accelerator job is a gang: it runs whole, in one region.
/// </summary>
public sealed record JobRequest
{
    public string? Id { get; init; }

    public string Project { get; init; } = "";

    public string Owner { get; init; } = "";

    public string HomeRegion { get; init; } = "";

    public AcceleratorRequest Accelerators { get; init; } = new();

    public double DurationHours { get; init; }

    /// <summary>The dataset; when absent the job has no input data to move.</summary>
    public DatasetRef? Dataset { get; init; }

    /// <summary>Regions the job may run in (data residency); empty means any.</summary>
    public ImmutableArray<string> AllowedRegions { get; init; } = [];

    /// <summary>Higher runs first; equal priorities run in submission order.</summary>
    public int Priority { get; init; }
}

[JsonConverter(typeof(JsonStringEnumConverter<JobState>))]
public enum JobState
{
    /// <summary>Accepted, not yet placed in a region.</summary>
    Submitted,

    /// <summary>Waiting in a region's queue.</summary>
    Queued,

    /// <summary>Holding its accelerators in a region.</summary>
    Running,

    Completed,

    Failed,

    Cancelled,
}

/// <summary>One entry of a job's history: what happened, when, where and why.</summary>
public sealed record JobEvent
{
    public DateTimeOffset At { get; init; }

    /// <summary>Submitted, Queued, Started, Overflowed, Requeued, Completed, Failed, Cancelled.</summary>
    public string Kind { get; init; } = "";

    public string? Region { get; init; }

    public string Message { get; init; } = "";
}

/// <summary>How one region scored for a job when it was placed.</summary>
public sealed record CandidateRegion
{
    public string Region { get; init; } = "";

    /// <summary>False when a hard constraint excluded the region; <see cref="ExcludedBecause"/> says which.</summary>
    public bool Eligible { get; init; }

    public string? ExcludedBecause { get; init; }

    /// <summary>Expected wait before the job could start there, data transfer included, in seconds.</summary>
    public double? ExpectedStartDelaySeconds { get; init; }

    /// <summary>Time to move the dataset there, in seconds (0 in the dataset's own region).</summary>
    public double TransferSeconds { get; init; }

    /// <summary>Policy penalty added to the score, in seconds.</summary>
    public double PenaltySeconds { get; init; }

    /// <summary>Lower is better; null when excluded.</summary>
    public double? Score { get; init; }
}

/// <summary>
/// How the router scored one region for a job, in numbers (what a job's row keeps of a placement; the API shows it as a
/// <see cref="CandidateRegion"/> and in the job's reason). The property names are those of <see cref="CandidateRegion"/>,
/// so rows written before this type existed still read.
/// </summary>
public readonly record struct RegionScore
{
    public string Region { get; init; }

    /// <summary>The hard constraint that excluded the region, in words; null when none did.</summary>
    public string? ExcludedBecause { get; init; }

    /// <summary>Why the router did not use a region that met every hard constraint (draining, it refused, the job is leaving it); null when none.</summary>
    public string? NotUsedBecause { get; init; }

    /// <summary>Expected wait before the job could start there, data transfer included, in seconds; null when not estimated (excluded) or never.</summary>
    public double? ExpectedStartDelaySeconds { get; init; }

    /// <summary>Time to move the dataset there, in seconds; infinite without a network path.</summary>
    public double TransferSeconds { get; init; }

    /// <summary>Policy penalty added to the score, in seconds.</summary>
    public double PenaltySeconds { get; init; }

    /// <summary>Met every hard constraint, could start, and was not set aside by the router.</summary>
    [JsonIgnore]
    public bool Eligible => ExcludedBecause is null && NotUsedBecause is null && ExpectedStartDelaySeconds is not null;

    /// <summary>The earliest-start score (lower is better); null when not eligible.</summary>
    [JsonIgnore]
    public double? Score => Eligible ? ExpectedStartDelaySeconds + PenaltySeconds : null;
}

/// <summary>A placement decision in numbers: the chosen region (null when none could run the job) and every region's score, in megaregion order.</summary>
public sealed record PlacementDecision
{
    public string Policy { get; init; } = "";

    public string? ChosenRegion { get; init; }

    public ImmutableArray<RegionScore> Candidates { get; init; } = [];
}

/// <summary>Why a job was placed where it was: the policy, the chosen region and every candidate's score.</summary>
public sealed record PlacementExplanation
{
    public string Policy { get; init; } = "";

    public string? ChosenRegion { get; init; }

    public ImmutableArray<CandidateRegion> Candidates { get; init; } = [];
}

/// <summary>A job as the API shows it: the request, where it is, its state, why it is there and what happened to it.</summary>
public sealed record JobView
{
    public string Id { get; init; } = "";

    public string Project { get; init; } = "";

    public string Owner { get; init; } = "";

    public string HomeRegion { get; init; } = "";

    public AcceleratorRequest Accelerators { get; init; } = new();

    public double DurationHours { get; init; }

    public DatasetRef? Dataset { get; init; }

    public ImmutableArray<string> AllowedRegions { get; init; } = [];

    public int Priority { get; init; }

    public JobState State { get; init; }

    /// <summary>The region the job is queued or running in, or ran in; null before placement.</summary>
    public string? Region { get; init; }

    /// <summary>The reason for the placement, in words.</summary>
    public string Reason { get; init; } = "";

    public PlacementExplanation? Placement { get; init; }

    public ImmutableArray<JobEvent> History { get; init; } = [];

    public DateTimeOffset SubmittedAt { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? EndedAt { get; init; }
}

/// <summary>
/// One event of a job's history as the job keeps it. The words of the common events (submitted, queued, overflowed,
/// started) are not kept: they follow from the kind, the region and the request, and are rendered when the job is shown.
/// </summary>
public sealed record JobHistoryEntry
{
    public DateTimeOffset At { get; init; }

    /// <summary>Submitted, Queued, Started, Overflowed, Requeued, Completed, Failed, Cancelled.</summary>
    public string Kind { get; init; } = "";

    public string? Region { get; init; }

    /// <summary>The words, when they are not the kind's own (released, moved, ended); null when they are rendered from the kind.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Message { get; init; }

    /// <summary>Data transfer counted at a placement (queued, overflowed), seconds.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public double TransferSeconds { get; init; }
}

/// <summary>
/// A job as its grain answers a submission: the facts in numbers (the placement decision, the history entries) and no
/// words. A submission's answer is mostly not read in full (a client checks the state), and rendering the reason and the
/// event messages cost more than the placement; whoever shows the job renders them (<c>JobViews.ToView</c> in
/// Federation.Grains, as the REST API does).
/// </summary>
public sealed record JobSnapshot
{
    public string Id { get; init; } = "";

    public JobRequest Request { get; init; } = new();

    public JobState State { get; init; }

    public string? Region { get; init; }

    /// <summary>The reason in words when it is not the placement's (cancelled, ended, moved); null when it is rendered from <see cref="Placement"/>.</summary>
    public string? Reason { get; init; }

    public PlacementDecision? Placement { get; init; }

    public ImmutableArray<JobHistoryEntry> History { get; init; } = [];

    public DateTimeOffset SubmittedAt { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? EndedAt { get; init; }
}

/// <summary>The outcome of a submission.</summary>
public sealed record SubmitResult
{
    /// <summary>True when the job was created by this call; false when an identical submission already existed.</summary>
    public bool Created { get; init; }

    /// <summary>Set when the id is taken by a job with a different body: nothing was changed.</summary>
    public string? Conflict { get; init; }

    public JobSnapshot? Job { get; init; }
}

/// <summary>A page of jobs.</summary>
public sealed record JobList
{
    public ImmutableArray<JobView> Jobs { get; init; } = [];

    /// <summary>Total jobs that matched the filters (the page may hold fewer).</summary>
    public int Total { get; init; }

    /// <summary>Pass as the next page's "after" to continue; null on the last page.</summary>
    public string? NextAfter { get; init; }
}

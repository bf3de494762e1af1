using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Federation.Contracts;

/// <summary>What a job needs in accelerators: how many, of which types (empty = any), with how much memory each.</summary>
[GenerateSerializer, Immutable, Alias("federation.AcceleratorRequest")]
public sealed record AcceleratorRequest
{
    [Id(0)]
    public int Count { get; init; }

    [Id(1)]
    public ImmutableArray<string> Types { get; init; } = [];

    [Id(2)]
    public int MinMemoryGb { get; init; }
}

/// <summary>Where a job's input data lives and how big it is; moving it to another region takes time.</summary>
[GenerateSerializer, Immutable, Alias("federation.DatasetRef")]
public sealed record DatasetRef
{
    [Id(0)]
    public string Region { get; init; } = "";

    [Id(1)]
    public double SizeGb { get; init; }

    /// <summary>The dataset's residency class (<c>GET /api/residency</c>): the job runs only in regions the class allows, as it is at each placement; null when it has none.</summary>
    [Id(2)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Residency { get; init; }
}

/// <summary>
/// A job as a researcher submits it. <see cref="Id"/> is optional: a client-supplied id makes the
/// submission idempotent (the same id and body returns the existing job; the same id with another body
/// is refused). Every multi-accelerator job is a gang: it runs whole, in one region.
/// </summary>
[GenerateSerializer, Immutable, Alias("federation.JobRequest")]
public sealed record JobRequest
{
    [Id(0)]
    public string? Id { get; init; }

    [Id(1)]
    public string Project { get; init; } = "";

    [Id(2)]
    public string Owner { get; init; } = "";

    [Id(3)]
    public string HomeRegion { get; init; } = "";

    [Id(4)]
    public AcceleratorRequest Accelerators { get; init; } = new();

    [Id(5)]
    public double DurationHours { get; init; }

    /// <summary>The dataset; when absent the job has no input data to move.</summary>
    [Id(6)]
    public DatasetRef? Dataset { get; init; }

    /// <summary>Regions the job may run in (data residency); empty means any.</summary>
    [Id(7)]
    public ImmutableArray<string> AllowedRegions { get; init; } = [];

    /// <summary>Higher runs first; equal priorities run in submission order.</summary>
    [Id(8)]
    public int Priority { get; init; }

    /// <summary>What the job runs (a batch script); null for a job that only holds accelerators (simulated regions).</summary>
    [Id(9)]
    public JobRun? Run { get; init; }
}

[GenerateSerializer, Alias("federation.JobState")]
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
[GenerateSerializer, Immutable, Alias("federation.JobEvent")]
public sealed record JobEvent
{
    [Id(0)]
    public DateTimeOffset At { get; init; }

    /// <summary>Submitted, Queued, Started, Overflowed, Preempted, Requeued, Completed, Failed, Cancelled.</summary>
    [Id(1)]
    public string Kind { get; init; } = "";

    [Id(2)]
    public string? Region { get; init; }

    [Id(3)]
    public string Message { get; init; } = "";

    /// <summary>On a Started event: the accelerator type the run got (null on other events, and on runs recorded before it was kept).</summary>
    [Id(4)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? AcceleratorType { get; init; }

    /// <summary>On a placement or a move of a job whose dataset has a residency class: the class and the regions it allowed then.</summary>
    [Id(5)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ResidencyCheck? Residency { get; init; }
}

/// <summary>How one region scored for a job when it was placed.</summary>
[GenerateSerializer, Immutable, Alias("federation.CandidateRegion")]
public sealed record CandidateRegion
{
    [Id(0)]
    public string Region { get; init; } = "";

    /// <summary>False when a hard constraint excluded the region; <see cref="ExcludedBecause"/> says which.</summary>
    [Id(1)]
    public bool Eligible { get; init; }

    [Id(2)]
    public string? ExcludedBecause { get; init; }

    /// <summary>Expected wait before the job could start there, data transfer included, in seconds.</summary>
    [Id(3)]
    public double? ExpectedStartDelaySeconds { get; init; }

    /// <summary>Time to move the dataset there, in seconds (0 in the dataset's own region).</summary>
    [Id(4)]
    public double TransferSeconds { get; init; }

    /// <summary>Policy penalty added to the score, in seconds.</summary>
    [Id(5)]
    public double PenaltySeconds { get; init; }

    /// <summary>Lower is better; null when excluded.</summary>
    [Id(6)]
    public double? Score { get; init; }
}

/// <summary>
/// How the router scored one region for a job, in numbers (what a job's row keeps of a placement; the API shows it as a
/// <see cref="CandidateRegion"/> and in the job's reason). The property names are those of <see cref="CandidateRegion"/>,
/// so rows written before this type existed still read.
/// </summary>
[GenerateSerializer, Immutable, Alias("federation.RegionScore")]
public readonly record struct RegionScore
{
    [Id(0)]
    public string Region { get; init; }

    /// <summary>The hard constraint that excluded the region, in words; null when none did.</summary>
    [Id(1)]
    public string? ExcludedBecause { get; init; }

    /// <summary>Why the router did not use a region that met every hard constraint (draining, it refused, the job is leaving it); null when none.</summary>
    [Id(2)]
    public string? NotUsedBecause { get; init; }

    /// <summary>Expected wait before the job could start there, data transfer included, in seconds; null when not estimated (excluded) or never.</summary>
    [Id(3)]
    public double? ExpectedStartDelaySeconds { get; init; }

    /// <summary>Time to move the dataset there, in seconds; infinite without a network path.</summary>
    [Id(4)]
    public double TransferSeconds { get; init; }

    /// <summary>Policy penalty added to the score, in seconds.</summary>
    [Id(5)]
    public double PenaltySeconds { get; init; }

    /// <summary>Met every hard constraint, could start, and was not set aside by the router.</summary>
    [JsonIgnore]
    public bool Eligible => ExcludedBecause is null && NotUsedBecause is null && ExpectedStartDelaySeconds is not null;

    /// <summary>The earliest-start score (lower is better); null when not eligible.</summary>
    [JsonIgnore]
    public double? Score => Eligible ? ExpectedStartDelaySeconds + PenaltySeconds : null;
}

/// <summary>A placement decision in numbers: the chosen region (null when none could run the job) and every region's score, in megaregion order.</summary>
[GenerateSerializer, Immutable, Alias("federation.PlacementDecision")]
public sealed record PlacementDecision
{
    [Id(0)]
    public string Policy { get; init; } = "";

    [Id(1)]
    public string? ChosenRegion { get; init; }

    [Id(2)]
    public ImmutableArray<RegionScore> Candidates { get; init; } = [];

    /// <summary>What the scores alone do not say (e.g. the chosen region cannot be reached now), or null.</summary>
    [Id(3)]
    public string? Note { get; init; }
}

/// <summary>Why a job was placed where it was: the policy, the chosen region and every candidate's score.</summary>
[GenerateSerializer, Immutable, Alias("federation.PlacementExplanation")]
public sealed record PlacementExplanation
{
    [Id(0)]
    public string Policy { get; init; } = "";

    [Id(1)]
    public string? ChosenRegion { get; init; }

    [Id(2)]
    public ImmutableArray<CandidateRegion> Candidates { get; init; } = [];

    /// <summary>What the scores alone do not say (e.g. the chosen region cannot be reached now), or null.</summary>
    [Id(3)]
    public string? Note { get; init; }
}

/// <summary>A job as the API shows it: the request, where it is, its state, why it is there and what happened to it.</summary>
[GenerateSerializer, Immutable, Alias("federation.JobView")]
public sealed record JobView
{
    [Id(0)]
    public string Id { get; init; } = "";

    [Id(1)]
    public string Project { get; init; } = "";

    [Id(2)]
    public string Owner { get; init; } = "";

    [Id(3)]
    public string HomeRegion { get; init; } = "";

    [Id(4)]
    public AcceleratorRequest Accelerators { get; init; } = new();

    [Id(5)]
    public double DurationHours { get; init; }

    [Id(6)]
    public DatasetRef? Dataset { get; init; }

    [Id(7)]
    public ImmutableArray<string> AllowedRegions { get; init; } = [];

    [Id(8)]
    public int Priority { get; init; }

    [Id(9)]
    public JobState State { get; init; }

    /// <summary>The region the job is queued or running in, or ran in; null before placement.</summary>
    [Id(10)]
    public string? Region { get; init; }

    /// <summary>The reason for the placement, in words.</summary>
    [Id(11)]
    public string Reason { get; init; } = "";

    [Id(12)]
    public PlacementExplanation? Placement { get; init; }

    [Id(13)]
    public ImmutableArray<JobEvent> History { get; init; } = [];

    [Id(14)]
    public DateTimeOffset SubmittedAt { get; init; }

    [Id(15)]
    public DateTimeOffset? StartedAt { get; init; }

    [Id(16)]
    public DateTimeOffset? EndedAt { get; init; }

    /// <summary>What the job runs, as submitted; null when it only holds accelerators.</summary>
    [Id(17)]
    public JobRun? Run { get; init; }

    /// <summary>The id of the job in the backend that runs it (<c>slurm:&lt;cluster&gt;:&lt;job id&gt;</c>), once submitted there.</summary>
    [Id(18)]
    public string? BackendJobId { get; init; }

    /// <summary>The script's exit code once it ended (3 for <c>exit 3</c>); null before, or when no script ran.</summary>
    [Id(19)]
    public int? ExitCode { get; init; }

    /// <summary>The backend's last word on the job (Slurm's reason: <c>Resources</c> while pending, <c>NonZeroExitCode</c> at the end).</summary>
    [Id(20)]
    public string? BackendReason { get; init; }
}

/// <summary>
/// One event of a job's history as the job keeps it. The words of the common events (submitted, queued, overflowed,
/// started) are not kept: they follow from the kind, the region and the request, and are rendered when the job is shown.
/// </summary>
[GenerateSerializer, Immutable, Alias("federation.JobHistoryEntry")]
public sealed record JobHistoryEntry
{
    [Id(0)]
    public DateTimeOffset At { get; init; }

    /// <summary>Submitted, Queued, Started, Overflowed, Preempted, Requeued, Completed, Failed, Cancelled.</summary>
    [Id(1)]
    public string Kind { get; init; } = "";

    [Id(2)]
    public string? Region { get; init; }

    /// <summary>The words, when they are not the kind's own (released, moved, ended); null when they are rendered from the kind.</summary>
    [Id(3)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Message { get; init; }

    /// <summary>Data transfer counted at a placement (queued, overflowed), seconds.</summary>
    [Id(4)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public double TransferSeconds { get; init; }

    /// <summary>On a Started event: the accelerator type (pool) the run got, which the credit ledger books; null on other events and on rows written before it was kept.</summary>
    [Id(5)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? AcceleratorType { get; init; }

    /// <summary>On a placement or a move (Queued, Overflowed, Requeued) of a job with a residency class: the check the admitting region made.</summary>
    [Id(6)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ResidencyCheck? Residency { get; init; }
}

/// <summary>
/// A job as its grain answers (a submission, a read, a cancel): the facts in numbers (the placement decision, the
/// history entries) and no words. The REST API renders the words when it shows the job (<c>JobViews.ToView</c> in
/// Federation.Server): most placements are never read in words.
/// </summary>
[GenerateSerializer, Immutable, Alias("federation.JobSnapshot")]
public sealed record JobSnapshot
{
    [Id(0)]
    public string Id { get; init; } = "";

    [Id(1)]
    public JobRequest Request { get; init; } = new();

    [Id(2)]
    public JobState State { get; init; }

    [Id(3)]
    public string? Region { get; init; }

    /// <summary>The reason in words when it is not the placement's (cancelled, ended, moved); null when it is rendered from <see cref="Placement"/>.</summary>
    [Id(4)]
    public string? Reason { get; init; }

    [Id(5)]
    public PlacementDecision? Placement { get; init; }

    [Id(6)]
    public ImmutableArray<JobHistoryEntry> History { get; init; } = [];

    [Id(7)]
    public DateTimeOffset SubmittedAt { get; init; }

    [Id(8)]
    public DateTimeOffset? StartedAt { get; init; }

    [Id(9)]
    public DateTimeOffset? EndedAt { get; init; }

    [Id(10)]
    public string? BackendJobId { get; init; }

    [Id(11)]
    public int? ExitCode { get; init; }

    [Id(12)]
    public string? BackendReason { get; init; }
}

/// <summary>The outcome of a submission.</summary>
[GenerateSerializer, Immutable, Alias("federation.SubmitResult")]
public sealed record SubmitResult
{
    /// <summary>True when the job was created by this call; false when an identical submission already existed.</summary>
    [Id(0)]
    public bool Created { get; init; }

    /// <summary>Set when the id is taken by a job with a different body: nothing was changed.</summary>
    [Id(1)]
    public string? Conflict { get; init; }

    [Id(2)]
    public JobSnapshot? Job { get; init; }

    /// <summary>Set when the project already has as many queued jobs as the cap allows: nothing was stored.</summary>
    [Id(3)]
    public string? OverCap { get; init; }
}

/// <summary>A page of jobs.</summary>
[GenerateSerializer, Immutable, Alias("federation.JobList")]
public sealed record JobList
{
    [Id(0)]
    public ImmutableArray<JobView> Jobs { get; init; } = [];

    /// <summary>Total jobs that matched the filters (the page may hold fewer).</summary>
    [Id(1)]
    public int Total { get; init; }

    /// <summary>Pass as the next page's "after" (with the same filters and order) to continue; null on the last page.</summary>
    [Id(2)]
    public string? NextAfter { get; init; }
}

/// <summary>The kinds of <see cref="JobEvent"/> and <see cref="JobHistoryEntry"/>.</summary>
public static class JobEventKinds
{
    public const string Submitted = "Submitted";
    public const string Queued = "Queued";
    public const string Started = "Started";
    public const string Overflowed = "Overflowed";
    public const string Requeued = "Requeued";

    /// <summary>The job ran on accelerators lent by another region, which took them back (reclaim); it is placed again.</summary>
    public const string Preempted = "Preempted";

    /// <summary>The region running the job on lent accelerators decided to take them back: checkpoint signal now, stopped at the reclaim time.</summary>
    public const string Reclaiming = "Reclaiming";
    public const string Completed = "Completed";
    public const string Failed = "Failed";
    public const string Cancelled = "Cancelled";

    /// <summary>The executor submitted the job to its backend, or re-attached to it.</summary>
    public const string Backend = "Backend";

    /// <summary>At a placement: the job's project has allocation hours left for it (the message says how many).</summary>
    public const string Allocated = "Allocated";

    /// <summary>
    /// At a placement: the job's project has no allocation hours left for it (the message says which allocation); it runs
    /// only on spare capacity, queues behind every allocated job and is preempted first.
    /// </summary>
    public const string OverAllocation = "OverAllocation";

    /// <summary>Whether the job's latest standing event in <paramref name="history"/> says it is over allocation.</summary>
    public static bool IsOverAllocation(IReadOnlyList<JobHistoryEntry> history)
    {
        ArgumentNullException.ThrowIfNull(history);
        for (var i = history.Count - 1; i >= 0; i--)
        {
            if (history[i].Kind is Allocated)
            {
                return false;
            }

            if (history[i].Kind is OverAllocation)
            {
                return true;
            }
        }

        return false;
    }
}

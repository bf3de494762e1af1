using System.Text.Json.Serialization;
using Federation.Actors.Storage;
using Federation.Contracts;

namespace Federation.Grains.Jobs;

/// <summary>
/// The durable row of one job: the single source of truth of its spec, state, region and history. A
/// region's queue and running allocations are rebuilt from these rows (index entries
/// <see cref="IndexRegion"/> + <see cref="IndexActive"/>), and the API lists jobs by
/// <see cref="IndexState"/>, <see cref="IndexRegion"/> and <see cref="IndexProject"/>. Stored as JSON by
/// <see cref="JobRecordJsonConverter"/>.
/// </summary>
[JsonConverter(typeof(JobRecordJsonConverter))]
public sealed class JobRecord : IIndexedGrainState
{
    /// <summary>State name of the job grain's persistent state.</summary>
    public const string StateName = "job";

    /// <summary>Grain type of the job grain (Orleans' naming convention applied to JobGrain).</summary>
    public const string GrainTypeName = "job";

    public const string IndexState = "state";
    public const string IndexRegion = "region";
    public const string IndexProject = "project";

    /// <summary>"1" while the job is queued or running (what a region rebuilds from).</summary>
    public const string IndexActive = "active";

    /// <summary>Longest history kept: the first events and the latest ones survive.</summary>
    public const int MaxHistory = 64;

    public JobRequest? Request { get; set; }

    public JobState State { get; set; }

    public string? Region { get; set; }

    /// <summary>
    /// The reason in words when it is not a placement's (cancelled, ended, moved by the rebalancer); null when it is
    /// rendered from <see cref="Placement"/> on read, so that placing a job builds no text.
    /// </summary>
    public string? Reason { get; set; }

    /// <summary>The last placement decision, in numbers.</summary>
    public PlacementDecision? Placement { get; set; }

    public List<JobHistoryEntry> History { get; set; } = [];

    public DateTimeOffset SubmittedAt { get; set; }

    /// <summary>When it joined its current region (queue order on rebuild).</summary>
    public DateTimeOffset? QueuedAt { get; set; }

    /// <summary>When its dataset is (or was) in its current region.</summary>
    public DateTimeOffset? DataReadyAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? EndedAt { get; set; }

    public bool IsActive => State is JobState.Queued or JobState.Running;

    public bool IsFinal => State is JobState.Completed or JobState.Failed or JobState.Cancelled;

    public void GetIndexEntries(ICollection<KeyValuePair<string, string>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        entries.Add(new(IndexState, State.ToString()));
        if (Region is not null)
        {
            entries.Add(new(IndexRegion, Region));
        }

        if (Request is not null)
        {
            entries.Add(new(IndexProject, Request.Project));
        }

        if (IsActive)
        {
            entries.Add(new(IndexActive, "1"));
        }
    }

    /// <summary>Adds an event; a null <paramref name="message"/> is rendered from the kind when the job is shown (<see cref="JobViews"/>).</summary>
    public void AddEvent(DateTimeOffset at, string kind, string? region, string? message = null, double transferSeconds = 0)
    {
        if (History.Count >= MaxHistory)
        {
            // Keep the submission and the most recent events.
            History.RemoveAt(1);
        }

        History.Add(new JobHistoryEntry { At = at, Kind = kind, Region = region, Message = message, TransferSeconds = transferSeconds });
    }

    /// <summary>The job's facts as a submission answers them (no words: see <see cref="JobSnapshot"/>).</summary>
    public JobSnapshot ToSnapshot(string id) => new()
    {
        Id = id,
        Request = Request ?? new JobRequest(),
        State = State,
        Region = Region,
        Reason = Reason,
        Placement = Placement,
        History = [.. History],
        SubmittedAt = SubmittedAt,
        StartedAt = StartedAt,
        EndedAt = EndedAt,
    };

    /// <summary>The job as the API shows it, words rendered.</summary>
    public JobView ToView(string id) => ToSnapshot(id).ToView();
}

/// <summary>Kinds of <see cref="JobEvent"/>.</summary>
public static class JobEventKinds
{
    public const string Submitted = "Submitted";
    public const string Queued = "Queued";
    public const string Started = "Started";
    public const string Overflowed = "Overflowed";
    public const string Requeued = "Requeued";
    public const string Completed = "Completed";
    public const string Failed = "Failed";
    public const string Cancelled = "Cancelled";
}

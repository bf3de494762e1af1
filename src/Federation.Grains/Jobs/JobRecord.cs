using System.Text.Json.Serialization;
using Federation.Storage.Audit;
using Federation.Storage.Jobs;
using Federation.Contracts;

namespace Federation.Grains.Jobs;

/// <summary>
/// The durable row of one job in the job store: the single source of truth of its spec, state, region and history. A
/// region's queue and running allocations are rebuilt from these rows (columns region + active), and the API lists jobs
/// by state, region, project and owner, in id order or newest submission first (<see cref="Columns"/>, written with the row). Stored as JSON by
/// <see cref="JobRecordJsonConverter"/>.
/// </summary>
[JsonConverter(typeof(JobRecordJsonConverter))]
public sealed class JobRecord : IJobRow
{
    /// <summary>State name of the job grain's persistent state (distinct from every other grain's).</summary>
    public const string StateName = JobStoreOptions.DefaultStateName;

    /// <summary>Grain type of the job grain (Orleans' naming convention applied to JobGrain).</summary>
    public const string GrainTypeName = JobStoreOptions.DefaultGrainType;

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

    /// <summary>The job's id in the backend that runs it (<c>slurm:&lt;cluster&gt;:&lt;id&gt;</c>), once it was submitted there.</summary>
    public string? BackendJobId { get; set; }

    /// <summary>The script's exit code once it ended; null before, or when no script ran.</summary>
    public int? ExitCode { get; set; }

    /// <summary>The backend's last reason (pending reason, or why it ended).</summary>
    public string? BackendReason { get; set; }

    /// <summary>
    /// The region running the job on lent accelerators is taking them back: the run, the signal time and the reclaim time,
    /// so a region rebuilt during the grace period keeps the reclaim time. Only meaningful while the row records that run
    /// (<see cref="State"/> Running in <see cref="RunReclaim.Region"/>, from <see cref="RunReclaim.StartedAt"/>); cleared when
    /// the run ends or is preempted.
    /// </summary>
    public RunReclaim? Reclaim { get; set; }

    public bool IsActive => State is JobState.Queued or JobState.Running;

    public bool IsFinal => State is JobState.Completed or JobState.Failed or JobState.Cancelled;

    public JobRowColumns Columns => new(State.ToString(), Region, Request?.Project, Request?.Owner, IsActive, SubmittedAt);

    /// <summary>
    /// The audit entries of the change being written: the job store inserts them in the row's transaction. Not part of
    /// the row; the job clears them once the write returns.
    /// </summary>
    public List<AuditRecord> PendingAudit { get; } = [];

    IReadOnlyList<AuditRecord> IJobRow.AuditRecords => PendingAudit;

    /// <summary>Adds an event; a null <paramref name="message"/> is rendered from the kind when the job is shown (<see cref="JobViews"/>).</summary>
    /// <param name="residency">On a placement or a move of a job with a residency class: the check the admitting region made.</param>
    public void AddEvent(DateTimeOffset at, string kind, string? region, string? message = null, double transferSeconds = 0, ResidencyCheck? residency = null) =>
        Add(new JobHistoryEntry { At = at, Kind = kind, Region = region, Message = message, TransferSeconds = transferSeconds, Residency = residency });

    /// <summary>Adds a Started event with the accelerator type the run got (what the credit ledger books the run as).</summary>
    public void AddStarted(DateTimeOffset at, string region, string? acceleratorType) =>
        Add(new JobHistoryEntry { At = at, Kind = JobEventKinds.Started, Region = region, AcceleratorType = acceleratorType });

    private void Add(JobHistoryEntry entry)
    {
        if (History.Count >= MaxHistory)
        {
            // Keep the submission and the most recent events.
            History.RemoveAt(1);
        }

        History.Add(entry);
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
        BackendJobId = BackendJobId,
        ExitCode = ExitCode,
        BackendReason = BackendReason,
    };
}

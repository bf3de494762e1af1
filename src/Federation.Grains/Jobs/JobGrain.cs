using Federation.Contracts;
using Federation.Grains.Admission;
using Federation.Grains.Aggregation;
using Federation.Grains.Audit;
using Federation.Grains.Diagnostics;
using Federation.Grains.Execution;
using Federation.Grains.Hosting;
using Federation.Grains.Model;
using Federation.Grains.Projects;
using Federation.Grains.Residency;
using Federation.Scheduling;
using Federation.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Placement;
using Orleans.Runtime;

namespace Federation.Grains.Jobs;

/// <summary>
/// One job: the single source of truth of its state machine. Every transition is written before the call that caused
/// it returns. It calls the router and regions (awaited) and the project and megaregion (one-way); regions call it back
/// only one-way (never awaited), so no call cycle can form. One partial file per concern: the calls of researchers
/// (this file), the notices of regions (<c>JobGrain.Notices.cs</c>), moves (<c>JobGrain.Moves.cs</c>), placement
/// (<c>JobGrain.Placement.cs</c>) and the write path that keeps the row and the regions in agreement
/// (<c>JobGrain.Durability.cs</c>). What every call does first and last is in <see cref="Invoke"/>. Activated on the
/// silo that first calls it (the one whose API took the submission): its first calls, from the API and to the stateless
/// router, stay in that process.
/// </summary>
[PreferLocalPlacement]
public sealed partial class JobGrain : Grain, IJobGrain, IIncomingGrainCallFilter
{
    private readonly IPersistentState<JobRecord> _state;
    private readonly ExecutionClock _clock;
    private readonly Megaregion _megaregion;
    private readonly GrainsInstruments _instruments;
    private readonly ILogger<JobGrain> _logger;
    private readonly GrainReferences _grains;
    private readonly StatisticsReports _reports;
    private readonly ResidencyPolicies _residency;
    private readonly QueuedJobCounts _queued;
    private readonly ProjectStandings _projects;
    private readonly AuditTrail _audit;
    private string? _id;

    public JobGrain(
        [PersistentState(JobRecord.StateName, StorageNames.Jobs)] IPersistentState<JobRecord> state,
        ExecutionClock clock,
        IOptions<FederationGrainsOptions> options,
        GrainsInstruments instruments,
        GrainReferences grains,
        StatisticsReports reports,
        ResidencyPolicies residency,
        QueuedJobCounts queued,
        ProjectStandings projects,
        AuditTrail audit,
        ILogger<JobGrain> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _state = state;
        _clock = clock;
        _megaregion = options.Value.Megaregion;
        _instruments = instruments;
        _logger = logger;
        _grains = grains;
        _reports = reports;
        _residency = residency;
        _queued = queued;
        _projects = projects;
        _audit = audit;
    }

    private JobRecord Record => _state.State;

    /// <summary>The job's id (Orleans decodes the key anew on every call of <c>GetPrimaryKeyString</c>).</summary>
    private string Id => _id ??= this.GetPrimaryKeyString();

    /// <summary>
    /// Around every call: memory that a failed write may have left ahead of the row is first put back to the row
    /// (<see cref="ReloadAsync"/>), and once the call has committed what it changed the activation is released
    /// (<see cref="ReleaseActivation"/>): a job keeps nothing in memory between calls.
    /// </summary>
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            if (_reloadNeeded)
            {
                await ReloadAsync();
            }

            await context.Invoke();
        }
        finally
        {
            ReleaseActivation();
        }
    }

    public async Task<SubmitResult> SubmitAsync(JobRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var created = true;
        if (Record.Request is { } existing)
        {
            // A retry that gives no priority is the submission its project gave a priority to.
            if (request.Priority == 0)
            {
                request = request with { Priority = existing.Priority };
            }

            if (!DomainMapping.SameBody(existing, request))
            {
                return new SubmitResult
                {
                    Created = false,
                    Conflict = $"job '{Id}' already exists with a different body; nothing was changed",
                    Job = Record.ToSnapshot(Id),
                };
            }

            if (Record.State != JobState.Submitted)
            {
                return new SubmitResult { Created = false, Job = Record.ToSnapshot(Id) };
            }

            // Accepted earlier but never placed (the process stopped in between): place it now.
            created = false;
        }

        var job = string.Equals(request.Id, Id, StringComparison.Ordinal) ? request : request with { Id = Id };
        var residency = await _residency.KnowingAsync(job.Dataset?.Residency);
        if (JobRules.Validate(_megaregion, DomainMapping.ToSubmission(job), residency.Policy) is { Count: > 0 } errors)
        {
            throw new ArgumentException(string.Join("; ", errors), nameof(request));
        }

        if (Record.Request is null && job.Priority == 0)
        {
            // A job without a priority of its own takes its project's priority class (set by a coordinator; researchers
            // give none), as it is when the job is submitted.
            job = job with { Priority = await _projects.PriorityAsync(job.Project) };
        }

        // The cap on the project's queued jobs, before anything changes: a refused submission stores nothing.
        if (await _queued.TryReserveAsync(job.Project) is { } overCap)
        {
            return new SubmitResult { Created = false, OverCap = overCap, Job = Record.Request is null ? null : Record.ToSnapshot(Id) };
        }

        var now = _clock.Now;
        var record = Record;
        record.Request = job;
        record.State = JobState.Submitted;
        if (record.History.Count == 0)
        {
            record.SubmittedAt = now;
            record.AddEvent(now, JobEventKinds.Submitted, null);
        }

        PlacementOutcome outcome;
        try
        {
            outcome = await _grains.Router.PlaceAsync(Id, job, record.SubmittedAt, null);
            ApplyPlacement(outcome, now, null, JobEventKinds.Queued);
            if (created)
            {
                Audit(AuditActions.JobSubmit, null, PlacementWords(outcome));
            }

            await WriteOrCompensateAsync(outcome.Placed ? outcome.Region : null);
        }
        catch
        {
            _queued.Release(job.Project);
            throw;
        }

        if (outcome.Placed && outcome.State == JobState.Queued)
        {
            _queued.Committed(job.Project);
        }
        else
        {
            _queued.Release(job.Project);
        }

        if (created)
        {
            _instruments.JobsSubmitted.Add(1);
            _reports.JobSubmitted(job.Project);
        }

        ReportFlowIfAway(job.HomeRegion, outcome);
        return new SubmitResult { Created = created, Job = record.ToSnapshot(Id) };
    }

    public Task<JobSnapshot?> GetAsync() => Task.FromResult(Record.Request is null ? null : Record.ToSnapshot(Id));

    public async Task<JobSnapshot?> CancelAsync(string reason)
    {
        if (Record.Request is null)
        {
            return null;
        }

        if (Record.IsFinal)
        {
            return Record.ToSnapshot(Id);
        }

        var now = _clock.Now;
        var before = AuditState();
        if (Record.Region is { } regionId)
        {
            var region = _grains.Region(regionId);

            // A queued job may have started since this grain last heard: then it is stopped instead.
            if (Record.State != JobState.Queued || !await region.WithdrawAsync(Id))
            {
                await region.StopAsync(Id);
            }
        }

        Record.State = JobState.Cancelled;
        Record.EndedAt = now;
        Record.Reclaim = null;
        Record.Reason = string.IsNullOrWhiteSpace(reason) ? "cancelled" : $"cancelled: {reason}";
        Record.AddEvent(now, JobEventKinds.Cancelled, Record.Region, Record.Reason);
        Audit(AuditActions.JobCancel, before, Record.Reason);
        await CommitAsync();
        _instruments.JobsFinished.Add(1);
        return Record.ToSnapshot(Id);
    }
}

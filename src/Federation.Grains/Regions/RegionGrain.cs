using Orleans;
using Orleans.Runtime;
using Federation.Contracts;
using Federation.Grains.Audit;
using Federation.Grains.Cluster;
using Federation.Grains.Diagnostics;
using Federation.Grains.Execution;
using Federation.Grains.Hosting;
using Federation.Grains.Jobs;
using Federation.Grains.Model;
using Federation.Grains.Residency;
using Federation.Scheduling;
using Federation.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Federation.Grains.Regions;

/// <summary>
/// One regional datacenter around a <see cref="RegionScheduler"/>. It never awaits a call into a job:
/// notices to jobs (started, finished, released) are sent without waiting, so a job that is calling the
/// region (submit, cancel, move) can never be waiting on the region while the region waits on it. Notices
/// are retried until the job has handled them (<c>RegionGrain.Notices.cs</c>). An admission only reserves:
/// the executor is called for a job once a committed row names this region (<c>RegionGrain.Reservations.cs</c>).
/// In a cluster the grain lives on a silo of its region (<see cref="RegionAffinityPlacement"/>); activated anywhere
/// else, because no silo of its region is alive, it is away from home (<c>RegionGrain.Away.cs</c>).
/// </summary>
[KeepAlive]
[RegionAffinityPlacement]
public sealed partial class RegionGrain : Grain, IRegionGrain
{
    private readonly IPersistentState<RegionConfig> _config;
    private readonly ExecutionClock _clock;
    private readonly IJobExecutor _executor;
    private readonly IJobRowReader _rows;
    private readonly GrainReferences _grains;
    private readonly FederationGrainsOptions _options;
    private readonly TimeProvider _runtimeTime;
    private readonly NoticeDeliveries _deliveries;
    private readonly RegionSilos _silos;
    private readonly IRegionGauges _gauges;
    private readonly ResidencyPolicies _residency;
    private readonly AuditTrail _audit;
    private readonly ILogger<RegionGrain> _logger;
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<long, Entry> _byTicket = new();
    private readonly List<StartedJob> _started = new();
    private Scheduling.Region _baseModel = null!;
    private RegionScheduler _scheduler = null!;
    private long _nextTicket;
    private int _staging;
    private long _stagingDemand;
    private double _stagingWork;

    // Sum of accelerators x seconds over the queued jobs, so an estimate sums the middle of the queue in O(1).
    private double _queuedWork;
    private RegionLoad? _published;
    private long _lastPublishTimestamp;
    private bool _loadDirty;
    private string? _id;

    public RegionGrain(
        [PersistentState(RegionConfig.StateName, StorageNames.GrainState)] IPersistentState<RegionConfig> config,
        ExecutionClock clock,
        IJobExecutor executor,
        IJobRowReader rows,
        GrainReferences grains,
        IOptions<FederationGrainsOptions> options,
        TimeProvider runtimeTime,
        NoticeDeliveries deliveries,
        RegionSilos silos,
        IRegionGauges gauges,
        ResidencyPolicies residency,
        AuditTrail audit,
        ILogger<RegionGrain> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _config = config;
        _clock = clock;
        _executor = executor;
        _rows = rows;
        _grains = grains;
        _options = options.Value;
        _runtimeTime = runtimeTime;
        _deliveries = deliveries;
        _silos = silos;
        _gauges = gauges;
        _residency = residency;
        _audit = audit;
        _logger = logger;
    }

    /// <summary>The region's id (Orleans decodes the key anew on every call of <c>GetPrimaryKeyString</c>).</summary>
    private string Id => _id ??= this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var index = _options.Megaregion.IndexOf(Id);
        if (index < 0)
        {
            throw new ArgumentException($"unknown region '{Id}'");
        }

        _baseModel = _options.Megaregion.Regions[index];
        _scheduler = new RegionScheduler(CurrentModel(), _options.Scheduler);
        _away = !_silos.IsHomeHere(Id);

        // The policy as it is now, before any row is held: a queued row the job's class no longer allows is let go. A silo
        // that has never read it cannot tell a class that allows nothing from one it does not know: the activation
        // fails (as it does when the rows cannot be read) and is tried again by the next call.
        _residencyVersion = (await _residency.RefreshAsync()).Policy.Version;
        if (!_residency.IsLoaded)
        {
            throw new InvalidOperationException($"region {Id} cannot start: the residency policy could not be read");
        }

        await RebuildAsync(cancellationToken);
        await _audit.FlushAsync(_config.State);
        ArmReturnedCapacityAlarm();
        OpenGauges();
        if (_away)
        {
            WatchForHome();
        }

        this.RegisterGrainTimer(static (g, _) => g.CheckReservationsAsync(), this, _options.ReservationCheckPeriod, _options.ReservationCheckPeriod);
        this.RegisterGrainTimer(static (g, _) => g.CheckRowsAsync(), this, _options.RowCheckPeriod, _options.RowCheckPeriod);
        this.RegisterGrainTimer(static (g, _) => g.SweepResidencyAsync(), this, _options.ResidencyRefresh, _options.ResidencyRefresh);
        if (_options.LoadPublishInterval > TimeSpan.Zero)
        {
            this.RegisterGrainTimer(static (g, _) => g.PublishIfDirty(), this, _options.LoadPublishInterval, _options.LoadPublishInterval);
        }
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        CloseGauges();
        return Task.CompletedTask;
    }

    public ValueTask<AdmitResult> TryAdmitAsync(AdmitRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_entries.TryGetValue(request.JobId, out var known))
        {
            // A retried admission (e.g. a move that came back): answer what already holds.
            var check = _residency.Current.CheckFor(known.Spec.ResidencyClass);
            return ValueTask.FromResult(known.Running
                ? new AdmitResult { Admitted = true, State = JobState.Running, ExpectedStart = known.StartedAt, AcceleratorType = _baseModel.Pools[known.Pool].Type, Residency = check }
                : new AdmitResult { Admitted = true, State = JobState.Queued, Residency = check });
        }

        if (_config.State.Draining)
        {
            return ValueTask.FromResult(Refused($"{Id} is draining"));
        }

        // The residency class as this region knows it now (every change reaches the regions before it answers): the
        // region, not the router's copy, is where the class is enforced.
        var residency = _residency.Current;
        var spec = DomainMapping.ToSpec(request.JobId, request.Job, residency.Policy);
        if (request.OverAllocation)
        {
            spec = spec with { OverAllocation = true };
        }

        var nowS = _clock.NowSeconds;
        var failure = _scheduler.Check(spec, nowS, out var mask);
        if (failure != ConstraintFailure.None)
        {
            return ValueTask.FromResult(Refused($"{Id}: {HardConstraints.Describe(failure)}"));
        }

        var allowedBy = residency.CheckFor(spec.ResidencyClass);

        var entry = new Entry(request.JobId, spec, _scheduler.IsExternal(spec), request.SubmittedAt, request.DataReadyAt);
        _entries.Add(entry.JobId, entry);
        Reserve(entry);

        // A job without data to move is ready at once (a link's latency alone is no reason to wait).
        if (spec.DatasetSizeGb > 0 && request.DataReadyAt > _clock.Now)
        {
            Stage(entry);
            MarkLoadChanged();
            return ValueTask.FromResult(new AdmitResult { Admitted = true, State = JobState.Queued, Residency = allowedBy });
        }

        Enqueue(entry, mask, nowS);
        RunSchedule();
        return ValueTask.FromResult(entry.Running
            ? new AdmitResult { Admitted = true, State = JobState.Running, ExpectedStart = entry.StartedAt, AcceleratorType = _baseModel.Pools[entry.Pool].Type, Residency = allowedBy }
            : new AdmitResult { Admitted = true, State = JobState.Queued, Residency = allowedBy });
    }

    public Task<bool> WithdrawAsync(string jobId)
    {
        if (!_entries.TryGetValue(jobId, out var entry) || entry.Running)
        {
            if (entry is null)
            {
                ForgetNotices(jobId);
            }

            return Task.FromResult(false);
        }

        Withdraw(entry);
        return Task.FromResult(true);
    }

    public Task<bool> WithdrawForMoveAsync(string jobId)
    {
        // Not here (any more): the notices stay. The job may have been started and have ended here while the move was
        // on its way (its Started and Finished notices not yet handled), and forgetting them would leave its row Queued
        // or Running here for ever.
        if (!_entries.TryGetValue(jobId, out var entry) || entry.Running)
        {
            return Task.FromResult(false);
        }

        Withdraw(entry);
        return Task.FromResult(true);
    }

    public async Task<bool> StopAsync(string jobId)
    {
        if (!_entries.TryGetValue(jobId, out var entry) || !entry.Running)
        {
            if (entry is null)
            {
                ForgetNotices(jobId);
            }

            return false;
        }

        ForgetNotices(jobId);
        Remove(entry);
        if (entry.Executing)
        {
            await _executor.StopAsync(Id, jobId);
        }

        RunSchedule();
        return true;
    }

    public Task<RegionView> GetAsync() => Task.FromResult(BuildView());

    public Task<RegionLoad> GetLoadAsync() => Task.FromResult(BuildLoad());

    public async Task OnExecutionEndedAsync(string jobId, RunEnd end)
    {
        ArgumentNullException.ThrowIfNull(end);
        // Only the end of the run this activation handed to the executor: not one of an earlier run of the job here
        // (a backend that says when its run started is checked; one that does not is taken to run the entry's).
        if (_entries.TryGetValue(jobId, out var entry) && entry.Executing && (end.StartedAt is null || end.StartedAt == entry.StartedAt))
        {
            if (entry.Signalled)
            {
                // It ended after its checkpoint signal, before its reclaim time (the alarm has not taken it): it wrote its
                // checkpoint and exited, as asked. A preemption, not the job's own end: it is placed again.
                GrainsLog.RunEnded(_logger, Id, jobId, entry.StartedAt, "checkpointed after its signal: preempted");
                await PreemptAsync(entry, end.At, end);
                RunSchedule();
                return;
            }

            GrainsLog.RunEnded(_logger, Id, jobId, entry.StartedAt, end.Outcome.ToString());
            Remove(entry);
            NotifyFinished(jobId, end.StartedAt is null ? end with { StartedAt = entry.StartedAt } : end);
            RunSchedule();
        }
        else
        {
            GrainsLog.RunEnded(_logger, Id, jobId, end.StartedAt, entry is null ? "ignored: not held here" : $"ignored: held {(entry.Executing ? "running from " + entry.StartedAt.ToString("o", System.Globalization.CultureInfo.InvariantCulture) : entry.Running ? "started, not yet run" : "queued")}");
        }
    }

    public Task OnExecutionReportAsync(string jobId, BackendReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (_entries.TryGetValue(jobId, out var entry) && entry.Running)
        {
            NotifyReport(jobId, report);
        }

        return Task.CompletedTask;
    }

    private static double Work(JobSpec spec) => spec.AcceleratorCount * spec.EstimatedDurationS;

    private static AdmitResult Refused(string because) => new() { Admitted = false, RefusedBecause = because };

    private Scheduling.Region CurrentModel() => WithReturnedCapacity(OperatorModel());

    /// <summary>The model with the operator's offer (the megaregion file's when none was set).</summary>
    private Scheduling.Region OperatorModel() =>
        _config.State.Offer is { } offer ? _baseModel with { Offer = DomainMapping.ToModel(offer) } : _baseModel;

    private void Enqueue(Entry entry, int mask, double nowS)
    {
        entry.Ticket = ++_nextTicket;
        _byTicket.Add(entry.Ticket, entry);
        _scheduler.EnqueueChecked(entry.Ticket, entry.Spec, nowS, entry.External, mask);
        _queuedWork += Work(entry.Spec);
    }

    private void Withdraw(Entry entry)
    {
        ForgetNotices(entry.JobId);
        Remove(entry);
        RunSchedule();
    }

    private void Remove(Entry entry)
    {
        _entries.Remove(entry.JobId);
        if (!entry.Confirmed)
        {
            _unconfirmed.Remove(entry);
        }

        if (entry.Staging)
        {
            // Left in the staging queue; skipped there when its time comes.
            entry.Staging = false;
            _staging--;
            _stagingDemand -= entry.Count;
            _stagingWork -= Work(entry.Spec);
        }
        else if (entry.Running)
        {
            _scheduler.Complete(entry.Ticket);
            _byTicket.Remove(entry.Ticket);
        }
        else
        {
            _scheduler.TryRemoveQueued(entry.Ticket);
            _byTicket.Remove(entry.Ticket);
            _queuedWork -= Work(entry.Spec);
        }

        MarkLoadChanged();
    }

    /// <summary>
    /// Starts what EASY backfill allows now. A started job holds its accelerators at once, and is handed to the executor
    /// once its row says it runs here: a job whose row is confirmed to name this region is asked to record the start (the
    /// outbox, without waiting) and runs on its answer; one not yet confirmed is asked when the confirmation comes (or the
    /// deadline check finds its row); the one whose admission this is runs on its confirmation, its answer says Running.
    /// </summary>
    private void RunSchedule()
    {
        StartWhatFits();
        MarkLoadChanged();
    }

    private void StartWhatFits()
    {
        if (_away || _config.State.Draining || _scheduler.QueuedCount == 0)
        {
            return;
        }

        _started.Clear();
        var now = _clock.Now;
        var nowS = ExecutionClock.ToSeconds(now);
        _scheduler.Schedule(nowS, _started);
        foreach (var s in _started)
        {
            var entry = _byTicket[s.Ticket];
            _queuedWork -= Work(entry.Spec);
            entry.Running = true;
            entry.Pool = s.PoolIndex;
            entry.StartedAt = now;
            if (entry.Confirmed)
            {
                AskToStart(entry);
            }
        }

        PlanReclaim(now, nowS);
    }

    private void StartExecution(Entry entry)
    {
        GrainsLog.RunHanded(_logger, Id, entry.JobId, entry.StartedAt);
        entry.Executing = true;
        var request = new ExecutionRequest(
            Id,
            entry.JobId,
            _baseModel.Pools[entry.Pool].Type,
            entry.Count,
            entry.StartedAt,
            TimeSpan.FromSeconds(entry.Spec.EstimatedDurationS),
            entry.Spec.CheckpointSignal);
        _ = ObserveAsync(_executor.StartAsync(request), entry.JobId, "execution start");
        if (entry.ReclaimRecorded)
        {
            // Reclaimed before it began executing here (its start was answered during the grace period), or re-attached
            // after a restart during its grace period (the signal may have gone before: a checkpointing script that got it
            // is exiting or gone, and the original reclaim time holds).
            Signal(entry);
        }
    }

    /// <summary>
    /// One job held here (staged, queued or running). It keeps the job's <see cref="JobSpec"/> only, not the request it
    /// came from (the spec holds all of it, and a region holds an entry per queued job for as long as it waits).
    /// </summary>
    private sealed class Entry(string jobId, JobSpec spec, bool external, DateTimeOffset submittedAt, DateTimeOffset dataReadyAt)
    {
        public string JobId { get; } = jobId;

        /// <summary>The job as admitted; its residency regions are replaced when the policy changes (<c>RegionGrain.Residency.cs</c>).</summary>
        public JobSpec Spec { get; set; } = spec;

        public int Count => Spec.AcceleratorCount;

        public bool External { get; } = external;

        public DateTimeOffset SubmittedAt { get; } = submittedAt;

        public DateTimeOffset DataReadyAt { get; } = dataReadyAt;

        public long Ticket { get; set; }

        public bool Running { get; set; }

        public bool Staging { get; set; }

        /// <summary>A committed row names this region (the job confirmed it, the deadline check read it, or the region was rebuilt from it).</summary>
        public bool Confirmed { get; set; }

        /// <summary>Handed to the executor (only ever after <see cref="Confirmed"/>).</summary>
        public bool Executing { get; set; }

        /// <summary>Runtime timestamp of the admission, for the confirmation deadline.</summary>
        public long ReservedAt { get; set; }

        public int Pool { get; set; } = -1;

        public DateTimeOffset StartedAt { get; set; }

        /// <summary>When the region takes its accelerators back (a lent job being reclaimed); null otherwise.</summary>
        public DateTimeOffset? ReclaimAt { get; set; }

        /// <summary>When it got its checkpoint signal (with <see cref="ReclaimAt"/>).</summary>
        public DateTimeOffset SignalledAt { get; set; }

        /// <summary>The region's own job it is reclaimed for (with <see cref="ReclaimAt"/>).</summary>
        public string? ReclaimFor { get; set; }

        /// <summary>The job's row records the reclaim (<see cref="ReclaimAt"/>): the checkpoint signal may go, and a rebuild keeps the reclaim time.</summary>
        public bool ReclaimRecorded { get; set; }

        /// <summary>The executor was asked to send the job its checkpoint signal: an end of the run from then on, before the reclaim time, is a preemption.</summary>
        public bool Signalled { get; set; }

        /// <summary>Preempted because it runs over its project's allocation (else: it runs on lent accelerators).</summary>
        public bool ReclaimOverAllocation { get; set; }
    }
}

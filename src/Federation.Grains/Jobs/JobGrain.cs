using System.Globalization;
using System.Runtime.CompilerServices;
using Federation.Actors;
using Federation.Contracts;
using Federation.Grains.Diagnostics;
using Federation.Grains.Execution;
using Federation.Grains.Hosting;
using Federation.Grains.Model;
using Federation.Scheduling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Federation.Grains.Jobs;

/// <summary>
/// One job: the single source of truth of its state machine. Every transition is written before the call
/// that caused it returns. It calls the router and regions (awaited) and the project and megaregion
/// (one-way); regions call it back only one-way (never awaited), so no call cycle can form.
/// </summary>
public sealed class JobGrain : Grain, IJobGrain
{
    private readonly IPersistentState<JobRecord> _state;
    private readonly ExecutionClock _clock;
    private readonly Megaregion _megaregion;
    private readonly GrainsInstruments _instruments;
    private readonly ILogger<JobGrain> _logger;
    private readonly WellKnownGrains _grains;

    // Set when a write failed and the row could not be read back: memory may then hold a transition the store
    // never committed, so the next call reads the row before it answers anything (an acknowledgement must never
    // come from uncommitted memory).
    private bool _reloadNeeded;

    // A region told to drop the job while the outcome of the write was unknown (it failed and the row could not
    // be read back), and the region the job was put back in meanwhile: if the row read later shows the write had
    // committed, the job is re-admitted where the row names it (see ReloadAsync).
    private string? _droppedIn;
    private string? _restoredIn;

    public JobGrain(
        [PersistentState(JobRecord.StateName, FederationGrainsOptions.DefaultStorageName)] IPersistentState<JobRecord> state,
        ExecutionClock clock,
        IOptions<FederationGrainsOptions> options,
        GrainsInstruments instruments,
        WellKnownGrains grains,
        ILogger<JobGrain> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _state = state;
        _clock = clock;
        _megaregion = options.Value.Megaregion;
        _instruments = instruments;
        _logger = logger;
        _grains = grains;
    }

    private JobRecord Record => _state.State;

    private string Id => this.GetPrimaryKeyString();

    public async Task<SubmitResult> SubmitAsync(JobRequest request)
    {
        try
        {
            ArgumentNullException.ThrowIfNull(request);
            if (_reloadNeeded)
            {
                await ReloadAsync();
            }

            var created = true;
            if (Record.Request is { } existing)
            {
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

            Validate(request);
            var now = _clock.Now;
            var job = string.Equals(request.Id, Id, StringComparison.Ordinal) ? request : request with { Id = Id };
            var record = Record;
            record.Request = job;
            record.State = JobState.Submitted;
            if (record.History.Count == 0)
            {
                record.SubmittedAt = now;
                record.AddEvent(now, JobEventKinds.Submitted, null);
            }

            var outcome = await _grains.Router.PlaceAsync(Id, job, record.SubmittedAt, null);
            ApplyPlacement(outcome, now, null, JobEventKinds.Queued);
            await WriteOrCompensateAsync(outcome.Placed ? outcome.Region : null);
            if (created)
            {
                _instruments.JobsSubmitted.Add(1);
                _ = GrainFactory.GetGrain<IProjectGrain>(job.Project).RecordSubmissionAsync(Id);
            }

            ReportFlowIfAway(job.HomeRegion, outcome);
            var snapshot = record.ToSnapshot(Id);
            return new SubmitResult { Created = created, Job = snapshot };
        }
        finally
        {
            ReleaseActivation();
        }
    }

    public Task<JobView?> GetAsync()
    {
        if (_reloadNeeded)
        {
            return GetAfterReloadAsync();
        }

        var view = View();
        ReleaseActivation();
        return Task.FromResult(view);
    }

    public async Task<JobView?> CancelAsync(string reason)
    {
        try
        {
            if (_reloadNeeded)
            {
                await ReloadAsync();
            }

            if (Record.Request is null)
            {
                return null;
            }

            if (Record.IsFinal)
            {
                return Record.ToView(Id);
            }

            var now = _clock.Now;
            if (Record.Region is { } regionId)
            {
                var region = _grains.Region(regionId);

                // A queued job may have started since this grain last heard: then it is stopped instead.
                if (Record.State != JobState.Queued || !await region.WithdrawAsync(Id))
                {
                    await region.StopAsync(Id);
                }
            }

            var usage = UsageUntil(now);
            Record.State = JobState.Cancelled;
            Record.EndedAt = now;
            Record.Reason = string.IsNullOrWhiteSpace(reason) ? "cancelled" : $"cancelled: {reason}";
            Record.AddEvent(now, JobEventKinds.Cancelled, Record.Region, Record.Reason);
            await CommitAsync();
            ReportUsage(usage);
            _instruments.JobsFinished.Add(1);
            return Record.ToView(Id);
        }
        finally
        {
            ReleaseActivation();
        }
    }

    public async Task OnStartedAsync(string regionId, DateTimeOffset at)
    {
        try
        {
            if (_reloadNeeded)
            {
                await ReloadAsync();
            }

            if (Record.State != JobState.Queued || !string.Equals(Record.Region, regionId, StringComparison.Ordinal))
            {
                if (Record.State == JobState.Running && string.Equals(Record.Region, regionId, StringComparison.Ordinal))
                {
                    // The echo of an admission that started the job at once (the answer said so already).
                    return;
                }

                GrainsLog.StaleNotification(_logger, Id, "started", regionId, Record.State, Record.Region);

                // A ghost: the region runs a job whose committed row is elsewhere (an admission whose answer was lost,
                // e.g. a timed-out call, after which the job was placed again or never committed). Stop it there. Most
                // such notices are late: the region started the job and was then told to drop it (a write that
                // failed after the admission), so it no longer runs it and the stop finds nothing.
                if (!IsHeldBy(regionId) && await _grains.Region(regionId).StopAsync(Id))
                {
                    GrainsLog.GhostDropped(_logger, Id, regionId, Record.State, Record.Region);
                }

                return;
            }

            Record.State = JobState.Running;
            Record.StartedAt = at;
            Record.AddEvent(at, JobEventKinds.Started, regionId);
            await CommitAsync();
        }
        finally
        {
            ReleaseActivation();
        }
    }

    public async Task OnFinishedAsync(string regionId, JobState outcome, DateTimeOffset at, string message)
    {
        try
        {
            if (_reloadNeeded)
            {
                await ReloadAsync();
            }

            if (!Record.IsActive || !string.Equals(Record.Region, regionId, StringComparison.Ordinal))
            {
                if (string.Equals(Record.Region, regionId, StringComparison.Ordinal))
                {
                    GrainsLog.StaleNotification(_logger, Id, "finished", regionId, Record.State, Record.Region);
                }
                else
                {
                    // An end from a region the row does not name: with times, so a check can tell a run that overlapped
                    // the job's committed one from one that ended before it (e.g. an admission whose write failed).
                    GrainsLog.StaleEnd(_logger, Id, regionId, at, Record.State, Record.Region, Record.StartedAt);
                }

                return;
            }

            if (outcome is not (JobState.Completed or JobState.Failed))
            {
                throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "a run ends Completed or Failed");
            }

            // The start notice and the end notice travel separately; an end implies the start.
            Record.StartedAt ??= at - TimeSpan.FromHours(Record.Request!.DurationHours);
            var usage = UsageUntil(at);
            Record.State = outcome;
            Record.EndedAt = at;
            Record.Reason = $"{outcome.ToString().ToLowerInvariant()} in {regionId}: {message}";
            Record.AddEvent(at, outcome == JobState.Completed ? JobEventKinds.Completed : JobEventKinds.Failed, regionId, message);
            await CommitAsync();
            ReportUsage(usage);
            _instruments.JobsFinished.Add(1);
        }
        finally
        {
            ReleaseActivation();
        }
    }

    public async Task OnReleasedAsync(string regionId, string reason)
    {
        try
        {
            if (_reloadNeeded)
            {
                await ReloadAsync();
            }

            // A region releases queued jobs (drain, offer change, data arrived too late) and, after a restart, a job
            // its rows say is running but that no longer fits: either way the region no longer holds it.
            if (!Record.IsActive || !string.Equals(Record.Region, regionId, StringComparison.Ordinal))
            {
                GrainsLog.StaleNotification(_logger, Id, "released", regionId, Record.State, Record.Region);
                return;
            }

            var now = _clock.Now;
            var job = Record.Request!;
            Record.AddEvent(now, JobEventKinds.Requeued, regionId, $"released by {regionId}: {reason}");
            var router = _grains.Router;
            var outcome = await router.PlaceAsync(Id, job, Record.SubmittedAt, regionId);
            if (!outcome.Placed)
            {
                // Nowhere else (e.g. pinned to this region, released after a restart because it did not fit then):
                // the releasing region itself is asked again; its own admission refuses what it should (drain, offer).
                outcome = await router.PlaceAsync(Id, job, Record.SubmittedAt, null);
            }

            ApplyPlacement(outcome, now, regionId, JobEventKinds.Requeued);
            await WriteOrCompensateAsync(outcome.Placed ? outcome.Region : null);
            ReportFlowIfAway(regionId, outcome);
        }
        finally
        {
            ReleaseActivation();
        }
    }

    public async Task<bool> TryMoveAsync(string fromRegion, string targetRegion, string reason)
    {
        try
        {
            if (_reloadNeeded)
            {
                await ReloadAsync();
            }

            if (!IsHeldBy(fromRegion) && _megaregion.IndexOf(fromRegion) >= 0)
            {
                // The rebalancer saw the job queued in a region its committed row does not name: a ghost admission. Drop it there.
                if (await _grains.Region(fromRegion).WithdrawAsync(Id))
                {
                    GrainsLog.GhostDropped(_logger, Id, fromRegion, Record.State, Record.Region);
                }

                return false;
            }

            if (Record.State != JobState.Queued || !string.Equals(Record.Region, fromRegion, StringComparison.Ordinal)
                || string.Equals(fromRegion, targetRegion, StringComparison.Ordinal) || _megaregion.IndexOf(targetRegion) < 0)
            {
                return false;
            }

            // Withdraw first: from here until the new admission the job is in no region's queue, never in two.
            var from = _grains.Region(fromRegion);
            if (!await from.WithdrawAsync(Id))
            {
                return false;
            }

            var job = Record.Request!;
            var now = _clock.Now;
            var spec = DomainMapping.ToSpec(Id, job);
            var transfer = _megaregion.TransferTime(spec.DatasetRegion, targetRegion, spec.DatasetSizeGb);

            // What the committed row still says: if anything below fails, the job goes back where the row names it.
            var restore = new AdmitRequest
            {
                JobId = Id,
                Job = job,
                SubmittedAt = Record.SubmittedAt,
                DataReadyAt = Record.DataReadyAt ?? now,
            };
            var target = _grains.Region(targetRegion);
            AdmitResult admit;
            try
            {
                admit = await target.TryAdmitAsync(new AdmitRequest
                {
                    JobId = Id,
                    Job = job,
                    SubmittedAt = Record.SubmittedAt,
                    DataReadyAt = now + TimeSpan.FromSeconds(transfer),
                });
            }
            catch (Exception)
            {
                // No answer (e.g. a timeout): the target may hold it or not. Make sure it does not, then go back.
                await CompensateAsync(targetRegion);
                await RestoreAsync(fromRegion, restore);
                throw;
            }

            if (admit.Admitted)
            {
                var moved = string.Create(CultureInfo.InvariantCulture, $"moved from {fromRegion} to {targetRegion}: {reason}; dataset transfer {transfer:F1} s");
                SetPlaced(targetRegion, admit.State, now, now + TimeSpan.FromSeconds(transfer), moved, Record.Placement, admit.ExpectedStart);
                Record.AddEvent(now, JobEventKinds.Overflowed, targetRegion, moved);
                if (admit.State == JobState.Running)
                {
                    Record.AddEvent(Record.StartedAt!.Value, JobEventKinds.Started, targetRegion);
                }

                await WriteOrCompensateAsync(targetRegion, fromRegion, restore);
                _instruments.Moves.Add(1);
                _ = _grains.Megaregion.ReportFlowAsync(fromRegion, targetRegion, transfer > 0 ? spec.DatasetSizeGb : 0);
                return true;
            }

            // The target refused (its state changed since the plan): go back, or be placed anew.
            var back = await from.TryAdmitAsync(restore);
            if (back.Admitted)
            {
                if (back.State == JobState.Running)
                {
                    var started = back.ExpectedStart ?? now;
                    Record.State = JobState.Running;
                    Record.StartedAt = started;
                    Record.AddEvent(started, JobEventKinds.Started, fromRegion);
                }

                Record.QueuedAt = now;

                // Back where the row names it: a failed write leaves the region and the row agreeing.
                await WriteOrCompensateAsync(fromRegion, fromRegion, restore);
                return false;
            }

            var outcome = await _grains.Router.PlaceAsync(Id, job, Record.SubmittedAt, null);
            ApplyPlacement(outcome, now, fromRegion, JobEventKinds.Requeued);
            await WriteOrCompensateAsync(outcome.Placed ? outcome.Region : null, fromRegion, restore);
            return outcome.Placed && !string.Equals(outcome.Region, fromRegion, StringComparison.Ordinal);
        }
        finally
        {
            ReleaseActivation();
        }
    }

    private static void Validate(JobRequest request)
    {
        if (request.Accelerators is null || request.Accelerators.Count <= 0)
        {
            throw new ArgumentException("accelerators.count must be positive", nameof(request));
        }

        if (!(request.DurationHours > 0) || double.IsInfinity(request.DurationHours))
        {
            throw new ArgumentException("durationHours must be a positive number", nameof(request));
        }

        if (string.IsNullOrWhiteSpace(request.HomeRegion))
        {
            throw new ArgumentException("homeRegion is required", nameof(request));
        }
    }

    private void ApplyPlacement(PlacementOutcome outcome, DateTimeOffset now, string? previousRegion, string queuedKind)
    {
        var record = Record;
        if (!outcome.Placed || outcome.Region is null)
        {
            record.State = JobState.Failed;
            record.Region = previousRegion;
            record.Reason = null;
            record.Placement = outcome.Decision;
            record.EndedAt = now;
            record.AddEvent(now, JobEventKinds.Failed, null);
            _instruments.JobsFinished.Add(1);
            return;
        }

        var readyAt = now + TimeSpan.FromSeconds(outcome.TransferSeconds);
        SetPlaced(outcome.Region, outcome.State, now, readyAt, null, outcome.Decision, outcome.ExpectedStart);

        // The reason (every candidate) and the events' words are rendered from the decision when the job is read.
        var transfer = outcome.TransferSeconds > 0 ? outcome.TransferSeconds : 0;
        if (!string.Equals(outcome.Region, record.Request!.HomeRegion, StringComparison.Ordinal))
        {
            _instruments.Overflows.Add(1);
            record.AddEvent(now, JobEventKinds.Overflowed, outcome.Region, null, transfer);
        }
        else
        {
            record.AddEvent(now, queuedKind, outcome.Region, null, transfer);
        }

        if (outcome.State == JobState.Running)
        {
            record.AddEvent(record.StartedAt!.Value, JobEventKinds.Started, outcome.Region);
        }
    }

    /// <param name="startedAt">For a job the region started at once, when it did (its answer says); the job records
    /// that time, not its own now, so that the row and the region's run (and the usage charged) agree.</param>
    private void SetPlaced(string region, JobState state, DateTimeOffset now, DateTimeOffset readyAt, string? reason, PlacementDecision? decision, DateTimeOffset? startedAt)
    {
        var record = Record;
        record.State = state;
        record.Region = region;
        record.Reason = reason;
        record.Placement = decision;
        record.QueuedAt = now;
        record.DataReadyAt = readyAt;
        record.StartedAt = state == JobState.Running ? startedAt ?? now : null;
    }

    /// <summary>
    /// Commits the new state after an admission in <paramref name="admittedIn"/>, then confirms it to that region,
    /// which only then runs the job. When the write fails, the row is read back: if the write did commit (its
    /// answer was lost), that is success. Otherwise the region that admitted the job is told to drop it (nothing
    /// acknowledged, nothing run), and for a move the job is put back in <paramref name="restoreIn"/>, where the
    /// committed row still names it.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteOrCompensateAsync(string? admittedIn, string? restoreIn = null, AdmitRequest? restore = null)
    {
        var attempted = (Record.State, Record.Region, Record.History.Count, Record.History.Count > 0 ? Record.History[^1].At : default);
        try
        {
            await _state.WriteStateAsync();
        }
        catch (Exception ex)
        {
            if (await TryReloadAsync() && attempted == (Record.State, Record.Region, Record.History.Count, Record.History.Count > 0 ? Record.History[^1].At : default))
            {
                GrainsLog.WriteCommittedDespiteError(_logger, Id);
                await ConfirmAsync(admittedIn);
                return;
            }

            if (admittedIn is not null && !string.Equals(admittedIn, restoreIn, StringComparison.Ordinal))
            {
                GrainsLog.WriteFailedCompensated(_logger, ex, Id, admittedIn);
                if (_reloadNeeded)
                {
                    _droppedIn = admittedIn;
                    _restoredIn = restore is null ? null : restoreIn;
                }

                await CompensateAsync(admittedIn);
                if (restoreIn is not null && restore is not null)
                {
                    await RestoreAsync(restoreIn, restore);
                }
            }

            throw;
        }

        await ConfirmAsync(admittedIn);
    }

    /// <summary>
    /// Tells <paramref name="regionId"/> that the committed row names it, so it may run the job. Only ever after a
    /// commit (or a read of the row) that says so. A failure is not the caller's: the row is committed, and the
    /// region checks unconfirmed admissions against the rows after a deadline.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ConfirmAsync(string? regionId)
    {
        if (regionId is null || !IsHeldBy(regionId))
        {
            return;
        }

        try
        {
            await _grains.Region(regionId).ConfirmAsync(Id, Record.State == JobState.Running);
        }
        catch (Exception ex)
        {
            GrainsLog.ConfirmFailed(_logger, ex, Id, regionId);
        }
    }

    /// <summary>Makes sure <paramref name="regionId"/> neither queues nor runs this job.</summary>
    private async Task CompensateAsync(string regionId)
    {
        var region = _grains.Region(regionId);
        if (!await region.WithdrawAsync(Id))
        {
            await region.StopAsync(Id);
        }
    }

    /// <summary>
    /// Puts the job back in the region its committed row names (queued), after a move that did not commit, and
    /// confirms it there when the row is known (read back) to name it; when it is not, the region's deadline check
    /// reads the row. If it starts there at once, the region tells the job with a start notice, as for any start
    /// its row does not record.
    /// </summary>
    private async Task RestoreAsync(string regionId, AdmitRequest restore)
    {
        var back = await _grains.Region(regionId).TryAdmitAsync(restore);
        if (!back.Admitted)
        {
            GrainsLog.RestoreFailed(_logger, Id, regionId, back.RefusedBecause ?? "refused");
            return;
        }

        // The row names the region, queued: if the job started there at once, the confirmation brings a start notice
        // (committed after this call, which fails with the move's error). Unread, the region's deadline check reads it.
        if (!_reloadNeeded)
        {
            await ConfirmAsync(regionId);
        }
    }

    /// <summary>Commits the state; when the write fails, memory is put back to the row (or marked to be) before the error goes on.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask CommitAsync()
    {
        try
        {
            await _state.WriteStateAsync();
        }
        catch (Exception)
        {
            await TryReloadAsync();
            throw;
        }
    }

    /// <summary>Reads the row back after a failed write; false (and read again before the next call) when the store cannot answer.</summary>
    private async Task<bool> TryReloadAsync()
    {
        try
        {
            await _state.ReadStateAsync();
            _reloadNeeded = false;
            return true;
        }
        catch (Exception ex)
        {
            _reloadNeeded = true;
            GrainsLog.ReloadFailed(_logger, ex, Id);
            return false;
        }
    }

    /// <summary>
    /// Reads the row again (the store failed earlier). If a region was told to drop the job while the write's
    /// outcome was unknown and the row shows that write committed after all, the job is re-admitted there (and
    /// taken out of the region it was put back in), so that the row and the regions agree again.
    /// </summary>
    private async Task ReloadAsync()
    {
        await _state.ReadStateAsync();
        _reloadNeeded = false;
        if (_droppedIn is not { } dropped)
        {
            return;
        }

        var restored = _restoredIn;
        _droppedIn = null;
        _restoredIn = null;
        if (!IsHeldBy(dropped))
        {
            return;
        }

        if (restored is not null && !string.Equals(restored, dropped, StringComparison.Ordinal))
        {
            await CompensateAsync(restored);
        }

        var now = _clock.Now;
        var job = Record.Request!;
        var region = _grains.Region(dropped);
        var admit = await region.TryAdmitAsync(new AdmitRequest
        {
            JobId = Id,
            Job = job,
            SubmittedAt = Record.SubmittedAt,
            DataReadyAt = Record.DataReadyAt ?? now,
        });
        Record.AddEvent(now, JobEventKinds.Requeued, dropped, $"re-admitted in {dropped}: its last write had committed although it reported a failure");
        if (!admit.Admitted)
        {
            var outcome = await _grains.Router.PlaceAsync(Id, job, Record.SubmittedAt, dropped);
            ApplyPlacement(outcome, now, dropped, JobEventKinds.Requeued);
            await WriteOrCompensateAsync(outcome.Placed ? outcome.Region : null);
            return;
        }

        SetPlaced(dropped, admit.State, now, Record.DataReadyAt ?? now, Record.Reason, Record.Placement, admit.ExpectedStart);
        if (admit.State == JobState.Running)
        {
            Record.AddEvent(Record.StartedAt!.Value, JobEventKinds.Started, dropped);
        }

        await WriteOrCompensateAsync(dropped);
    }

    private async Task<JobView?> GetAfterReloadAsync()
    {
        await ReloadAsync();
        return View();
    }

    private JobView? View() => Record.Request is null ? null : Record.ToView(Id);

    /// <summary>
    /// A job keeps nothing in memory between calls: once a call has committed what it changed, the activation is
    /// released, and the next call (a notice from a region, a read, a cancel) activates it again from its row. A job
    /// spends nearly all its life waiting (queued for minutes to days, running for hours) and an activation held through
    /// that wait was ~2.5 KB that the GC copied at every collection: with activations kept until the collection age, a
    /// silo's memory grew with every job ever placed; kept while queued or running, with every job in the megaregion
    /// (the HTTP benchmark's gen0 pauses promoted the running jobs' activations). Not released while a failed write left
    /// memory that must first be checked against the row (<see cref="_reloadNeeded"/>).
    /// </summary>
    private void ReleaseActivation()
    {
        if (!_reloadNeeded)
        {
            DeactivateOnIdle();
        }
    }

    /// <summary>Whether the committed state has the job queued or running in <paramref name="regionId"/>.</summary>
    private bool IsHeldBy(string regionId) => Record.IsActive && string.Equals(Record.Region, regionId, StringComparison.Ordinal);

    /// <summary>Accelerator-hours used up to <paramref name="end"/> (0 when the job never started).</summary>
    private double UsageUntil(DateTimeOffset end) =>
        Record is { State: JobState.Running or JobState.Queued, StartedAt: { } started, Request: { } job }
            ? Math.Max(0, (end - started).TotalHours) * job.Accelerators.Count
            : 0;

    /// <summary>Sent once, after the final state is committed, so a failed write never charges.</summary>
    private void ReportUsage(double hours)
    {
        if (hours > 0)
        {
            _ = GrainFactory.GetGrain<IProjectGrain>(Record.Request!.Project).RecordUsageAsync(Id, hours);
        }
    }

    private void ReportFlowIfAway(string from, PlacementOutcome outcome)
    {
        if (!outcome.Placed || outcome.Region is null || string.Equals(outcome.Region, from, StringComparison.Ordinal))
        {
            return;
        }

        var dataGb = outcome.TransferSeconds > 0 ? Record.Request!.Dataset?.SizeGb ?? 0 : 0;
        _ = _grains.Megaregion.ReportFlowAsync(from, outcome.Region, dataGb);
    }
}

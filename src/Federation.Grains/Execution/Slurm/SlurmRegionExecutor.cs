using System.Collections.Immutable;
using System.Globalization;
using Federation.Contracts;
using Federation.Grains.Hosting;
using Federation.Grains.Jobs;
using Microsoft.Extensions.Logging;

namespace Federation.Grains.Execution.Slurm;

/// <summary>
/// Runs one region's jobs on the region's Slurm through slurmrestd. Slurm's queue is authoritative for the region's
/// hardware: the region decides which job gets which accelerators, and the executor hands each started job to Slurm as a
/// batch job (the job's script, its duration as the time limit, its accelerators as GRES) and follows it there until it
/// ends, then reports the end with the script's exit code and Slurm's reason.
/// <para>
/// Never twice: a job is submitted with the federation's job id as its Slurm name and
/// <c>federation:&lt;region&gt;:&lt;job id&gt;@&lt;run start&gt;</c> as its comment, and Slurm's id is recorded in the job's row (for
/// that run: a job placed again starts without one). Before
/// any submission the executor looks for the job in a listing of Slurm's jobs taken after its last attempt, so a job
/// submitted before a crash (or whose answer was lost) is re-attached, not submitted again; a job whose row has Slurm's
/// id is only ever followed. A job Slurm no longer knows (it forgot it while no server followed it) ends Failed, saying
/// so: it is never submitted again.
/// </para>
/// <para>
/// One loop per region does all of it, once per <see cref="SlurmOptions.PollPeriod"/> and at once when a job starts:
/// one listing of Slurm's jobs, then submissions, re-attachments, reports. A cancel takes the same lock.
/// </para>
/// </summary>
public sealed class SlurmRegionExecutor : IJobExecutor, IAsyncDisposable
{
    private readonly string _region;
    private readonly SlurmOptions _options;
    private readonly SlurmRestClient _client;
    private readonly IJobRowReader _rows;
    private readonly GrainReferences _grains;
    private readonly ExecutionClock _clock;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<string, Run> _runs = new(StringComparer.Ordinal);

    // Cancels Slurm could not be reached for (job id → the run and its Slurm id when known), retried by the loop; touched under _gate only.
    private readonly Dictionary<string, (ExecutionRequest Request, long? SlurmId)> _pendingCancels = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _startGate = new();
    private Task? _loop;
    private bool _unreachable;
    private DateTimeOffset _nextCapacityRead;

    public SlurmRegionExecutor(string region, SlurmOptions options, SlurmRestClient client, IJobRowReader rows, GrainReferences grains, ExecutionClock clock, TimeProvider time, ILogger logger)
    {
        _region = region;
        _options = options;
        _client = client;
        _rows = rows;
        _grains = grains;
        _clock = clock;
        _time = time;
        _logger = logger;
    }

    /// <summary>The region whose jobs this executor runs.</summary>
    public string Region => _region;

    /// <summary>Jobs it follows now.</summary>
    public int Following
    {
        get
        {
            lock (_runs)
            {
                return _runs.Count;
            }
        }
    }

    /// <summary>Reads the region's pools from Slurm's nodes (every <see cref="SlurmOptions.CapacityRefresh"/>), when set.</summary>
    public Func<ImmutableDictionary<string, int>, Task>? OnCapacity { get; set; }

    public Task StartAsync(ExecutionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        lock (_runs)
        {
            _runs.TryAdd(request.JobId, new Run(request, _time.GetUtcNow()));
        }

        EnsureLoop();
        _wake.Release();
        return Task.CompletedTask;
    }

    public async Task<bool> StopAsync(string regionId, string jobId, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Run? run;
            lock (_runs)
            {
                if (!_runs.Remove(jobId, out run))
                {
                    return false;
                }
            }

            if (run.SlurmId is not null || run.Attempted)
            {
                try
                {
                    await CancelInSlurmAsync(run.Request, run.SlurmId, null, cancellationToken).ConfigureAwait(false);
                }
                catch (SlurmException e)
                {
                    // Slurm cannot be reached now: the job is cancelled in the federation, and the loop cancels it in
                    // Slurm as soon as it can (it is never left running there untracked).
                    SlurmLog.CancelDeferred(_logger, _region, jobId, e.Message);
                    _pendingCancels[jobId] = (run.Request, run.SlurmId);
                }
            }

            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// A job that asked for a checkpoint signal (<see cref="ExecutionRequest.CheckpointSignal"/>) gets it from the loop at
    /// once (woken now), sent to its batch script through slurmrestd once Slurm runs it (a job Slurm keeps pending has
    /// nothing to checkpoint: it is cancelled at the reclaim time). The script's end after it is reported as any end is;
    /// the region, which knows it signalled the job, takes it for a checkpointed preemption. A job that asked for none
    /// gets no signal (a script that does not trap one would end at once, its end looking like its own): false, and it is
    /// cancelled in Slurm (<see cref="StopAsync"/>) when the grace period is over.
    /// </summary>
    public Task<bool> PreemptAsync(string regionId, string jobId, TimeSpan grace, CancellationToken cancellationToken = default)
    {
        lock (_runs)
        {
            if (!_runs.TryGetValue(jobId, out var run) || run.Request.CheckpointSignal is null)
            {
                return Task.FromResult(false);
            }

            run.SignalDue = true;
        }

        EnsureLoop();
        _wake.Release();
        return Task.FromResult(true);
    }

    /// <summary>Sends a due checkpoint signal to a job Slurm runs; kept due (retried at the next pass) when Slurm cannot be reached.</summary>
    private async Task SignalAsync(Run run, SlurmJob job, CancellationToken stop)
    {
        var signal = run.Request.CheckpointSignal!;
        try
        {
            await _client.SignalAsync(job.JobId, signal, stop).ConfigureAwait(false);
            run.SignalDue = false;
            SlurmLog.Signalled(_logger, _region, run.Request.JobId, job.JobId, signal);
        }
        catch (SlurmException e)
        {
            SlurmLog.SignalFailed(_logger, _region, run.Request.JobId, job.JobId, signal, e.Message);
        }
    }

    /// <summary>
    /// Cancels the job in Slurm: by its id, or (a submission whose answer never came) by finding it in a listing. Throws
    /// <see cref="SlurmException"/> when Slurm cannot be reached.
    /// </summary>
    private async Task CancelInSlurmAsync(ExecutionRequest request, long? slurmId, List<SlurmJob>? listing, CancellationToken cancellationToken)
    {
        var jobId = request.JobId;
        slurmId ??= Find(listing ?? await _client.JobsAsync(cancellationToken).ConfigureAwait(false), request)?.JobId;
        if (slurmId is { } id)
        {
            await _client.CancelAsync(id, cancellationToken).ConfigureAwait(false);
            SlurmLog.Cancelled(_logger, _region, jobId, id);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is { } loop)
        {
            try
            {
                await loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        _stop.Dispose();
        _client.Dispose();
    }

    /// <summary>Starts the loop (once): at the first job, or at the silo's start when the pools are read from Slurm.</summary>
    public void EnsureLoop()
    {
        lock (_startGate)
        {
            _loop ??= Task.Run(() => LoopAsync(_stop.Token));
        }
    }

    private async Task LoopAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await PassAsync(stop).ConfigureAwait(false);
                _unreachable = false;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (SlurmException e)
            {
                if (!_unreachable)
                {
                    SlurmLog.Unreachable(_logger, _region, e.Message, _options.PollPeriod);
                    _unreachable = true;
                }
            }
            catch (Exception e)
            {
                SlurmLog.LoopFailed(_logger, e, _region);
            }

            try
            {
                await _wake.WaitAsync(_options.PollPeriod, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One pass: list Slurm's jobs, submit or re-attach the new runs, follow the others, read the pools when due.</summary>
    private async Task PassAsync(CancellationToken stop)
    {
        await _gate.WaitAsync(stop).ConfigureAwait(false);
        try
        {
            Run[] runs;
            lock (_runs)
            {
                runs = [.. _runs.Values];
            }

            if (runs.Length > 0 || _pendingCancels.Count > 0)
            {
                var listing = await _client.JobsAsync(stop).ConfigureAwait(false);
                foreach (var (jobId, (request, slurmId)) in _pendingCancels.ToArray())
                {
                    await CancelInSlurmAsync(request, slurmId, listing, stop).ConfigureAwait(false);
                    _pendingCancels.Remove(jobId);
                }

                var byId = new Dictionary<long, SlurmJob>(listing.Count);
                foreach (var job in listing)
                {
                    byId[job.JobId] = job;
                }

                foreach (var run in runs)
                {
                    if (run.SlurmId is null)
                    {
                        await SubmitOrAttachAsync(run, listing, stop).ConfigureAwait(false);
                    }

                    if (run.SlurmId is { } id)
                    {
                        await FollowAsync(run, byId.GetValueOrDefault(id), stop).ConfigureAwait(false);
                    }
                }
            }
        }
        finally
        {
            _gate.Release();
        }

        if (OnCapacity is { } onCapacity && _options.CapacityRefresh > TimeSpan.Zero && _time.GetUtcNow() >= _nextCapacityRead)
        {
            _nextCapacityRead = _time.GetUtcNow() + _options.CapacityRefresh;
            await onCapacity(await ReadCapacityAsync(stop).ConfigureAwait(false)).ConfigureAwait(false);
        }
    }

    private async Task SubmitOrAttachAsync(Run run, List<SlurmJob> listing, CancellationToken stop)
    {
        var jobId = run.Request.JobId;
        run.Row ??= await _rows.ReadAsync(jobId, stop).ConfigureAwait(false);
        if (run.Row is null)
        {
            // No row: nothing to run (the region's rebuild never hands such a job over; a stale start is dropped).
            Forget(run);
            return;
        }

        if (run.Row.BackendJobId is { } recorded && long.TryParse(recorded, NumberStyles.None, CultureInfo.InvariantCulture, out var known))
        {
            // Submitted before (this process or an earlier one): only ever followed.
            run.SlurmId = known;
            run.Reported = true;
            SlurmLog.Reattached(_logger, _region, jobId, known, listing.FirstOrDefault(j => j.JobId == known)?.State ?? "not listed");
            return;
        }

        if (Find(listing, run.Request) is { } found)
        {
            // Submitted before its id reached the row (a crash, a lost answer): re-attached, not submitted again.
            run.SlurmId = found.JobId;
            SlurmLog.Reattached(_logger, _region, jobId, found.JobId, found.State);
            await ReportAsync(run, new BackendReport
            {
                BackendJobId = Id(found.JobId),
                Reason = NullIfNone(found.Reason),
                Message = $"re-attached to Slurm job {found.JobId} in {_region} ({found.State})",
                At = _clock.Now,
            }).ConfigureAwait(false);
            return;
        }

        if (run.Row.Request?.Run is not { } what)
        {
            await EndAsync(run, new RunEnd
            {
                Outcome = JobState.Failed,
                At = _clock.Now,
                Message = $"{_region} runs jobs on Slurm and the job has no script (run.script)",
            }).ConfigureAwait(false);
            return;
        }

        var submission = ToSubmission(run.Request, what);
        run.Attempted = true;
        long slurmId;
        try
        {
            slurmId = await _client.SubmitAsync(submission, stop).ConfigureAwait(false);
        }
        catch (SlurmException e) when (e.Status is not null && e.ErrorNumber is not null and not 0)
        {
            // Slurm answered and said no (an unknown GRES, too many GPUs, a bad directory): the job cannot run here.
            SlurmLog.Refused(_logger, _region, jobId, e.Message);
            await EndAsync(run, new RunEnd { Outcome = JobState.Failed, At = _clock.Now, Message = $"Slurm in {_region} refused the job: {e.Message}" }).ConfigureAwait(false);
            return;
        }

        run.SlurmId = slurmId;
        run.SubmittedAt = _time.GetUtcNow();
        SlurmLog.Submitted(_logger, _region, jobId, slurmId);
        await ReportAsync(run, new BackendReport
        {
            BackendJobId = Id(slurmId),
            Message = $"submitted to {_region}'s Slurm as job {slurmId} (partition {submission.Partition ?? "default"}, gres {submission.Gres}, time limit {submission.TimeLimitMinutes} min)",
            At = _clock.Now,
        }).ConfigureAwait(false);
    }

    private async Task FollowAsync(Run run, SlurmJob? job, CancellationToken stop)
    {
        if (!run.Reported && run.PendingReport is { } report)
        {
            await ReportAsync(run, report).ConfigureAwait(false);
        }

        if (job is null)
        {
            // Just submitted, a listing taken before: seen at the next pass. Otherwise Slurm forgot it (MinJobAge passed
            // while no server followed it): its outcome is unknown, and it is not run again.
            if (run.SubmittedAt is null || _time.GetUtcNow() - run.SubmittedAt > _options.PollPeriod * 5)
            {
                await EndAsync(run, new RunEnd
                {
                    Outcome = JobState.Failed,
                    At = _clock.Now,
                    Message = $"Slurm in {_region} no longer knows job {run.SlurmId}: its outcome is unknown, and it is not submitted again",
                    BackendReason = "Unknown",
                }).ConfigureAwait(false);
            }

            return;
        }

        if (!job.IsFinal)
        {
            if (run.SignalDue && job.State == "RUNNING")
            {
                await SignalAsync(run, job, stop).ConfigureAwait(false);
            }

            await WatchPendingAsync(run, job).ConfigureAwait(false);
            return;
        }

        var completed = job.State == "COMPLETED" && job.ExitCode is null or 0;
        var reason = NullIfNone(job.Reason);
        var message = $"Slurm job {job.JobId} {job.State}{(reason is null ? "" : $" ({reason})")}{(job.ExitCode is { } code ? $", exit code {code}" : "")}"
            + (job.State == "TIMEOUT" ? $": it ran past its time limit of {TimeLimitMinutes(run.Request.Duration)} min" : "")
            + (job.State == "CANCELLED" ? ": cancelled in Slurm, not through the federation" : "");
        SlurmLog.Ended(_logger, _region, run.Request.JobId, job.JobId, job.State, reason, job.ExitCode);
        await EndAsync(run, new RunEnd
        {
            Outcome = completed ? JobState.Completed : JobState.Failed,
            At = _clock.Now,
            Message = message,
            ExitCode = job.ExitCode,
            BackendReason = reason ?? job.State,
        }).ConfigureAwait(false);
    }

    /// <summary>A job Slurm keeps pending past <see cref="SlurmOptions.PendingReportAfter"/> is reported once per reason; its start after that too.</summary>
    private async Task WatchPendingAsync(Run run, SlurmJob job)
    {
        var since = run.SubmittedAt ?? run.FollowedSince;
        if (job.State == "PENDING")
        {
            var waited = _time.GetUtcNow() - since;
            var reason = NullIfNone(job.Reason) ?? "None";
            if (waited >= _options.PendingReportAfter && !string.Equals(run.PendingReason, reason, StringComparison.Ordinal))
            {
                run.PendingReason = reason;
                SlurmLog.LongPending(_logger, _region, run.Request.JobId, job.JobId, waited, reason);
                await ReportAsync(run, new BackendReport
                {
                    BackendJobId = Id(job.JobId),
                    Reason = reason,
                    Message = $"Slurm keeps job {job.JobId} pending ({reason}) {waited.TotalSeconds:0} s after {_region} started it: Slurm's queue decides when it runs",
                    At = _clock.Now,
                }).ConfigureAwait(false);
            }
        }
        else if (run.PendingReason is not null && job.State == "RUNNING")
        {
            run.PendingReason = null;
            await ReportAsync(run, new BackendReport { BackendJobId = Id(job.JobId), Message = $"Slurm started job {job.JobId}", At = _clock.Now }).ConfigureAwait(false);
        }
    }

    private async Task ReportAsync(Run run, BackendReport report)
    {
        try
        {
            await _grains.Region(_region).OnExecutionReportAsync(run.Request.JobId, report).ConfigureAwait(false);
            run.Reported = true;
            run.PendingReport = null;
        }
        catch (Exception e)
        {
            // Told again at the next pass.
            SlurmLog.ReportFailed(_logger, e, _region, run.Request.JobId, "backend report");
            run.Reported = false;
            run.PendingReport = report;
        }
    }

    private async Task EndAsync(Run run, RunEnd end)
    {
        try
        {
            await _grains.Region(_region).OnExecutionEndedAsync(run.Request.JobId, end).ConfigureAwait(false);
            Forget(run);
        }
        catch (Exception e)
        {
            // Kept: the end is reported again at the next pass (the region ignores a second one).
            SlurmLog.ReportFailed(_logger, e, _region, run.Request.JobId, "end");
        }
    }

    private void Forget(Run run)
    {
        lock (_runs)
        {
            if (_runs.TryGetValue(run.Request.JobId, out var current) && ReferenceEquals(current, run))
            {
                _runs.Remove(run.Request.JobId);
            }
        }
    }

    private async Task<ImmutableDictionary<string, int>> ReadCapacityAsync(CancellationToken stop)
    {
        var nodes = await _client.NodesAsync(stop).ConfigureAwait(false);
        var byGres = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            if (IsUsable(node.State))
            {
                SlurmGres.AddCounts(node.Gres, byGres);
            }
        }

        var pools = ImmutableDictionary.CreateBuilder<string, int>(StringComparer.Ordinal);
        foreach (var (type, gres) in _options.Gres)
        {
            pools[type] = byGres.GetValueOrDefault(gres);
        }

        var result = pools.ToImmutable();
        SlurmLog.Capacity(_logger, _region, string.Join(", ", result.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Value} {p.Key}")));
        return result;
    }

    /// <summary>Whether a node in this state runs jobs (not down, drained, draining or failing; flags follow a '+').</summary>
    private static bool IsUsable(string state)
    {
        var s = state.ToUpperInvariant();
        return !(s.Contains("DOWN", StringComparison.Ordinal) || s.Contains("DRAIN", StringComparison.Ordinal)
            || s.Contains("FAIL", StringComparison.Ordinal) || s.Contains("NOT_RESPONDING", StringComparison.Ordinal)
            || s.Contains("FUTURE", StringComparison.Ordinal) || s.Contains("UNKNOWN", StringComparison.Ordinal)
            || s.Contains("POWERED_DOWN", StringComparison.Ordinal) || s.EndsWith('*'));
    }

    private SlurmJob? Find(List<SlurmJob> listing, ExecutionRequest request)
    {
        var jobId = request.JobId;
        var comment = Comment(request);
        SlurmJob? found = null;
        foreach (var job in listing)
        {
            if (string.Equals(job.Comment, comment, StringComparison.Ordinal)
                || (job.Comment is null && string.Equals(job.Name, jobId, StringComparison.Ordinal)))
            {
                // Newest first: a job id reused after a cancel is the latest submission.
                if (found is null || job.JobId > found.JobId)
                {
                    found = job;
                }
            }
        }

        return found;
    }

    private SlurmSubmission ToSubmission(ExecutionRequest request, JobRun run)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = "/usr/local/bin:/usr/bin:/bin",
        };
        if (run.Environment is { } own)
        {
            foreach (var (name, value) in own)
            {
                environment[name] = value;
            }
        }

        var directory = run.WorkingDirectory ?? _options.WorkingDirectory;
        environment["FEDERATION_JOB_ID"] = request.JobId;
        environment["FEDERATION_REGION"] = _region;
        return new SlurmSubmission(
            request.JobId,
            Comment(request),
            run.Script,
            _options.Partition,
            TimeLimitMinutes(request.Duration),
            $"{_options.Gres[request.AcceleratorType]}:{request.Accelerators.ToString(CultureInfo.InvariantCulture)}",
            directory,
            _options.Output.StartsWith('/') ? _options.Output : $"{directory.TrimEnd('/')}/{_options.Output}",
            environment,
            run.Image);
    }

    /// <summary>
    /// The Slurm job's comment: the region, the job and its run (the start the row records, to the tick), so that a job
    /// run again in this region (preempted, released and placed here again) is never re-attached to an earlier run's
    /// Slurm job, which Slurm keeps listing for a while after it ended.
    /// </summary>
    private string Comment(ExecutionRequest request) =>
        string.Create(CultureInfo.InvariantCulture, $"federation:{_region}:{request.JobId}@{request.StartedAt.UtcDateTime:yyyyMMdd'T'HHmmss.fffffff'Z'}");

    private static int TimeLimitMinutes(TimeSpan duration) => (int)Math.Clamp(Math.Ceiling(duration.TotalMinutes), 1, int.MaxValue);

    private static string Id(long slurmId) => slurmId.ToString(CultureInfo.InvariantCulture);

    private static string? NullIfNone(string? reason) => string.IsNullOrEmpty(reason) || reason == "None" ? null : reason;

    /// <summary>One job the executor follows.</summary>
    private sealed class Run(ExecutionRequest request, DateTimeOffset followedSince)
    {
        public ExecutionRequest Request { get; } = request;

        public DateTimeOffset FollowedSince { get; } = followedSince;

        public JobRecord? Row { get; set; }

        public long? SlurmId { get; set; }

        /// <summary>A submission was sent (its answer may have been lost).</summary>
        public bool Attempted { get; set; }

        /// <summary>When this process submitted it; null for a re-attached job.</summary>
        public DateTimeOffset? SubmittedAt { get; set; }

        public bool Reported { get; set; }

        public BackendReport? PendingReport { get; set; }

        public string? PendingReason { get; set; }

        /// <summary>The region asked for the job's checkpoint signal, and it has not gone yet (sent once Slurm runs the job).</summary>
        public bool SignalDue { get; set; }
    }
}

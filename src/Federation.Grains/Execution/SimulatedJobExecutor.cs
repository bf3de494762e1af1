using System.Collections.Concurrent;
using Federation.Contracts;
using Federation.Grains.Hosting;

namespace Federation.Grains.Execution;

/// <summary>
/// A job occupies its accelerators for its duration on the execution clock, then completes. After a
/// restart the region re-attaches its running jobs, and each ends at its original start plus duration. An end the
/// region could not take (the call failed) is reported again by the clock until it does, as a real backend's end stays
/// there to be read. A job that asked for a checkpoint signal models a script that traps it: signalled
/// (<see cref="PreemptAsync"/>), it writes its checkpoint and exits at once, and that end is reported at the signal's time.
/// </summary>
public sealed class SimulatedJobExecutor(ExecutionClock clock, GrainReferences grains) : IJobExecutor
{
    private readonly ConcurrentDictionary<(string Region, string Job), Run> _running = new();

    private long _preemptionsSignalled;

    /// <summary>Jobs the executor is running now.</summary>
    public int RunningCount => _running.Count;

    /// <summary>Checkpoint signals sent to running jobs (<see cref="PreemptAsync"/>).</summary>
    public long PreemptionsSignalled => Interlocked.Read(ref _preemptionsSignalled);

    public Task StartAsync(ExecutionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = (request.RegionId, request.JobId);
        if (_running.TryGetValue(key, out var existing))
        {
            if (existing.StartedAt == request.StartedAt)
            {
                // A re-attach to the run already going.
                return Task.CompletedTask;
            }

            // A run of an earlier admission in this region that nobody stopped (the region was rebuilt and released the
            // job meanwhile): it is not this run, and its end must not be taken for this one's.
            if (_running.TryRemove(new KeyValuePair<(string, string), Run>(key, existing)))
            {
                existing.Dispose();
            }
        }

        var run = new Run(this, key, request.StartedAt, request.Duration, request.CheckpointSignal);
        if (_running.TryAdd(key, run))
        {
            run.Handle = clock.At(run.End, static r => r.EndAsync(), run);
        }

        return Task.CompletedTask;
    }

    public Task<bool> StopAsync(string regionId, string jobId, CancellationToken cancellationToken = default)
    {
        if (_running.TryRemove((regionId, jobId), out var run))
        {
            run.Dispose();
            return Task.FromResult(true);
        }

        return Task.FromResult(false);
    }

    /// <summary>
    /// Sends the job its checkpoint signal when it asked for one (<see cref="ExecutionRequest.CheckpointSignal"/>): the
    /// simulated script writes its checkpoint and exits now, and the run's end is reported at once (counted in
    /// <see cref="PreemptionsSignalled"/>). False, sending nothing, for a job that asked for none (it runs on until the
    /// region stops it or it ends) or that does not run here (a second signal to a run that already ended).
    /// </summary>
    public Task<bool> PreemptAsync(string regionId, string jobId, TimeSpan grace, CancellationToken cancellationToken = default)
    {
        if (!_running.TryGetValue((regionId, jobId), out var run) || run.CheckpointSignal is null || !run.Checkpoint(clock.Now))
        {
            return Task.FromResult(false);
        }

        Interlocked.Increment(ref _preemptionsSignalled);
        return Task.FromResult(true);
    }

    private sealed class Run(SimulatedJobExecutor owner, (string Region, string Job) key, DateTimeOffset startedAt, TimeSpan duration, string? checkpointSignal) : IDisposable
    {
        public DateTimeOffset StartedAt { get; } = startedAt;

        public string? CheckpointSignal { get; } = checkpointSignal;

        /// <summary>When the run ends: its start plus its duration, or when it checkpointed on its signal.</summary>
        public DateTimeOffset End { get; private set; } = startedAt + duration;

        public IDisposable? Handle { get; set; }

        public void Dispose() => Handle?.Dispose();

        private bool _ended;
        private bool _checkpointed;

        /// <summary>The signal came at <paramref name="at"/>: the run ends then (once; false when it already ended or checkpointed).</summary>
        public bool Checkpoint(DateTimeOffset at)
        {
            if (_ended || _checkpointed || at >= End)
            {
                return false;
            }

            _checkpointed = true;
            End = at;
            Handle?.Dispose();
            Handle = owner.Clock.At(End, static r => r.EndAsync(), this);
            return true;
        }

        /// <summary>Reports the end; run again by the clock when the report failed, so it reports again rather than finding itself gone.</summary>
        public Task EndAsync()
        {
            if (!_ended)
            {
                if (!owner._running.TryRemove(new KeyValuePair<(string, string), Run>(key, this)))
                {
                    // Stopped (cancelled) or replaced by a later run before its end: no end to report.
                    return Task.CompletedTask;
                }

                _ended = true;
            }

            var message = _checkpointed
                ? $"checkpointed on {CheckpointSignal} and exited after {(End - StartedAt).TotalHours:0.###} h (simulated executor)"
                : $"ran {duration.TotalHours:0.###} h (simulated executor)";
            var end = new RunEnd { Outcome = JobState.Completed, At = End, Message = message, StartedAt = StartedAt };
            return owner._grains.Region(key.Region).OnExecutionEndedAsync(key.Job, end);
        }
    }

    private GrainReferences _grains => grains;

    private ExecutionClock Clock => clock;
}

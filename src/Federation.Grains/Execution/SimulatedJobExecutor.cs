using System.Collections.Concurrent;
using Federation.Contracts;
using Federation.Grains.Diagnostics;
using Federation.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Federation.Grains.Execution;

/// <summary>
/// A job occupies its accelerators for its duration on the execution clock, then completes. After a
/// restart the region re-attaches its running jobs, and each ends at its original start plus duration. An end the
/// region could not take (the call failed: its silo is going down, the cluster is changing) is reported again, with
/// backoff on the silo's clock, until the region has taken it or the silo stops — as a real backend's end stays there to be read.
/// </summary>
public sealed class SimulatedJobExecutor(
    ExecutionClock clock,
    GrainReferences grains,
    IOptions<FederationGrainsOptions> options,
    TimeProvider runtimeTime,
    ILogger<SimulatedJobExecutor> logger) : IJobExecutor
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

        var run = new Run(this, key, request.StartedAt, request.Duration);
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
    /// A simulated job has nothing to checkpoint: the signal is only counted (<see cref="PreemptionsSignalled"/>), and the
    /// run goes on until the region stops it or it ends.
    /// </summary>
    public Task<bool> PreemptAsync(string regionId, string jobId, TimeSpan grace, CancellationToken cancellationToken = default)
    {
        if (!_running.ContainsKey((regionId, jobId)))
        {
            return Task.FromResult(false);
        }

        Interlocked.Increment(ref _preemptionsSignalled);
        return Task.FromResult(true);
    }

    private sealed class Run(SimulatedJobExecutor owner, (string Region, string Job) key, DateTimeOffset startedAt, TimeSpan duration) : IDisposable
    {
        public DateTimeOffset StartedAt { get; } = startedAt;

        public DateTimeOffset End => StartedAt + duration;

        public IDisposable? Handle { get; set; }

        public void Dispose() => Handle?.Dispose();

        public Task EndAsync()
        {
            if (!owner._running.TryRemove(new KeyValuePair<(string, string), Run>(key, this)))
            {
                return Task.CompletedTask;
            }

            var message = $"ran {duration.TotalHours:0.###} h (simulated executor)";
            var end = new RunEnd { Outcome = JobState.Completed, At = End, Message = message, StartedAt = StartedAt };
            return owner.ReportEndAsync(key.Region, key.Job, end);
        }
    }

    private async Task ReportEndAsync(string regionId, string jobId, RunEnd end)
    {
        var region = grains.Region(regionId);
        var delay = options.Value.FirstNoticeRetryDelay;
        for (var failures = 0; ; failures++)
        {
            try
            {
                await region.OnExecutionEndedAsync(jobId, end).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (!clock.Stopped)
            {
                if (failures == 0)
                {
                    GrainsLog.EndReportFailed(logger, ex, regionId, jobId);
                }
            }

            await Task.Delay(delay, runtimeTime).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.Value.MaxNoticeRetryDelay.Ticks));
        }
    }
}

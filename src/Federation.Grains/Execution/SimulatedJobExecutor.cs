using System.Collections.Concurrent;
using Federation.Contracts;
using Federation.Grains.Hosting;

namespace Federation.Grains.Execution;

/// <summary>
/// A job occupies its accelerators for its duration on the execution clock, then completes. After a
/// restart the region re-attaches its running jobs, and each ends at its original start plus duration.
/// </summary>
public sealed class SimulatedJobExecutor(ExecutionClock clock, GrainReferences grains) : IJobExecutor
{
    private readonly ConcurrentDictionary<(string Region, string Job), IDisposable> _running = new();

    /// <summary>Jobs the executor is running now.</summary>
    public int RunningCount => _running.Count;

    public Task StartAsync(ExecutionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var key = (request.RegionId, request.JobId);
        if (_running.ContainsKey(key))
        {
            return Task.CompletedTask;
        }

        var end = request.StartedAt + request.Duration;
        var run = new Run(this, key, end, request.Duration);
        if (_running.TryAdd(key, run))
        {
            run.Handle = clock.At(end, static r => r.EndAsync(), run);
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

    private sealed class Run(SimulatedJobExecutor owner, (string Region, string Job) key, DateTimeOffset end, TimeSpan duration) : IDisposable
    {
        public IDisposable? Handle { get; set; }

        public void Dispose() => Handle?.Dispose();

        public Task EndAsync()
        {
            if (!owner._running.TryRemove(new KeyValuePair<(string, string), IDisposable>(key, this)))
            {
                return Task.CompletedTask;
            }

            var message = $"ran {duration.TotalHours:0.###} h (simulated executor)";
            return owner._grains.Region(key.Region).OnExecutionEndedAsync(key.Job, new RunEnd { Outcome = JobState.Completed, At = end, Message = message });
        }
    }

    private GrainReferences _grains => grains;
}

using System.Collections.Concurrent;
using Federation.Grains.Execution;
using Federation.Grains.Jobs;

namespace Federation.Grains.Tests.Support;

/// <summary>
/// The simulated executor of one silo, recording every start with what the committed row said at that moment (read
/// from the store underneath the test's failing storage, so an outage does not hide it) in the log every silo of the
/// cluster shares: the rule under test is that a region calls the executor only for a job whose committed row names
/// that region.
/// </summary>
internal sealed class RecordingJobExecutor(SimulatedJobExecutor inner, CountingStorage storage, ExecutionLog log) : IJobExecutor
{
    public async Task StartAsync(ExecutionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var row = (await storage.Inner.ReadAsync<JobRecord>(request.JobId, cancellationToken))?.Row;
        var named = row is { IsActive: true } && row.Region == request.RegionId;
        log.Add(new ExecutionStart(request.RegionId, request.JobId, named, row is null ? "no row" : $"{row.State} in {row.Region}", request.StartedAt));
        await inner.StartAsync(request, cancellationToken);
    }

    public async Task<bool> StopAsync(string regionId, string jobId, CancellationToken cancellationToken = default)
    {
        log.AddStop(regionId, jobId);
        return await inner.StopAsync(regionId, jobId, cancellationToken);
    }

    public async Task<bool> PreemptAsync(string regionId, string jobId, TimeSpan grace, CancellationToken cancellationToken = default)
    {
        var running = await inner.PreemptAsync(regionId, jobId, grace, cancellationToken);
        log.AddSignal(new PreemptionSignal(regionId, jobId, grace, running));
        return running;
    }
}

/// <summary>Every call of <see cref="IJobExecutor.StartAsync"/> on any silo of a test's cluster.</summary>
internal sealed class ExecutionLog
{
    private readonly ConcurrentQueue<ExecutionStart> _starts = new();

    public IReadOnlyCollection<ExecutionStart> Starts => _starts;

    /// <summary>Starts of a job whose committed row did not name the region (queued or running there).</summary>
    public IEnumerable<ExecutionStart> WithoutRow => _starts.Where(s => !s.RowNamedRegion);

    /// <summary>Starts of <paramref name="jobId"/> in <paramref name="regionId"/> (re-attachments after a restart included).</summary>
    public int StartsOf(string regionId, string jobId) => _starts.Count(s => s.Region == regionId && s.Job == jobId);

    private readonly ConcurrentQueue<PreemptionSignal> _signals = new();
    private readonly ConcurrentQueue<(string Region, string Job)> _stops = new();

    /// <summary>Every checkpoint signal (<see cref="IJobExecutor.PreemptAsync"/>).</summary>
    public IReadOnlyCollection<PreemptionSignal> Signals => _signals;

    /// <summary>Stops of <paramref name="jobId"/> in <paramref name="regionId"/> (a cancel, a reclaim).</summary>
    public int StopsOf(string regionId, string jobId) => _stops.Count(s => s.Region == regionId && s.Job == jobId);

    public void Add(ExecutionStart start) => _starts.Enqueue(start);

    public void AddSignal(PreemptionSignal signal) => _signals.Enqueue(signal);

    public void AddStop(string regionId, string jobId) => _stops.Enqueue((regionId, jobId));
}

/// <summary>One call of <see cref="IJobExecutor.PreemptAsync"/>; <paramref name="Running"/> says whether the executor ran the job then.</summary>
internal sealed record PreemptionSignal(string Region, string Job, TimeSpan Grace, bool Running);

/// <summary>One call of <see cref="IJobExecutor.StartAsync"/>; <paramref name="StartedAt"/> names the run (a re-attach names the same).</summary>
internal sealed record ExecutionStart(string Region, string Job, bool RowNamedRegion, string Row, DateTimeOffset StartedAt);

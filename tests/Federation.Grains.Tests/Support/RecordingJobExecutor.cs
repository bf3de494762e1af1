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
        log.Add(new ExecutionStart(request.RegionId, request.JobId, named, row is null ? "no row" : $"{row.State} in {row.Region}"));
        await inner.StartAsync(request, cancellationToken);
    }

    public Task<bool> StopAsync(string regionId, string jobId, CancellationToken cancellationToken = default) =>
        inner.StopAsync(regionId, jobId, cancellationToken);
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

    public void Add(ExecutionStart start) => _starts.Enqueue(start);
}

/// <summary>One call of <see cref="IJobExecutor.StartAsync"/>.</summary>
internal sealed record ExecutionStart(string Region, string Job, bool RowNamedRegion, string Row);

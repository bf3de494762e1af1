using System.Collections.Concurrent;
using Federation.Actors;
using Federation.Actors.Storage;
using Federation.Contracts;
using Federation.Grains.Execution;
using Federation.Grains.Jobs;

namespace Federation.Grains.Tests.Support;

/// <summary>
/// The simulated executor, recording every start with what the committed row said at that moment (read from the
/// provider underneath the test's failing storage, so an outage does not hide it): the rule under test is that a
/// region calls the executor only for a job whose committed row names that region.
/// </summary>
internal sealed class RecordingJobExecutor(SimulatedJobExecutor inner, CountingStorage storage) : IJobExecutor
{
    private static readonly GrainType JobGrainType = new(JobRecord.GrainTypeName);
    private readonly ConcurrentQueue<ExecutionStart> _starts = new();

    public IReadOnlyCollection<ExecutionStart> Starts => _starts;

    /// <summary>Starts of <paramref name="jobId"/> in <paramref name="regionId"/> (re-attachments after a restart included).</summary>
    public int StartsOf(string regionId, string jobId) => _starts.Count(s => s.Region == regionId && s.Job == jobId);

    /// <summary>Starts of a job whose committed row did not name the region (queued or running there).</summary>
    public IEnumerable<ExecutionStart> WithoutRow => _starts.Where(s => !s.RowNamedRegion);

    public async Task StartAsync(ExecutionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var row = new GrainState<JobRecord>(new JobRecord());
        await storage.Inner.ReadStateAsync(JobRecord.StateName, new GrainId(JobGrainType, request.JobId), row, cancellationToken);
        var named = row.RecordExists && row.State.IsActive && row.State.Region == request.RegionId;
        _starts.Enqueue(new ExecutionStart(request.RegionId, request.JobId, named, row.RecordExists ? $"{row.State.State} in {row.State.Region}" : "no row"));
        await inner.StartAsync(request, cancellationToken);
    }

    public Task<bool> StopAsync(string regionId, string jobId, CancellationToken cancellationToken = default) =>
        inner.StopAsync(regionId, jobId, cancellationToken);
}

/// <summary>One call of <see cref="IJobExecutor.StartAsync"/>.</summary>
internal sealed record ExecutionStart(string Region, string Job, bool RowNamedRegion, string Row);

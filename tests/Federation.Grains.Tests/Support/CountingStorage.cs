using System.Collections.Concurrent;
using Federation.Grains.Jobs;
using Federation.Storage.Jobs;
using Orleans;
using Orleans.Runtime;

namespace Federation.Grains.Tests.Support;

/// <summary>
/// A real job store (memory, or SQLite on a file) that counts the writes and reads per state name, so a test can show
/// that a refused call wrote nothing, and that fails on command as an unreachable store would. It is the silo's job
/// store both ways the grains reach it: Orleans' keyed grain storage of the job grain and the <see cref="IJobStore"/>
/// the regions read rows through, so an outage reaches every reader. One instance can back several clusters (a
/// restart, or two silos sharing one store as they would share one database).
/// </summary>
internal sealed class CountingStorage(IJobStore inner) : IJobStore
{
    private readonly ConcurrentDictionary<string, int> _writes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _reads = new(StringComparer.Ordinal);
    private int _refusedReads;

    public CountingStorage()
        : this(new MemoryJobStore(new JobStoreOptions(), new JsonRowSerializer()))
    {
    }

    public IJobStore Inner => inner;

    public string Description => $"counting over {inner.Description}";

    /// <summary>While true, every write fails as an unreachable store would (nothing reaches the store).</summary>
    public bool FailWrites { get; set; }

    /// <summary>While true, every read of a row fails as well (a store that is down for reads too).</summary>
    public bool FailReads { get; set; }

    /// <summary>Writes of the grains it names fail (the others go through); null = none.</summary>
    public Func<GrainId, bool>? FailWritesOf { get; set; }

    /// <summary>While true, a write refused by <see cref="FailWrites"/> also takes the store down for reads (<see cref="FailReads"/> set): an outage that began after the activation read its row.</summary>
    public bool FailReadsFromFailedWrite { get; set; }

    /// <summary>While true, writes reach the store and then fail (a commit whose answer was lost).</summary>
    public bool FailAfterWrite { get; set; }

    /// <summary>While true, a write that reached the store takes the store down for reads (<see cref="FailReads"/> set): a commit, then an outage.</summary>
    public bool FailReadsAfterWrite { get; set; }

    /// <summary>Reads refused by <see cref="FailReads"/> (an activation's, or a region's read of one row).</summary>
    public int RefusedReads => Volatile.Read(ref _refusedReads);

    /// <summary>Writes of state <paramref name="stateName"/> that reached the store.</summary>
    public int WritesOf(string stateName) => _writes.GetValueOrDefault(stateName);

    /// <summary>Reads of state <paramref name="stateName"/> that reached the store: an activation reading its row, or a region reading one row.</summary>
    public int ReadsOf(string stateName) => _reads.GetValueOrDefault(stateName);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ReadStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        WriteStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ClearStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        CheckRead($"read {stateName} of {grainId}");
        Count(_reads, stateName);
        return inner.ReadStateAsync(stateName, grainId, grainState, cancellationToken);
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        if (FailWrites || FailWritesOf?.Invoke(grainId) == true)
        {
            if (FailWrites && FailReadsFromFailedWrite)
            {
                FailReads = true;
            }

            throw new IOException($"store down (write {stateName} of {grainId})");
        }

        await inner.WriteStateAsync(stateName, grainId, grainState, cancellationToken);
        Count(_writes, stateName);
        if (FailReadsAfterWrite)
        {
            FailReads = true;
        }

        if (FailAfterWrite)
        {
            throw new IOException($"connection lost after the commit (write {stateName} of {grainId})");
        }
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken) =>
        inner.ClearStateAsync(stateName, grainId, grainState, cancellationToken);

    /// <summary>A region's read of one row (the confirmation deadline): the same read as an activation's, failing and counted alike.</summary>
    public Task<StoredJobRow<T>?> ReadAsync<T>(string jobId, CancellationToken cancellationToken = default)
    {
        CheckRead($"read row of {jobId}");
        Count(_reads, JobRecord.StateName);
        return inner.ReadAsync<T>(jobId, cancellationToken);
    }

    /// <summary>Listings and a region's rebuild pass through: no test stages an outage of them.</summary>
    public Task<JobRowPage<T>> QueryAsync<T>(JobRowFilter filter, JobRowOrder order, int limit, string? after, CancellationToken cancellationToken = default) =>
        inner.QueryAsync<T>(filter, order, limit, after, cancellationToken);

    private static void Count(ConcurrentDictionary<string, int> counts, string stateName) =>
        counts.AddOrUpdate(stateName, 1, static (_, n) => n + 1);

    private void CheckRead(string what)
    {
        if (FailReads)
        {
            Interlocked.Increment(ref _refusedReads);
            throw new IOException($"store down ({what})");
        }
    }
}

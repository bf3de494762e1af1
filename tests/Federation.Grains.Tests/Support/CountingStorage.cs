using System.Collections.Concurrent;
using Federation.Actors;
using Federation.Actors.Storage;

namespace Federation.Grains.Tests.Support;

/// <summary>
/// A real provider (memory, or SQLite on a file) that also counts the writes per state name, so a test
/// can show that a refused call wrote nothing. One instance can back several hosts (a restart).
/// </summary>
internal sealed class CountingStorage(IGrainStorage inner) : IGrainStorage, IGrainStateQueryable
{
    private readonly ConcurrentDictionary<string, int> _writes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _reads = new(StringComparer.Ordinal);

    public CountingStorage()
        : this(new MemoryGrainStorage(new JsonGrainStorageSerializer()))
    {
    }

    public IGrainStorage Inner => inner;

    /// <summary>While true, every write fails as an unreachable store would (nothing reaches the provider).</summary>
    public bool FailWrites { get; set; }

    /// <summary>While true, every read fails as well (a store that is down for reads too).</summary>
    public bool FailReads { get; set; }

    /// <summary>Writes of the grains it names fail (the others go through); null = none.</summary>
    public Func<GrainId, bool>? FailWritesOf { get; set; }

    /// <summary>While true, writes reach the provider and then fail (a commit whose answer was lost).</summary>
    public bool FailAfterWrite { get; set; }

    /// <summary>While true, a write that reached the provider takes the store down for reads (<see cref="FailReads"/> set): a commit, then an outage.</summary>
    public bool FailReadsAfterWrite { get; set; }

    /// <summary>Writes of state <paramref name="stateName"/> that reached the storage.</summary>
    public int WritesOf(string stateName) => _writes.GetValueOrDefault(stateName);

    /// <summary>Reads of state <paramref name="stateName"/> that reached the storage (an activation reads its row).</summary>
    public int ReadsOf(string stateName) => _reads.GetValueOrDefault(stateName);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken = default)
    {
        if (FailReads)
        {
            throw new IOException($"store down (read {stateName} of {grainId})");
        }

        _reads.AddOrUpdate(stateName, 1, static (_, n) => n + 1);
        return inner.ReadStateAsync(stateName, grainId, grainState, cancellationToken);
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken = default)
    {
        if (FailWrites || FailWritesOf?.Invoke(grainId) == true)
        {
            throw new IOException($"store down (write {stateName} of {grainId})");
        }

        await inner.WriteStateAsync(stateName, grainId, grainState, cancellationToken);
        _writes.AddOrUpdate(stateName, 1, static (_, n) => n + 1);
        if (FailReadsAfterWrite)
        {
            FailReads = true;
        }

        if (FailAfterWrite)
        {
            throw new IOException($"connection lost after the commit (write {stateName} of {grainId})");
        }
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken = default) =>
        inner.ClearStateAsync(stateName, grainId, grainState, cancellationToken);

    public Task<GrainStateQueryResult<T>> QueryAsync<T>(GrainStateQuery query, CancellationToken cancellationToken = default) =>
        ((IGrainStateQueryable)inner).QueryAsync<T>(query, cancellationToken);
}

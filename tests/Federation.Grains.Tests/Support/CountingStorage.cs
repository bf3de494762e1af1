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

    public CountingStorage()
        : this(new MemoryGrainStorage(new JsonGrainStorageSerializer()))
    {
    }

    public IGrainStorage Inner => inner;

    /// <summary>Writes of state <paramref name="stateName"/> that reached the storage.</summary>
    public int WritesOf(string stateName) => _writes.GetValueOrDefault(stateName);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken = default) =>
        inner.ReadStateAsync(stateName, grainId, grainState, cancellationToken);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken = default)
    {
        await inner.WriteStateAsync(stateName, grainId, grainState, cancellationToken);
        _writes.AddOrUpdate(stateName, 1, static (_, n) => n + 1);
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken = default) =>
        inner.ClearStateAsync(stateName, grainId, grainState, cancellationToken);

    public Task<GrainStateQueryResult<T>> QueryAsync<T>(GrainStateQuery query, CancellationToken cancellationToken = default) =>
        ((IGrainStateQueryable)inner).QueryAsync<T>(query, cancellationToken);
}

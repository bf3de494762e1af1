using System.Collections.Concurrent;
using Federation.Actors;
using Federation.Actors.Storage;

namespace Federation.Grains.Tests.Support;

/// <summary>
/// The in-memory provider plus the <see cref="IGrainStateQueryable"/> contract, for as long as the real
/// providers do not implement it: index entries are taken from the state on the same write and kept with
/// a copy of the row, so a query sees exactly the committed rows. One instance can back several hosts
/// (a restart).
/// </summary>
internal sealed class QueryableMemoryStorage : IGrainStorage, IGrainStateQueryable
{
    private readonly MemoryGrainStorage _inner;
    private readonly IGrainStorageSerializer _serializer;
    private readonly ConcurrentDictionary<(string Type, string StateName, string Key), IndexedRow> _index = new();

    public QueryableMemoryStorage()
    {
        _serializer = new JsonGrainStorageSerializer();
        _inner = new MemoryGrainStorage(_serializer);
    }

    private readonly ConcurrentDictionary<string, int> _writes = new(StringComparer.Ordinal);

    /// <summary>Writes of state <paramref name="stateName"/> that reached the storage.</summary>
    public int WritesOf(string stateName) => _writes.GetValueOrDefault(stateName);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken = default) =>
        _inner.ReadStateAsync(stateName, grainId, grainState, cancellationToken);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken = default)
    {
        await _inner.WriteStateAsync(stateName, grainId, grainState, cancellationToken);
        _writes.AddOrUpdate(stateName, 1, static (_, n) => n + 1);
        if (grainState.State is IIndexedGrainState indexed)
        {
            var entries = new List<KeyValuePair<string, string>>();
            indexed.GetIndexEntries(entries);
            _index[(grainId.Type.Value, stateName, grainId.Key)] = new IndexedRow(grainId, entries, _serializer.Serialize(grainState.State), grainState.ETag ?? "");
        }
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken = default)
    {
        await _inner.ClearStateAsync(stateName, grainId, grainState, cancellationToken);
        _index.TryRemove((grainId.Type.Value, stateName, grainId.Key), out _);
    }

    public Task<GrainStateQueryResult<T>> QueryAsync<T>(GrainStateQuery query, CancellationToken cancellationToken = default)
    {
        var matches = new List<IndexedRow>();
        foreach (var pair in _index)
        {
            if (pair.Key.Type == query.GrainType.Value && pair.Key.StateName == query.StateName && Matches(pair.Value.Entries, query.Filters))
            {
                matches.Add(pair.Value);
            }
        }

        matches.Sort(static (a, b) => string.CompareOrdinal(a.GrainId.Key, b.GrainId.Key));
        var items = new List<StoredGrainState<T>>();
        string? next = null;
        foreach (var row in matches)
        {
            if (query.AfterKey is not null && string.CompareOrdinal(row.GrainId.Key, query.AfterKey) <= 0)
            {
                continue;
            }

            if (items.Count == query.Limit)
            {
                next = items[^1].GrainId.Key;
                break;
            }

            items.Add(new StoredGrainState<T>(row.GrainId, _serializer.Deserialize<T>(row.Payload), row.ETag));
        }

        return Task.FromResult(new GrainStateQueryResult<T>(items, matches.Count, next));
    }

    private static bool Matches(List<KeyValuePair<string, string>> entries, IReadOnlyList<IndexFilter> filters)
    {
        foreach (var f in filters)
        {
            var found = false;
            foreach (var e in entries)
            {
                if (e.Key == f.Name && e.Value == f.Value)
                {
                    found = true;
                    break;
                }
            }

            if (!found)
            {
                return false;
            }
        }

        return true;
    }

    private sealed record IndexedRow(GrainId GrainId, List<KeyValuePair<string, string>> Entries, byte[] Payload, string ETag);
}

using Federation.Actors.Collections;

namespace Federation.Actors.Storage;

/// <summary>
/// An in-process <see cref="IGrainStorage"/> with the same ETag protocol as the SQL providers. It
/// stores serialized bytes, never the caller's objects, so a stored state can't be mutated through a
/// live activation. Every change is a compare-and-swap on one dictionary slot, which makes it
/// thread-safe without a lock and makes exactly one of several racing writers win. The index entries
/// of an <see cref="IIndexedGrainState"/> live in the same slot as the payload, so a query never sees
/// one without the other.
/// </summary>
public sealed class MemoryGrainStorage : IGrainStorage, IGrainStateQueryable
{
    /// <summary>
    /// Initial capacity. Every job writes its row from its own activation, on any thread; the map is
    /// sharded so that growing it (one row per job) never stops every writer at once.
    /// </summary>
    private const int InitialCapacity = 16_384;

    private readonly ShardedConcurrentDictionary<RowKey, Row> _rows = new(InitialCapacity);
    private readonly IGrainStorageSerializer _serializer;
    private readonly IndexEntriesInterner _indexes = new();
    private readonly bool _deleteStateOnClear;

    public MemoryGrainStorage(IGrainStorageSerializer serializer, MemoryGrainStorageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(serializer);
        _serializer = serializer;
        _deleteStateOnClear = (options ?? new MemoryGrainStorageOptions()).DeleteStateOnClear;
    }

    /// <summary>The number of stored rows, cleared ones included (for tests and diagnostics).</summary>
    public int Count => _rows.Count;

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken = default)
    {
        var key = KeyOf(stateName, grainId, grainState);
        cancellationToken.ThrowIfCancellationRequested();
        if (_rows.TryGetValue(key, out var row))
        {
            grainState.State = row.Payload is null ? GrainStateFactory<T>.Create() : _serializer.Deserialize<T>(row.Payload);
            grainState.ETag = StorageETag.Format(row.Version);
            grainState.RecordExists = row.Payload is not null;
        }
        else
        {
            grainState.State = GrainStateFactory<T>.Create();
            grainState.ETag = null;
            grainState.RecordExists = false;
        }

        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken = default)
    {
        var key = KeyOf(stateName, grainId, grainState);
        cancellationToken.ThrowIfCancellationRequested();
        var payload = _serializer.Serialize(grainState.State);
        var index = _indexes.Intern(GrainStateIndex.EntriesOf(grainState.State));
        var sent = grainState.ETag;
        long newVersion;
        if (sent is null)
        {
            newVersion = 1;
            if (!_rows.TryAdd(key, new Row(payload, newVersion, index)))
            {
                throw Mismatch("Write", stateName, grainId, key, sent);
            }
        }
        else
        {
            if (!StorageETag.TryParse(sent, out var expected)
                || !_rows.TryGetValue(key, out var current)
                || current.Version != expected)
            {
                throw Mismatch("Write", stateName, grainId, key, sent);
            }

            newVersion = expected + 1;
            if (!_rows.TryUpdate(key, new Row(payload, newVersion, index), current))
            {
                throw Mismatch("Write", stateName, grainId, key, sent);
            }
        }

        grainState.ETag = StorageETag.Format(newVersion);
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken = default)
    {
        var key = KeyOf(stateName, grainId, grainState);
        cancellationToken.ThrowIfCancellationRequested();
        var sent = grainState.ETag;
        if (sent is null)
        {
            // Nothing was ever stored as far as the caller knows: a no-op if that is still true.
            if (_rows.ContainsKey(key))
            {
                throw Mismatch("Clear", stateName, grainId, key, sent);
            }
        }
        else
        {
            if (!StorageETag.TryParse(sent, out var expected)
                || !_rows.TryGetValue(key, out var current)
                || current.Version != expected)
            {
                throw Mismatch("Clear", stateName, grainId, key, sent);
            }

            if (_deleteStateOnClear)
            {
                if (!_rows.TryRemove(new KeyValuePair<RowKey, Row>(key, current)))
                {
                    throw Mismatch("Clear", stateName, grainId, key, sent);
                }

                sent = null;
            }
            else
            {
                if (!_rows.TryUpdate(key, new Row(null, expected + 1, null), current))
                {
                    throw Mismatch("Clear", stateName, grainId, key, sent);
                }

                sent = StorageETag.Format(expected + 1);
            }
        }

        grainState.State = GrainStateFactory<T>.Create();
        grainState.ETag = sent;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    public Task<GrainStateQueryResult<T>> QueryAsync<T>(GrainStateQuery query, CancellationToken cancellationToken = default)
    {
        GrainStateIndex.Check(query);
        cancellationToken.ThrowIfCancellationRequested();
        var type = query.GrainType.Value;
        var matches = new List<(string Key, Row Row)>();
        foreach (var (key, row) in _rows)
        {
            if (row.Payload is not null
                && string.Equals(key.GrainType, type, StringComparison.Ordinal)
                && string.Equals(key.StateName, query.StateName, StringComparison.Ordinal)
                && GrainStateIndex.Matches(row.Index, query.Filters))
            {
                matches.Add((key.Key, row));
            }
        }

        matches.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        var items = new List<StoredGrainState<T>>();
        string? next = null;
        foreach (var (key, row) in matches)
        {
            if (query.AfterKey is not null && string.CompareOrdinal(key, query.AfterKey) <= 0)
            {
                continue;
            }

            if (items.Count == query.Limit)
            {
                next = items[^1].GrainId.Key;
                break;
            }

            items.Add(new StoredGrainState<T>(new GrainId(query.GrainType, key), _serializer.Deserialize<T>(row.Payload!), StorageETag.Format(row.Version)));
        }

        return Task.FromResult(new GrainStateQueryResult<T>(items, matches.Count, next));
    }

    private static RowKey KeyOf<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateName);
        ArgumentNullException.ThrowIfNull(grainState);
        if (grainId.IsDefault)
        {
            throw new ArgumentException("The grain id must be set.", nameof(grainId));
        }

        return new RowKey(grainId.Type.Value, stateName, grainId.Key);
    }

    private InconsistentStateException Mismatch(string operation, string stateName, GrainId grainId, RowKey key, string? sent)
    {
        var stored = _rows.TryGetValue(key, out var row) ? StorageETag.Format(row.Version) : null;
        return StorageETag.Mismatch(operation, stateName, grainId, stored, sent);
    }

    /// <summary>Grain type, state name and key together: two grain types never share a row (Orleans #8746, #9706).</summary>
    private readonly record struct RowKey(string GrainType, string StateName, string Key);

    /// <summary>A class, not a record: TryUpdate/TryRemove must compare by reference, not by value.</summary>
    private sealed class Row(byte[]? payload, long version, KeyValuePair<string, string>[]? index)
    {
        public byte[]? Payload { get; } = payload;

        public long Version { get; } = version;

        public KeyValuePair<string, string>[]? Index { get; } = index;
    }
}

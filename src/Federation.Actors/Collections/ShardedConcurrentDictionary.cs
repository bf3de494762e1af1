using System.Collections;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace Federation.Actors.Collections;

/// <summary>
/// A concurrent map split into independent <see cref="ConcurrentDictionary{TKey, TValue}"/> shards by key
/// hash. A single <see cref="ConcurrentDictionary{TKey, TValue}"/> grows by taking every lock and
/// re-creating a node for every entry: with one entry per job (catalog, directory, memory storage) each
/// doubling stopped every writer for a time that grew with the silo's age. A shard grows alone, over
/// 1/<see cref="ShardCount"/> of the entries, and blocks only the writers of its own keys.
/// </summary>
internal sealed class ShardedConcurrentDictionary<TKey, TValue> : IEnumerable<KeyValuePair<TKey, TValue>>
    where TKey : notnull
{
    /// <summary>Shards; a power of two.</summary>
    public const int ShardCount = 16;

    private const int ShardBits = 4;
    private const int ConcurrencyPerShard = 8;

    private readonly ConcurrentDictionary<TKey, TValue>[] _shards;
    private readonly IEqualityComparer<TKey> _comparer;

    /// <param name="initialCapacity">Expected entries in all shards together.</param>
    /// <param name="comparer">Key equality; the default comparer when null.</param>
    public ShardedConcurrentDictionary(int initialCapacity, IEqualityComparer<TKey>? comparer = null)
    {
        _comparer = comparer ?? EqualityComparer<TKey>.Default;
        _shards = new ConcurrentDictionary<TKey, TValue>[ShardCount];
        var perShard = Math.Max(16, initialCapacity / ShardCount);
        for (var i = 0; i < _shards.Length; i++)
        {
            _shards[i] = new ConcurrentDictionary<TKey, TValue>(ConcurrencyPerShard, perShard, _comparer);
        }
    }

    /// <summary>Entries in all shards (each shard counted under its own locks, so not a snapshot of the whole).</summary>
    public int Count
    {
        get
        {
            var count = 0;
            foreach (var shard in _shards)
            {
                count += shard.Count;
            }

            return count;
        }
    }

    public bool TryGetValue(TKey key, [MaybeNullWhen(false)] out TValue value) => Shard(key).TryGetValue(key, out value);

    public bool ContainsKey(TKey key) => Shard(key).ContainsKey(key);

    public bool TryAdd(TKey key, TValue value) => Shard(key).TryAdd(key, value);

    public TValue GetOrAdd(TKey key, TValue value) => Shard(key).GetOrAdd(key, value);

    public bool TryUpdate(TKey key, TValue newValue, TValue comparisonValue) => Shard(key).TryUpdate(key, newValue, comparisonValue);

    /// <summary>Removes the entry only while it still maps to <paramref name="item"/>'s value.</summary>
    public bool TryRemove(KeyValuePair<TKey, TValue> item) => Shard(item.Key).TryRemove(item);

    /// <summary>Every entry, shard by shard, without locks (as <see cref="ConcurrentDictionary{TKey, TValue}"/>'s enumerator: not a snapshot).</summary>
    public IEnumerator<KeyValuePair<TKey, TValue>> GetEnumerator()
    {
        foreach (var shard in _shards)
        {
            foreach (var pair in shard)
            {
                yield return pair;
            }
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    // Fibonacci hashing takes the shard from the high bits, so a shard's own buckets (low bits) stay spread.
    private ConcurrentDictionary<TKey, TValue> Shard(TKey key) =>
        _shards[(int)(((uint)_comparer.GetHashCode(key) * 0x9E3779B9u) >> (32 - ShardBits))];
}

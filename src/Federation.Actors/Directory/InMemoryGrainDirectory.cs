using Federation.Actors.Collections;

namespace Federation.Actors.Directory;

/// <summary>The single-silo directory: a concurrent map with compare-and-set registration.</summary>
public sealed class InMemoryGrainDirectory : IGrainDirectory
{
    /// <summary>Initial capacity; the map is sharded so that growing it never stops every registration at once.</summary>
    private const int InitialCapacity = 16_384;

    private readonly ShardedConcurrentDictionary<GrainId, GrainAddress> _entries = new(InitialCapacity);

    public int Count => _entries.Count;

    public ValueTask<GrainAddress> RegisterAsync(GrainAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        return ValueTask.FromResult(_entries.GetOrAdd(address.GrainId, address));
    }

    public ValueTask UnregisterAsync(GrainAddress address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        _entries.TryRemove(new KeyValuePair<GrainId, GrainAddress>(address.GrainId, address));
        return ValueTask.CompletedTask;
    }

    public ValueTask<GrainAddress?> LookupAsync(GrainId grainId, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(_entries.TryGetValue(grainId, out var address) ? address : null);
}

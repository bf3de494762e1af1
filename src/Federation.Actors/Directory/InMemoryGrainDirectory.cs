using System.Collections.Concurrent;

namespace Federation.Actors.Directory;

/// <summary>The single-silo directory: a concurrent map with compare-and-set registration.</summary>
public sealed class InMemoryGrainDirectory : IGrainDirectory
{
    /// <summary>Lock stripes: activations register from every thread (one stripe per core was a convoy).</summary>
    private const int ConcurrencyLevel = 64;

    /// <summary>Initial buckets, so a silo's first tens of thousands of activations do not pay repeated all-stripe rehashes.</summary>
    private const int InitialCapacity = 16_384;

    private readonly ConcurrentDictionary<GrainId, GrainAddress> _entries = new(ConcurrencyLevel, InitialCapacity);

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

using Federation.Actors.Storage;

namespace Federation.Actors;

/// <summary>
/// A named piece of grain state bound to a storage provider. Read before OnActivateAsync; mutating
/// <see cref="IGrainState{T}.State"/> is in memory only until an awaited write. A write or clear with a stale
/// ETag throws <see cref="InconsistentStateException"/>.
/// </summary>
public interface IPersistentState<TState> : IGrainState<TState>
{
    /// <summary>Alias of <see cref="IGrainState{T}.ETag"/>, with Orleans' spelling.</summary>
    string? Etag => ETag;

    Task ReadStateAsync(CancellationToken cancellationToken = default);

    Task WriteStateAsync(CancellationToken cancellationToken = default);

    Task ClearStateAsync(CancellationToken cancellationToken = default);
}

/// <summary>Binds a grain constructor parameter of type <see cref="IPersistentState{TState}"/> to a state name and a storage provider.</summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class PersistentStateAttribute : Attribute
{
    public PersistentStateAttribute(string stateName, string? storageName = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stateName);
        StateName = stateName;
        StorageName = storageName;
    }

    public string StateName { get; }

    /// <summary>The keyed IGrainStorage to use; null means "Default".</summary>
    public string? StorageName { get; }
}

namespace Federation.Actors.Directory;

/// <summary>Where one activation of a grain lives.</summary>
public sealed record GrainAddress(GrainId GrainId, SiloAddress Silo, Guid ActivationId);

/// <summary>
/// The grain directory: at most one registered activation per grain. Register is first-writer-wins
/// (it returns the winning address, which may be another one); Unregister only removes the given
/// activation. In-memory for one silo; a cluster issue swaps in a distributed implementation.
/// </summary>
public interface IGrainDirectory
{
    ValueTask<GrainAddress> RegisterAsync(GrainAddress address, CancellationToken cancellationToken = default);

    ValueTask UnregisterAsync(GrainAddress address, CancellationToken cancellationToken = default);

    ValueTask<GrainAddress?> LookupAsync(GrainId grainId, CancellationToken cancellationToken = default);
}

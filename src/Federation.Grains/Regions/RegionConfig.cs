using Federation.Contracts;

namespace Federation.Grains.Regions;

/// <summary>
/// The small durable state of a region: what an operator set. The queue and the running allocations are
/// not here: they are derived from the job rows, which are the source of truth.
/// </summary>
public sealed class RegionConfig
{
    public const string StateName = "region";

    /// <summary>The operator's offer; null means the megaregion file's default.</summary>
    public OfferView? Offer { get; set; }

    public bool Draining { get; set; }

    /// <summary>Whether a drain hands queued jobs back to placement.</summary>
    public bool RequeueQueued { get; set; } = true;
}

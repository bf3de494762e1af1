using Federation.Contracts;
using Orleans;

namespace Federation.Grains.Regions;

/// <summary>
/// The small durable state of a region: what an operator set. The queue and the running allocations are
/// not here: they are derived from the job rows, which are the source of truth.
/// </summary>
[GenerateSerializer, Alias("federation.RegionConfig")]
public sealed class RegionConfig : Audit.IAuditedState
{
    /// <summary>State name of the region grain's persistent state (distinct from every other grain's).</summary>
    public const string StateName = "region";

    /// <summary>The operator's offer; null means the megaregion file's default.</summary>
    [Id(0)]
    public OfferView? Offer { get; set; }

    [Id(1)]
    public bool Draining { get; set; }

    /// <summary>Whether a drain hands queued jobs back to placement.</summary>
    [Id(2)]
    public bool RequeueQueued { get; set; } = true;

    /// <summary>Counts the operators' changes (offer, drain): the region's ETag, so two operators cannot overwrite each other unseen.</summary>
    [Id(3)]
    public long Version { get; set; }

    /// <summary>
    /// Lent jobs this region has preempted to take its accelerators back, ever (the region view's count). Not an
    /// operator's change: it does not move <see cref="Version"/>.
    /// </summary>
    [Id(4)]
    public long Preemptions { get; set; }

    /// <summary>Accelerators lent on top of the offer for hours projects returned, until their terms end (<see cref="RegionGrain"/>'s returns).</summary>
    [Id(5)]
    public List<ReturnedCapacityView> Returned { get; set; } = [];

    /// <summary>The audit entries of operators' changes, stored with them until they are in the audit table.</summary>
    [Id(6)]
    public List<AuditEntry> AuditOutbox { get; set; } = [];
}

using Orleans;

namespace Federation.Grains.Residency;

/// <summary>The residency policy's durable state: the classes and the version every change increments.</summary>
[GenerateSerializer, Alias("federation.ResidencyState")]
public sealed class ResidencyState : Audit.IAuditedState
{
    /// <summary>State name of the residency grain's persistent state (distinct from every other grain's).</summary>
    public const string StateName = "residency";

    [Id(0)]
    public long Version { get; set; }

    /// <summary>Keyed by class name.</summary>
    [Id(1)]
    public Dictionary<string, ResidencyClassState> Classes { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The audit entries of coordinators' changes, stored with them until they are in the audit table.</summary>
    [Id(2)]
    public List<Contracts.AuditEntry> AuditOutbox { get; set; } = [];
}

/// <summary>One class: the regions it allows (megaregion order) and the version that last changed it.</summary>
[GenerateSerializer, Alias("federation.ResidencyClassState")]
public sealed class ResidencyClassState
{
    [Id(0)]
    public List<string> Regions { get; set; } = [];

    [Id(1)]
    public long Version { get; set; }
}

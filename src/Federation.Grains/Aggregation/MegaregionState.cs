using Orleans;

namespace Federation.Grains.Aggregation;

/// <summary>The megaregion's durable counters: overflow flows between regions.</summary>
[GenerateSerializer, Alias("federation.MegaregionState")]
public sealed class MegaregionState
{
    /// <summary>State name of the megaregion grain's persistent state (distinct from every other grain's).</summary>
    public const string StateName = "megaregion";

    /// <summary>Keyed "from>to".</summary>
    [Id(0)]
    public Dictionary<string, FlowCounter> Flows { get; set; } = [];
}

/// <summary>Jobs and data that went from one region to another.</summary>
[GenerateSerializer, Alias("federation.FlowCounter")]
public sealed class FlowCounter
{
    [Id(0)]
    public string From { get; set; } = "";

    [Id(1)]
    public string To { get; set; } = "";

    [Id(2)]
    public long Jobs { get; set; }

    [Id(3)]
    public double DataMovedGb { get; set; }
}

namespace Federation.Grains.Aggregation;

/// <summary>The megaregion's durable counters: overflow flows between regions.</summary>
public sealed class MegaregionState
{
    public const string StateName = "megaregion";

    /// <summary>Keyed "from>to".</summary>
    public Dictionary<string, FlowCounter> Flows { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>Jobs and data that went from one region to another.</summary>
public sealed class FlowCounter
{
    public string From { get; set; } = "";

    public string To { get; set; } = "";

    public long Jobs { get; set; }

    public double DataMovedGb { get; set; }
}

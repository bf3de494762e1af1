using Orleans;

namespace Federation.Grains.Projects;

/// <summary>A project's durable allocations and usage.</summary>
[GenerateSerializer, Alias("federation.ProjectState")]
public sealed class ProjectState
{
    /// <summary>State name of the project grain's persistent state (distinct from every other grain's).</summary>
    public const string StateName = "project";

    /// <summary>Keyed by term: short, mid, long.</summary>
    [Id(0)]
    public Dictionary<string, TermState> Terms { get; set; } = [];

    [Id(1)]
    public double UsedAcceleratorHours { get; set; }

    /// <summary>Usage not covered by any allocation.</summary>
    [Id(2)]
    public double UnallocatedAcceleratorHours { get; set; }

    [Id(3)]
    public long JobsSubmitted { get; set; }
}

/// <summary>One term's allocation, usage and returned hours.</summary>
[GenerateSerializer, Alias("federation.TermState")]
public sealed class TermState
{
    [Id(0)]
    public double AcceleratorHours { get; set; }

    [Id(1)]
    public double UsedAcceleratorHours { get; set; }

    [Id(2)]
    public double ReturnedAcceleratorHours { get; set; }

    public double Unused => Math.Max(0, AcceleratorHours - UsedAcceleratorHours - ReturnedAcceleratorHours);
}

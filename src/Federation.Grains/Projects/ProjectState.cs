namespace Federation.Grains.Projects;

/// <summary>A project's durable allocations and usage.</summary>
public sealed class ProjectState
{
    public const string StateName = "project";

    /// <summary>Keyed by term: short, mid, long.</summary>
    public Dictionary<string, TermState> Terms { get; set; } = new(StringComparer.Ordinal);

    public double UsedAcceleratorHours { get; set; }

    /// <summary>Usage not covered by any allocation.</summary>
    public double UnallocatedAcceleratorHours { get; set; }

    public long JobsSubmitted { get; set; }
}

/// <summary>One term's allocation, usage and returned hours.</summary>
public sealed class TermState
{
    public double AcceleratorHours { get; set; }

    public double UsedAcceleratorHours { get; set; }

    public double ReturnedAcceleratorHours { get; set; }

    public double Unused => Math.Max(0, AcceleratorHours - UsedAcceleratorHours - ReturnedAcceleratorHours);
}

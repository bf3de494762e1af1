using System.Collections.Immutable;

namespace Federation.Actors.TestKit.Storage;

/// <summary>A state shaped like the project's wire records: positional, init-only, immutable collections.</summary>
public sealed record ImmutableTestState(string Name, int Count)
{
    public ImmutableArray<int> Numbers { get; init; } = [];

    public ImmutableList<string> Tags { get; init; } = [];

    public ImmutableDictionary<string, TestAllocation> Allocations { get; init; } = ImmutableDictionary<string, TestAllocation>.Empty;

    public TestPhase Phase { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    public decimal Budget { get; init; }

    public double Ratio { get; init; }

    public Guid Owner { get; init; }

    public string? Note { get; init; }
}

public sealed record TestAllocation(string Region, int Accelerators);

public enum TestPhase
{
    Submitted,
    Queued,
    Running,
}

/// <summary>A mutable state with a parameterless constructor, as most Orleans state classes are.</summary>
public sealed class MutableTestState
{
    public int Value { get; set; }

    public string Text { get; set; } = string.Empty;

    public List<int> Items { get; set; } = [];
}

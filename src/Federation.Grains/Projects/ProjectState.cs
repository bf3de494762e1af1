using Federation.Contracts;
using Orleans;

namespace Federation.Grains.Projects;

/// <summary>
/// A project's durable allocations and returns. Usage is not stored: it is recomputed from the job rows' runs
/// (<see cref="ProjectGrain"/>), so it is right after any silo dies.
/// </summary>
[GenerateSerializer, Alias("federation.ProjectState")]
public sealed class ProjectState : Audit.IAuditedState
{
    /// <summary>State name of the project grain's persistent state (distinct from every other grain's).</summary>
    public const string StateName = "project";

    /// <summary>
    /// The allocations as they were stored before they had a class and a period (keyed by term). Read only to migrate
    /// them (<see cref="ProjectGrain"/>: each becomes an <c>any</c> allocation with an open period), then emptied.
    /// </summary>
    [Id(0)]
    public Dictionary<string, TermState> Terms { get; set; } = [];

    /// <summary>Usage counted from the silos' reports before usage was recomputed from the rows; kept readable, not used.</summary>
    [Id(1)]
    public double UsedAcceleratorHours { get; set; }

    /// <summary>Kept readable, not used (see <see cref="UsedAcceleratorHours"/>).</summary>
    [Id(2)]
    public double UnallocatedAcceleratorHours { get; set; }

    [Id(3)]
    public long JobsSubmitted { get; set; }

    /// <summary>One per term and class.</summary>
    [Id(4)]
    public List<AllocationState> Allocations { get; set; } = [];

    /// <summary>Every return, oldest first.</summary>
    [Id(5)]
    public List<AllocationReturn> Returns { get; set; } = [];

    /// <summary>Raised by every allocation change, return and priority change (the API's ETag).</summary>
    [Id(6)]
    public long Version { get; set; }

    /// <summary>
    /// Indexes into <see cref="Returns"/> whose raised offer the backing region has not yet acknowledged: sent again on
    /// the grain's timer until it has (the region ignores a return it already holds).
    /// </summary>
    [Id(7)]
    public List<int> PendingOffers { get; set; } = [];

    /// <summary>The project's priority class (coordinator-set): the priority of its jobs submitted without one.</summary>
    [Id(8)]
    public int Priority { get; set; }

    /// <summary>The audit entries of coordinators' and researchers' changes, stored with them until they are in the audit table.</summary>
    [Id(9)]
    public List<AuditEntry> AuditOutbox { get; set; } = [];
}

/// <summary>One allocation as stored.</summary>
[GenerateSerializer, Alias("federation.AllocationState")]
public sealed class AllocationState
{
    [Id(0)]
    public string Term { get; set; } = "";

    [Id(1)]
    public string Class { get; set; } = "";

    [Id(2)]
    public double AcceleratorHours { get; set; }

    [Id(3)]
    public DateTimeOffset From { get; set; }

    [Id(4)]
    public DateTimeOffset Until { get; set; }

    [Id(5)]
    public string? Region { get; set; }

    [Id(6)]
    public double ReturnedAcceleratorHours { get; set; }
}

/// <summary>One term's allocation as stored before allocations had a class and a period (read to migrate).</summary>
[GenerateSerializer, Alias("federation.TermState")]
public sealed class TermState
{
    [Id(0)]
    public double AcceleratorHours { get; set; }

    [Id(1)]
    public double UsedAcceleratorHours { get; set; }

    [Id(2)]
    public double ReturnedAcceleratorHours { get; set; }
}

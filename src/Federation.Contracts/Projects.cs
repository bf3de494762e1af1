using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Orleans.Concurrency;

namespace Federation.Contracts;

/// <summary>
/// One allocation of a project: accelerator-hours of one class (an accelerator type such as <c>H100</c>, or <c>any</c>)
/// for one term (short, mid, long) and its period, with what the project's jobs used of it (charged as they run, in
/// every region), what the project returned, and what is left.
/// </summary>
[GenerateSerializer, Immutable, Alias("federation.AllocationView")]
public sealed record AllocationView
{
    /// <summary>short, mid or long.</summary>
    [Id(0)]
    public string Term { get; init; } = "";

    /// <summary>Granted accelerator-hours.</summary>
    [Id(1)]
    public double AcceleratorHours { get; init; }

    /// <summary>Accelerator-hours the project's runs used of it, to <see cref="ProjectView.UsageAsOf"/>.</summary>
    [Id(2)]
    public double UsedAcceleratorHours { get; init; }

    /// <summary>Unused hours the project returned to the spare pool.</summary>
    [Id(3)]
    public double ReturnedAcceleratorHours { get; init; }

    /// <summary>An accelerator type, or <c>any</c>.</summary>
    [Id(4)]
    public string Class { get; init; } = "any";

    /// <summary>The term's first instant.</summary>
    [Id(5)]
    public DateTimeOffset From { get; init; }

    /// <summary>The term's end (exclusive).</summary>
    [Id(6)]
    public DateTimeOffset Until { get; init; }

    /// <summary>The center whose hardware backs the allocation: returned hours become spare capacity there. Null: none named.</summary>
    [Id(7)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Region { get; init; }

    /// <summary>Granted − returned − used, never below 0.</summary>
    [Id(8)]
    public double LeftAcceleratorHours { get; init; }

    /// <summary>Whether the period holds now.</summary>
    [Id(9)]
    public bool Current { get; init; }
}

/// <summary>Hours a project gave back: when, of which allocation, and the spare capacity they became.</summary>
[GenerateSerializer, Immutable, Alias("federation.AllocationReturn")]
public sealed record AllocationReturn
{
    [Id(0)]
    public DateTimeOffset At { get; init; }

    [Id(1)]
    public string Term { get; init; } = "";

    [Id(2)]
    public string Class { get; init; } = "any";

    [Id(3)]
    public double AcceleratorHours { get; init; }

    /// <summary>The region whose offer the hours raised (the allocation's backing center); null when none.</summary>
    [Id(4)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Region { get; init; }

    /// <summary>
    /// Accelerators of the class the region lends to other regions' jobs on top of its offer, from the return to the end
    /// of the term: floor(hours returned / hours left in the term); 0 when the hours are too few for one accelerator, the
    /// class is <c>any</c> or no region backs the allocation.
    /// </summary>
    [Id(5)]
    public int Accelerators { get; init; }

    /// <summary>The end of the term: when the raised offer lapses.</summary>
    [Id(6)]
    public DateTimeOffset Until { get; init; }
}

/// <summary>
/// Accelerators a region lends on top of its operator's offer because a project returned hours of an allocation the
/// region backs, until the end of that allocation's term.
/// </summary>
[GenerateSerializer, Immutable, Alias("federation.ReturnedCapacityView")]
public sealed record ReturnedCapacityView
{
    /// <summary>Which return (project/term/class/number): adding the same again changes nothing.</summary>
    [Id(0)]
    public string Source { get; init; } = "";

    [Id(1)]
    public string Project { get; init; } = "";

    [Id(2)]
    public string Type { get; init; } = "";

    [Id(3)]
    public int Count { get; init; }

    [Id(4)]
    public DateTimeOffset Until { get; init; }
}

/// <summary>A project's allocations, usage, returns and the standing its jobs get.</summary>
[GenerateSerializer, Immutable, Alias("federation.ProjectView")]
public sealed record ProjectView
{
    [Id(0)]
    public string Id { get; init; } = "";

    /// <summary>By term (short, mid, long), then class.</summary>
    [Id(1)]
    public ImmutableArray<AllocationView> Allocations { get; init; } = [];

    /// <summary>Every accelerator-hour the project's runs used, to <see cref="UsageAsOf"/>.</summary>
    [Id(2)]
    public double UsedAcceleratorHours { get; init; }

    /// <summary>Jobs submitted, as the silos reported them.</summary>
    [Id(3)]
    public long JobsSubmitted { get; init; }

    /// <summary>Usage no allocation covered (over allocation, or outside every period).</summary>
    [Id(4)]
    public double UnallocatedAcceleratorHours { get; init; }

    /// <summary>The project's returns, oldest first.</summary>
    [Id(5)]
    public ImmutableArray<AllocationReturn> Returns { get; init; } = [];

    /// <summary>Changes with every allocation or return: the ETag a change may send back as <c>If-Match</c>.</summary>
    [Id(6)]
    public long Version { get; init; }

    /// <summary>The instant usage is counted to (running jobs count to it).</summary>
    [Id(7)]
    public DateTimeOffset UsageAsOf { get; init; }

    /// <summary>What a job of any type would be now: unmanaged, allocated or over-allocation.</summary>
    [Id(8)]
    public string Standing { get; init; } = "";

    /// <summary>The standing in words.</summary>
    [Id(9)]
    public string StandingReason { get; init; } = "";

    /// <summary>
    /// The project's priority class, set by a coordinator (<c>PUT /api/projects/{id}/priority</c>; 0 until then): the
    /// priority its jobs take when they are submitted without one (researchers never give one).
    /// </summary>
    [Id(10)]
    public int Priority { get; init; }
}

/// <summary>What a coordinator sets as a project's priority class (<c>PUT /api/projects/{id}/priority</c>).</summary>
[GenerateSerializer, Immutable, Alias("federation.ProjectPriorityRequest")]
public sealed record ProjectPriorityRequest
{
    /// <summary>From -1000 to 1000, as a job's; higher runs first.</summary>
    [Id(0)]
    public int? Priority { get; init; }
}

/// <summary>What a coordinator sets for one term and class of a project (<c>PUT /api/projects/{id}/allocations/{term}/{class}</c>).</summary>
[GenerateSerializer, Immutable, Alias("federation.AllocationRequest")]
public sealed record AllocationRequest
{
    [Id(0)]
    public double? AcceleratorHours { get; init; }

    [Id(1)]
    public DateTimeOffset? From { get; init; }

    [Id(2)]
    public DateTimeOffset? Until { get; init; }

    /// <summary>Optional: the center whose hardware backs the allocation.</summary>
    [Id(3)]
    public string? Region { get; init; }
}

/// <summary>Unused hours a project gives back (<c>POST /api/projects/{id}/returns</c>).</summary>
[GenerateSerializer, Immutable, Alias("federation.ReturnRequest")]
public sealed record ReturnRequest
{
    [Id(0)]
    public string? Term { get; init; }

    /// <summary>The allocation's class; <c>any</c> when absent.</summary>
    [Id(1)]
    public string? Class { get; init; }

    [Id(2)]
    public double? AcceleratorHours { get; init; }
}

/// <summary>A change made with a version (<c>If-Match</c>) that is no longer the project's.</summary>
[GenerateSerializer, Alias("federation.ProjectChangedException")]
public sealed class ProjectChangedException : Exception
{
    public ProjectChangedException()
    {
    }

    public ProjectChangedException(string message)
        : base(message)
    {
    }

    public ProjectChangedException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public ProjectChangedException(string project, long expected, long current)
        : base($"project {project} changed since it was read (version {expected}; now {current}): read it again and repeat the change if it still holds")
    {
        Project = project;
        Expected = expected;
        Current = current;
    }

    [Id(0)]
    public string Project { get; init; } = "";

    [Id(1)]
    public long Expected { get; init; }

    [Id(2)]
    public long Current { get; init; }
}

/// <summary>A change the project grain refused under the allocation rules: each field with why (the API checks first).</summary>
[GenerateSerializer, Alias("federation.AllocationRefusedException")]
public sealed class AllocationRefusedException : Exception
{
    public AllocationRefusedException()
    {
    }

    public AllocationRefusedException(string message)
        : base(message)
    {
    }

    public AllocationRefusedException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public AllocationRefusedException(string field, string reason)
        : base($"{field}: {reason}")
    {
        Field = field;
        Reason = reason;
    }

    [Id(0)]
    public string Field { get; init; } = "";

    [Id(1)]
    public string Reason { get; init; } = "";
}

/// <summary>A project [key: project id]: allocations by term and class, usage charged as its jobs run, voluntary returns.</summary>
[Alias("federation.IProjectGrain")]
public interface IProjectGrain : IGrainWithStringKey
{
    /// <summary>The project with usage recomputed from the job rows to now.</summary>
    [Alias("GetAsync")]
    Task<ProjectView> GetAsync();

    /// <summary>
    /// The project as its last recompute left it, with running jobs counted to now: what routers cache to decide a job's
    /// standing without a call per job.
    /// </summary>
    [Alias("GetStandingAsync")]
    [ReadOnly]
    Task<ProjectView> GetStandingAsync();

    /// <summary>Sets (or replaces) the allocation of one term and class; with <paramref name="ifVersion"/>, only if the project's version is still that.</summary>
    [Alias("SetAllocationAsync")]
    Task<ProjectView> SetAllocationAsync(string term, string acceleratorClass, AllocationRequest allocation, long? ifVersion = null);

    /// <summary>
    /// Sets the project's priority class, which its jobs submitted from then on without a priority take; with
    /// <paramref name="ifVersion"/>, only if the project's version is still that.
    /// </summary>
    [Alias("SetPriorityAsync")]
    Task<ProjectView> SetPriorityAsync(int priority, long? ifVersion = null);

    /// <summary>Returns unused hours of an allocation to the spare pool; refused (<see cref="AllocationRefusedException"/>) when more than the unused hours.</summary>
    [Alias("ReturnAsync")]
    Task<ProjectView> ReturnAsync(ReturnRequest request, long? ifVersion = null);

    /// <summary>
    /// From a silo: the project's jobs submitted since its last report (usage is charged from the job rows, not reported).
    /// Acknowledged, so a silo whose report failed sends the count again.
    /// </summary>
    [Alias("RecordAsync")]
    Task RecordAsync(long jobsSubmitted);
}

/// <summary>The projects that have (or had) an allocation ["projects"]: what <c>GET /api/projects</c> lists.</summary>
[Alias("federation.IProjectDirectoryGrain")]
public interface IProjectDirectoryGrain : IGrainWithStringKey
{
    /// <summary>The grain's key.</summary>
    const string Key = "projects";

    /// <summary>Every project id, in ordinal order.</summary>
    [Alias("ListAsync")]
    [ReadOnly]
    Task<ImmutableArray<string>> ListAsync();

    /// <summary>Adds a project (idempotent), stored before answering.</summary>
    [Alias("AddAsync")]
    Task AddAsync(string projectId);
}

using Federation.Contracts;

namespace Federation.Server.Auth;

/// <summary>
/// What each role may do, in one place: every endpoint asks here (the matrix in docs/security.md is these rules). A
/// refusal is the field at fault and why; null allows. Coordinators may do everything; the coordinator-only endpoints
/// (policy, tokens, what-if) require the role on their route group instead (<see cref="AuthSetup.CoordinatorPolicy"/>).
/// </summary>
public static class Access
{
    /// <summary>A refusal: the field at fault and why.</summary>
    public readonly record struct Refusal(string Field, string Message);

    /// <summary>Submitting a job of <paramref name="project"/> for <paramref name="owner"/> (null: the caller) at <paramref name="priority"/>.</summary>
    public static Refusal? Submit(Caller caller, string project, string? owner, int priority)
    {
        if (caller.IsCoordinator)
        {
            return null;
        }

        if (caller.Role != Role.Researcher)
        {
            return new("Authorization", $"{caller.Describe()} may not submit jobs: researchers submit for their projects, coordinators for anyone");
        }

        if (!caller.Projects.Contains(project))
        {
            return new("project", $"{caller.Describe()} may not submit for project '{project}'");
        }

        if (owner is not null && !string.Equals(owner, caller.Subject, StringComparison.Ordinal))
        {
            return new("owner", $"the owner is the caller ({caller.Subject}); only a coordinator submits on someone else's behalf");
        }

        if (priority != 0)
        {
            return new("priority", "a job's priority comes from its project's priority class (set by a coordinator); only a coordinator sets one on a job");
        }

        return null;
    }

    /// <summary>Whether the caller may see the job (else it does not exist for them: 404, as Slurm's private jobs).</summary>
    public static bool See(Caller caller, string project, string? region) => caller.Role switch
    {
        Role.Coordinator => true,
        Role.Researcher => caller.Projects.Contains(project),
        _ => region is not null && caller.Regions.Contains(region),
    };

    /// <summary>Cancelling a job the caller can see.</summary>
    public static Refusal? Cancel(Caller caller, string project) =>
        caller.IsCoordinator || (caller.Role == Role.Researcher && caller.Projects.Contains(project))
            ? null
            : new("Authorization", $"{caller.Describe()} may not cancel jobs of project '{project}': their researchers and coordinators may");

    /// <summary>
    /// The job list a caller may read: a researcher's must name one of their projects (or they have one), an operator's
    /// one of their regions (or they have one). Returns the filters to use, or a refusal.
    /// </summary>
    public static (string? Project, string? Region, Refusal? Refusal) ListJobs(Caller caller, string? project, string? region)
    {
        switch (caller.Role)
        {
            case Role.Coordinator:
                return (project, region, null);
            case Role.Researcher:
                project ??= caller.Projects.Count == 1 ? caller.Projects.First() : null;
                if (project is null)
                {
                    return (null, null, new("project", $"name one of your projects: {string.Join(", ", caller.Projects.Order(StringComparer.Ordinal))}"));
                }

                return caller.Projects.Contains(project) ? (project, region, null) : (null, null, new("project", $"{caller.Describe()} may not list jobs of project '{project}'"));
            default:
                region ??= caller.Regions.Count == 1 ? caller.Regions.First() : null;
                if (region is null)
                {
                    return (null, null, new("region", $"name one of your regions: {string.Join(", ", caller.Regions.Order(StringComparer.Ordinal))}"));
                }

                return caller.Regions.Contains(region) ? (project, region, null) : (null, null, new("region", $"{caller.Describe()} may not list the jobs of region '{region}'"));
        }
    }

    /// <summary>Changing a region's offer or drain.</summary>
    public static Refusal? ChangeRegion(Caller caller, string region) =>
        caller.IsCoordinator || (caller.Role == Role.Operator && caller.Regions.Contains(region))
            ? null
            : new("id", $"{caller.Describe()} may not change region '{region}': its operators and coordinators may");

    /// <summary>Reading a project's allocations and usage, or returning its unused hours.</summary>
    public static Refusal? Project(Caller caller, string project) =>
        caller.IsCoordinator || (caller.Role == Role.Researcher && caller.Projects.Contains(project))
            ? null
            : new("id", $"{caller.Describe()} may not see project '{project}': its researchers and coordinators may");

    /// <summary>The projects a caller may list: all for a coordinator, a researcher's own, none for an operator.</summary>
    public static bool ListProject(Caller caller, string project) =>
        caller.IsCoordinator || (caller.Role == Role.Researcher && caller.Projects.Contains(project));

    /// <summary>The credit ledger: a coordinator reads all of it, an operator their region's statement.</summary>
    public static (string? Region, Refusal? Refusal) Ledger(Caller caller, string? region) => RegionRecords(caller, region, "the credit ledger");

    /// <summary>The audit table: a coordinator reads all of it, an operator the entries of their region.</summary>
    public static (string? Region, Refusal? Refusal) Audit(Caller caller, string? region) => RegionRecords(caller, region, "the audit table");

    /// <summary>
    /// Records kept for the whole megaregion that an operator reads for one of their regions (named, or their only one)
    /// and a coordinator reads whole or for any region; researchers read none. Returns the region to read (null: all).
    /// </summary>
    private static (string? Region, Refusal? Refusal) RegionRecords(Caller caller, string? region, string what)
    {
        switch (caller.Role)
        {
            case Role.Coordinator:
                return (region, null);
            case Role.Operator:
                region ??= caller.Regions.Count == 1 ? caller.Regions.First() : null;
                if (region is null)
                {
                    return (null, new("region", $"name one of your regions: {string.Join(", ", caller.Regions.Order(StringComparer.Ordinal))}"));
                }

                return caller.Regions.Contains(region) ? (region, null) : (null, new("region", $"{caller.Describe()} may not read {what} of region '{region}'"));
            default:
                return (null, new("Authorization", $"{caller.Describe()} may not read {what}: operators read their region's, coordinators all of it"));
        }
    }
}

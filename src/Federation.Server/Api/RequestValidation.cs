using Federation.Contracts;
using Federation.Grains.Model;
using Federation.Grains.Residency;
using Federation.Scheduling;

namespace Federation.Server.Api;

/// <summary>
/// Checks requests with the rules of <see cref="JobRules"/>, <see cref="OfferRules"/> and <see cref="ResidencyRules"/>
/// before any grain is called, so a bad request is refused with every offending field named and nothing is changed.
/// Field names are the JSON paths of the wire shape. A job's residency class is checked against this silo's copy of the
/// policy, read again first when it does not know the class.
/// </summary>
internal sealed class RequestValidation(Megaregion megaregion, ResidencyPolicies residency)
{
    public bool IsRegion(string? id) => id is not null && megaregion.IndexOf(id) >= 0;

    public string UnknownRegion(string? id) => JobRules.UnknownRegion(megaregion, id);

    /// <summary>Why a job id cannot name a job (in a URL path segment), or null.</summary>
    public static string? CheckId(string id) => JobRules.CheckId(id);

    /// <summary>The request with null collections made empty, so equal bodies compare equal in the job grain.</summary>
    public static JobRequest Normalize(JobRequest request)
    {
        // JSON null for a collection or a nested object arrives as default/null: make it the empty value.
        var accelerators = request.Accelerators ?? new AcceleratorRequest();
        if (accelerators.Types.IsDefault)
        {
            accelerators = accelerators with { Types = [] };
        }

        return request with
        {
            Accelerators = accelerators,
            AllowedRegions = request.AllowedRegions.IsDefault ? [] : request.AllowedRegions,
            Project = request.Project ?? "",
            Owner = request.Owner ?? "",
            HomeRegion = request.HomeRegion ?? "",
        };
    }

    public async ValueTask<Dictionary<string, string[]>> ValidateAsync(JobRequest request)
    {
        var policy = await residency.KnowingAsync(request.Dataset?.Residency);
        return ToProblems(JobRules.Validate(megaregion, DomainMapping.ToSubmission(request), policy.Policy));
    }

    /// <summary>A residency class definition; the class name (a path segment) is reported as <c>class</c>.</summary>
    public Dictionary<string, string[]> Validate(string className, ResidencyClassRequest request)
    {
        var errors = ResidencyRules.Validate(megaregion, className, request.Regions.IsDefault ? [] : request.Regions);
        for (var i = 0; i < errors.Count; i++)
        {
            if (errors[i].Field == "name")
            {
                errors[i] = errors[i] with { Field = "class" };
            }
        }

        return ToProblems(errors);
    }

    public Dictionary<string, string[]> Validate(string regionId, OfferView offer) =>
        ToProblems(OfferRules.Validate(megaregion.Regions[megaregion.IndexOf(regionId)], DomainMapping.ToModel(offer.Accelerators), offer.From, offer.Until, offer.ReclaimGraceSeconds));

    /// <summary>An allocation a coordinator sets for <paramref name="term"/> and <paramref name="cls"/> (from the path).</summary>
    public Dictionary<string, string[]> Validate(string term, string cls, AllocationRequest allocation) =>
        ToProblems(AllocationRules.Validate(megaregion, term, cls, allocation.AcceleratorHours, allocation.From, allocation.Until, allocation.Region));

    /// <summary>A return, on its own (the project checks what is unused).</summary>
    public Dictionary<string, string[]> Validate(ReturnRequest request) =>
        ToProblems(AllocationRules.ValidateReturn(megaregion, request.Term, request.Class, request.AcceleratorHours));

    /// <summary>A project's priority class as a coordinator sets it.</summary>
    public static Dictionary<string, string[]> Validate(ProjectPriorityRequest request) =>
        ToProblems(JobRules.ValidateProjectPriority(request.Priority));

    /// <summary>Why a project id cannot name a project (empty, too long, control characters, a path separator), or null.</summary>
    public static string? CheckProject(string id) =>
        id.Length == 0 ? "must not be empty" : JobRules.CheckName(id) ?? (id.Contains('/', StringComparison.Ordinal) ? "must not contain '/'" : null);

    /// <summary>The errors as problem details carry them: each field with its messages.</summary>
    private static Dictionary<string, string[]> ToProblems(List<FieldError> errors)
    {
        var problems = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var e in errors)
        {
            problems[e.Field] = problems.TryGetValue(e.Field, out var earlier) ? [.. earlier, e.Message] : [e.Message];
        }

        return problems;
    }
}

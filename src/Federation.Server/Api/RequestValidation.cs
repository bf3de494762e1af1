using Federation.Contracts;
using Federation.Grains.Model;
using Federation.Scheduling;

namespace Federation.Server.Api;

/// <summary>
/// Checks requests with the rules of <see cref="JobRules"/> and <see cref="OfferRules"/> before any grain is called, so
/// a bad request is refused with every offending field named and nothing is changed. Field names are the JSON paths of
/// the wire shape.
/// </summary>
internal sealed class RequestValidation(Megaregion megaregion)
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

    public Dictionary<string, string[]> Validate(JobRequest request) => ToProblems(JobRules.Validate(megaregion, DomainMapping.ToSubmission(request)));

    public Dictionary<string, string[]> Validate(string regionId, OfferView offer) =>
        ToProblems(OfferRules.Validate(megaregion.Regions[megaregion.IndexOf(regionId)], DomainMapping.ToModel(offer.Accelerators), offer.From, offer.Until, offer.ReclaimGraceSeconds));

    /// <summary>An allocation a coordinator sets for <paramref name="term"/> and <paramref name="cls"/> (from the path).</summary>
    public Dictionary<string, string[]> Validate(string term, string cls, AllocationRequest allocation) =>
        ToProblems(AllocationRules.Validate(megaregion, term, cls, allocation.AcceleratorHours, allocation.From, allocation.Until, allocation.Region));

    /// <summary>A return, on its own (the project checks what is unused).</summary>
    public Dictionary<string, string[]> Validate(ReturnRequest request) =>
        ToProblems(AllocationRules.ValidateReturn(megaregion, request.Term, request.Class, request.AcceleratorHours));

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

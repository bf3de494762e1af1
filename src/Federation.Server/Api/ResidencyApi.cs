using Federation.Contracts;
using Federation.Grains.Residency;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Federation.Server.Api;

/// <summary>
/// <c>/api/residency</c>: the data residency classes a job's dataset may carry (<c>dataset.residency</c>) and the
/// regions each allows. Anyone may read them; changing them is a coordinator's act: every change is mapped on the one
/// <c>changes</c> group below, where the coordinator role check goes once identities exist (docs/security.md).
/// </summary>
public static class ResidencyApi
{
    public static IEndpointRouteBuilder MapResidencyApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = endpoints.MapGroup("/api/residency").WithTags("Residency").ProducesStoreUnavailable();
        group.MapGet("/", ListAsync)
            .WithName("ListResidencyClasses")
            .WithSummary("Every residency class with the regions it allows, and the policy's version.");
        group.MapGet("/{class}", GetAsync)
            .WithName("GetResidencyClass")
            .WithSummary("One residency class; its version is the ETag a change may send back as If-Match.")
            .ProducesProblem(StatusCodes.Status404NotFound);

        // Coordinators only: the one place the role check is.
        var changes = group.MapGroup("").RequireAuthorization(Auth.AuthSetup.CoordinatorPolicy);
        changes.MapPut("/{class}", SetAsync)
            .WithName("SetResidencyClass")
            .WithSummary("Create or replace a residency class (the regions it allows). Queued jobs of the class in regions it no longer allows are placed again within it; running jobs keep running.")
            .Accepts<ResidencyClassRequest>("application/json")
            .Produces<ResidencyClassView>(StatusCodes.Status201Created)
            .ProducesJsonBodyRefusals()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);
        changes.MapDelete("/{class}", DeleteAsync)
            .WithName("DeleteResidencyClass")
            .WithSummary("Delete a residency class that no unfinished job carries (409 while one does).")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesValidationProblem();
        return endpoints;
    }

    private static async Task<Ok<ResidencyPolicyView>> ListAsync(IGrainFactory grains) =>
        TypedResults.Ok(await Policy(grains).GetAsync());

    private static async Task<Results<Ok<ResidencyClassView>, ProblemHttpResult>> GetAsync(string @class, HttpContext context, IGrainFactory grains)
    {
        var policy = await Policy(grains).GetAsync();
        foreach (var c in policy.Classes)
        {
            if (string.Equals(c.Name, @class, StringComparison.Ordinal))
            {
                context.Response.Headers.ETag = ETags.Of(c.Version);
                return TypedResults.Ok(c);
            }
        }

        return NotFound(@class);
    }

    private static async Task<Results<Ok<ResidencyClassView>, Created<ResidencyClassView>, ValidationProblem, ProblemHttpResult>> SetAsync(
        string @class, HttpContext context, IGrainFactory grains, RequestValidation validation, ResidencyPolicies policies, CancellationToken cancellationToken)
    {
        var (ifMatch, ifMatchError) = IfMatch(context);
        if (ifMatchError is not null)
        {
            return Problems.Invalid("If-Match", ifMatchError);
        }

        var read = await JsonBody.ReadAsync<ResidencyClassRequest>(context, optional: false, cancellationToken);
        if (read.Refused is { } refused)
        {
            return refused;
        }

        if (read.Errors is { } bodyErrors)
        {
            return Problems.Invalid(bodyErrors);
        }

        var request = read.Value!;
        var errors = validation.Validate(@class, request);
        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }

        var change = await Policy(grains).SetAsync(@class, request.Regions, ifMatch);

        // This silo admits by the change at once (the grain has pushed it to every region already).
        policies.Offer(change.Policy);
        switch (change.Outcome)
        {
            case ResidencyOutcome.Created:
                context.Response.Headers.ETag = ETags.Of(change.Class!.Version);
                return TypedResults.Created($"/api/residency/{Uri.EscapeDataString(@class)}", change.Class);
            case ResidencyOutcome.Updated or ResidencyOutcome.Unchanged:
                context.Response.Headers.ETag = ETags.Of(change.Class!.Version);
                return TypedResults.Ok(change.Class);
            case ResidencyOutcome.VersionMismatch:
                return Problems.PreconditionFailed("If-Match", change.Message!, change.Class?.Version);
            default:
                return Problems.Invalid("class", change.Message ?? change.Outcome.ToString());
        }
    }

    private static async Task<Results<Ok<ResidencyClassView>, ValidationProblem, ProblemHttpResult>> DeleteAsync(
        string @class, HttpContext context, IGrainFactory grains, ResidencyPolicies policies)
    {
        var (ifMatch, ifMatchError) = IfMatch(context);
        if (ifMatchError is not null)
        {
            return Problems.Invalid("If-Match", ifMatchError);
        }

        var change = await Policy(grains).DeleteAsync(@class, ifMatch);
        policies.Offer(change.Policy);
        return change.Outcome switch
        {
            ResidencyOutcome.Deleted => TypedResults.Ok(change.Class!),
            ResidencyOutcome.NotFound => NotFound(@class),
            ResidencyOutcome.InUse => Problems.Conflict("class", change.Message!),
            _ => Problems.PreconditionFailed("If-Match", change.Message!, change.Class?.Version),
        };
    }

    private static IResidencyGrain Policy(IGrainFactory grains) => grains.GetGrain<IResidencyGrain>(IResidencyGrain.Key);

    private static (long? Version, string? Error) IfMatch(HttpContext context) =>
        ETags.IfMatch(context, "the class's ETag as GET /api/residency/{class} gives it");

    private static ProblemHttpResult NotFound(string name) => Problems.NotFound("class", $"no residency class is named '{name}'");
}

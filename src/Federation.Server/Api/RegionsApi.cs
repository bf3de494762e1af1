using System.Collections.Immutable;
using Federation.Contracts;
using Federation.Grains.Hosting;
using Federation.Scheduling;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Federation.Server.Api;

/// <summary><c>/api/regions</c>: each regional datacenter's pools, load, offer and drain state; operators set offers and drain.</summary>
public static class RegionsApi
{
    public static IEndpointRouteBuilder MapRegionsApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = endpoints.MapGroup("/api/regions").WithTags("Regions").ProducesStoreUnavailable();
        group.MapGet("/", ListAsync)
            .WithName("ListRegions")
            .WithSummary("Every region: pools with busy accelerators, queued jobs, the spare-capacity offer and utilization.");
        group.MapGet("/{id}", GetAsync)
            .WithName("GetRegion")
            .WithSummary("One region.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapPut("/{id}/offer", SetOfferAsync)
            .WithName("SetRegionOffer")
            .WithSummary("Replace the region's spare-capacity offer: accelerators by type lent to jobs from other regions, a time window, preemptible or not.")
            .Accepts<OfferView>("application/json")
            .ProducesJsonBodyRefusals()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);
        group.MapPost("/{id}/drain", DrainAsync)
            .WithName("DrainRegion")
            .WithSummary("Drain the region (no new job starts or is admitted; queued jobs are placed elsewhere by default) or, with drain=false, return it to service.")
            .Accepts<DrainRequest>("application/json")
            .ProducesJsonBodyRefusals()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);
        return endpoints;
    }

    private static async Task<Ok<ImmutableArray<RegionView>>> ListAsync(GrainReferences grains, Megaregion megaregion)
    {
        var views = new Task<RegionView>[megaregion.Regions.Length];
        for (var i = 0; i < views.Length; i++)
        {
            views[i] = grains.Region(i).GetAsync();
        }

        return TypedResults.Ok(ImmutableArray.Create(await Task.WhenAll(views)));
    }

    private static async Task<Results<Ok<RegionView>, ProblemHttpResult>> GetAsync(string id, HttpContext context, GrainReferences grains, RequestValidation validation)
    {
        if (!validation.IsRegion(id))
        {
            return Problems.NotFound("id", validation.UnknownRegion(id));
        }

        return WithETag(context, await grains.Region(id).GetAsync());
    }

    /// <summary>The region, with its version as the <c>ETag</c> a change may send back as <c>If-Match</c>.</summary>
    private static Ok<RegionView> WithETag(HttpContext context, RegionView region)
    {
        context.Response.Headers.ETag = ETagOf(region.Version);
        return TypedResults.Ok(region);
    }

    private static string ETagOf(long version) => ETags.Of(version);

    private static (long? Version, string? Error) IfMatch(HttpContext context) => ETags.IfMatch(context, "the region's ETag as GET /api/regions/{id} gives it");

    private static ProblemHttpResult Changed(RegionChangedException e) =>
        TypedResults.Problem(
            detail: e.Message,
            statusCode: StatusCodes.Status412PreconditionFailed,
            title: "The region changed since it was read.",
            extensions: new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["errors"] = new Dictionary<string, string[]>(StringComparer.Ordinal) { ["If-Match"] = [e.Message] },
                ["currentETag"] = ETagOf(e.Current),
            });

    private static Task<Results<Ok<RegionView>, ValidationProblem, ProblemHttpResult>> SetOfferAsync(
        string id, HttpContext context, GrainReferences grains, RequestValidation validation, CancellationToken cancellationToken) =>
        ChangeAsync<OfferView>(id, context, validation, optionalBody: false, cancellationToken, body =>
        {
            var offer = body! with { Accelerators = body.Accelerators.IsDefault ? [] : body.Accelerators };
            var errors = validation.Validate(id, offer);
            return errors.Count > 0
                ? (null, errors)
                : (ifMatch => grains.Region(id).SetOfferAsync(offer, ifMatch), null);
        });

    private static Task<Results<Ok<RegionView>, ValidationProblem, ProblemHttpResult>> DrainAsync(
        string id, HttpContext context, GrainReferences grains, RequestValidation validation, CancellationToken cancellationToken) =>
        ChangeAsync<DrainRequest>(id, context, validation, optionalBody: true, cancellationToken, body =>
            (ifMatch => grains.Region(id).SetDrainAsync(body ?? new DrainRequest(), ifMatch), null));

    /// <summary>
    /// What every change of a region goes through, in order: the region exists (404), the caller may change it (403),
    /// <c>If-Match</c> is well formed, the JSON body reads (<paramref name="optionalBody"/>: an empty one is null), then
    /// <paramref name="prepare"/> checks the body (its field errors are a 400) and gives the change, which runs against the
    /// version <c>If-Match</c> named (412 when the region changed since).
    /// </summary>
    private static async Task<Results<Ok<RegionView>, ValidationProblem, ProblemHttpResult>> ChangeAsync<TBody>(
        string id,
        HttpContext context,
        RequestValidation validation,
        bool optionalBody,
        CancellationToken cancellationToken,
        Func<TBody?, (Func<long?, Task<RegionView>>? Change, Dictionary<string, string[]>? Errors)> prepare)
        where TBody : class
    {
        if (!validation.IsRegion(id))
        {
            return Problems.NotFound("id", validation.UnknownRegion(id));
        }

        if (Auth.Access.ChangeRegion(Auth.Caller.Of(context.User), id) is { } refusal)
        {
            return Problems.Forbidden(refusal);
        }

        var (ifMatch, ifMatchError) = IfMatch(context);
        if (ifMatchError is not null)
        {
            return Problems.Invalid("If-Match", ifMatchError);
        }

        var read = await JsonBody.ReadAsync<TBody>(context, optional: optionalBody, cancellationToken);
        if (read.Refused is { } refused)
        {
            return refused;
        }

        if (read.Errors is { } bodyErrors)
        {
            return Problems.Invalid(bodyErrors);
        }

        var (change, errors) = prepare(read.Value);
        if (errors is not null)
        {
            return Problems.Invalid(errors);
        }

        try
        {
            return WithETag(context, await change!(ifMatch));
        }
        catch (RegionChangedException e)
        {
            return Changed(e);
        }
    }
}

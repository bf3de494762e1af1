using Federation.Contracts;
using Federation.Grains.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Federation.Server.Api;

/// <summary><c>/api/megaregion</c>: the coordinator's view of supply, demand and overflow flows.</summary>
public static class MegaregionApi
{
    public static IEndpointRouteBuilder MapMegaregionApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/api/megaregion", GetAsync)
            .WithTags("Megaregion")
            .WithName("GetMegaregion")
            .WithSummary("Per region: capacity, busy, queued demand, offer and utilization; totals; overflow flows between regions.")
            .ProducesStoreUnavailable();
        return endpoints;
    }

    private static async Task<Ok<MegaregionView>> GetAsync(GrainReferences grains) =>
        TypedResults.Ok(await grains.Megaregion.GetAsync());
}

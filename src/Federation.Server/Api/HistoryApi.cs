using System.Globalization;
using Federation.Server.Live;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Federation.Server.Api;

/// <summary><c>/api/regions/{id}/history</c>: a region's load over the last hours, as this server sampled it.</summary>
public static class HistoryApi
{
    /// <summary>Default window of <c>?hours=</c>.</summary>
    public const int DefaultHours = 6;

    /// <summary>Longest window of <c>?hours=</c>; the history keeps no more by default.</summary>
    public const int MaxHours = 24;

    public static IEndpointRouteBuilder MapHistoryApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/api/regions/{id}/history", Get)
            .WithTags("Regions")
            .WithName("GetRegionHistory")
            .WithSummary("The region's load over the last hours (?hours=1..24, default 6): busy, capacity, queued and running jobs per sample, sampled in memory since this server started.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return endpoints;
    }

    private static Results<Ok<RegionHistoryView>, ValidationProblem, ProblemHttpResult> Get(
        string id, string? hours, RequestValidation validation, MegaregionFeed feed, TimeProvider time)
    {
        if (!validation.IsRegion(id))
        {
            return Problems.NotFound("id", validation.UnknownRegion(id));
        }

        var window = DefaultHours;
        if (hours is not null
            && (!int.TryParse(hours, NumberStyles.None, CultureInfo.InvariantCulture, out window) || window is < 1 or > MaxHours))
        {
            return Problems.Invalid("hours", $"must be a whole number of hours from 1 to {MaxHours}, was '{hours}'");
        }

        var history = feed.History;
        return TypedResults.Ok(new RegionHistoryView
        {
            Region = id,
            IntervalSeconds = history.Interval.TotalSeconds,
            Since = history.Since,
            Hours = window,
            Samples = history.Read(id, time.GetUtcNow() - TimeSpan.FromHours(window)),
        });
    }
}

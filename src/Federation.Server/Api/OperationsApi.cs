using System.Text.Json.Serialization;
using Federation.Grains.Hosting;
using Federation.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Federation.Server.Api;

/// <summary>What the server reports about itself on <c>/health</c>.</summary>
public sealed record HealthReport
{
    /// <summary>Healthy or Unhealthy.</summary>
    public string Status { get; init; } = "";

    /// <summary>sqlite, memory or postgres (this and the fields below are told only to a caller with a token).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Storage { get; init; }

    /// <summary>
    /// The database: the SQLite file, or the PostgreSQL <c>host:port/database (schema …)</c>; never the
    /// user or password. Null with memory storage.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Database { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Regions { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? TimeScale { get; init; }

    /// <summary>Why the server is unhealthy; null when healthy.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Error { get; init; }
}

/// <summary><c>/health</c> for load balancers and operators (<c>/metrics</c>, for Prometheus, is <see cref="Metrics.ServerMetrics"/>).</summary>
public static class OperationsApi
{
    /// <summary>The OpenAPI tag of the operations endpoints.</summary>
    public const string Tag = "Operations";

    /// <summary>How long the health check waits for the grains and the store before answering unhealthy.</summary>
    public static readonly TimeSpan HealthTimeout = TimeSpan.FromSeconds(5);

    public static IEndpointRouteBuilder MapOperationsApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/health", HealthAsync)
            .WithTags(Tag)
            .WithName("GetHealth")
            .WithSummary("200 when the silo answers and the store is reachable; 503 with the reason otherwise.")
            .Produces<HealthReport>(StatusCodes.Status503ServiceUnavailable)
            .AllowAnonymous();
        return endpoints;
    }

    /// <summary>
    /// The report: whole for a caller with a token (which store, which database, why unhealthy), only the status for an
    /// anonymous one (a load balancer), so paths and driver errors are not told to whoever can reach the port.
    /// </summary>
    private static async Task<Results<Ok<HealthReport>, JsonHttpResult<HealthReport>>> HealthAsync(
        HttpContext context, GrainReferences grains, StorageProbe storage, ServerSettings settings, TimeProvider time, CancellationToken cancellationToken)
    {
        var answer = await CheckAsync(grains, storage, settings, time, cancellationToken);
        var report = Auth.Caller.TryOf(context.User) is null ? new HealthReport { Status = answer.Report.Status } : answer.Report;
        return answer.Healthy ? TypedResults.Ok(report) : TypedResults.Json(report, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<(bool Healthy, HealthReport Report)> CheckAsync(
        GrainReferences grains, StorageProbe storage, ServerSettings settings, TimeProvider time, CancellationToken cancellationToken)
    {
        var report = new HealthReport
        {
            Storage = settings.Storage.ToString().ToLowerInvariant(),
            Database = settings.Database,
            Regions = settings.Megaregion.Regions.Length,
            TimeScale = settings.TimeScale,
        };
        try
        {
            if (await storage.CheckAsync(cancellationToken).WaitAsync(HealthTimeout, time, cancellationToken) is { IsHealthy: false } down)
            {
                return (false, report with { Status = "Unhealthy", Error = down.Description });
            }

            await grains.Megaregion.GetAsync().WaitAsync(HealthTimeout, time, cancellationToken);
            return (true, report with { Status = "Healthy" });
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return (false, report with { Status = "Unhealthy", Error = e is TimeoutException ? "no answer within " + HealthTimeout.TotalSeconds + " s" : e.Message });
        }
    }
}

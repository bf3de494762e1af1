using System.Diagnostics.Metrics;
using Federation.Grains.Diagnostics;
using Microsoft.OpenApi;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Federation.Server.Metrics;

/// <summary>
/// OpenTelemetry metrics for the server: Orleans' meter and the federation's, exported in the Prometheus format at
/// <see cref="ScrapePath"/> by OpenTelemetry's Prometheus exporter.
/// </summary>
public static class ServerMetrics
{
    /// <summary>Where Prometheus scrapes.</summary>
    public const string ScrapePath = "/metrics";

    /// <summary>Orleans' meter: messaging, activations, grain calls, storage, membership.</summary>
    public const string OrleansMeter = "Microsoft.Orleans";

    /// <summary>The OpenTelemetry service name of the server's metrics (Prometheus' <c>target_info</c>).</summary>
    public const string ServiceName = "megaregion-federation";

    /// <summary>The meters exported.</summary>
    public static readonly IReadOnlyList<string> Meters = [OrleansMeter, GrainsInstrumentNames.MeterName, ServerInstruments.MeterName];

    /// <summary>
    /// Adds OpenTelemetry's meter provider with <see cref="Meters"/> and the Prometheus exporter. OpenTelemetry listens to
    /// meters by name in the whole process; a meter created by another host's <see cref="IMeterFactory"/> (a second server
    /// in one process, as in tests) is dropped, so this server exports only its own figures. A meter created without a
    /// factory (Orleans' is one per process) is exported as it is.
    /// </summary>
    public static IServiceCollection AddServerMetrics(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter([.. Meters]);

                // The host's meter factory is known once its service provider is built: OpenTelemetry's hosting builder
                // is a deferred one, which hands that provider to the callback.
                var deferred = metrics as IDeferredMeterProviderBuilder
                    ?? throw new InvalidOperationException("OpenTelemetry's hosting builder is expected to configure views once the service provider exists.");
                deferred.Configure(static (sp, builder) => builder.AddView(OwnMetersOnly(sp.GetRequiredService<IMeterFactory>())));
                metrics.AddPrometheusExporter(static o =>
                {
                    // Every scrape collects afresh: a cached answer would show a scrape taken up to this long before.
                    o.ScrapeResponseCacheDurationMilliseconds = 0;
                });
            });
        return services;
    }

    /// <summary>Maps OpenTelemetry's scraping endpoint at <see cref="ScrapePath"/>.</summary>
    public static IEndpointRouteBuilder MapServerMetrics(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapPrometheusScrapingEndpoint(ScrapePath).WithName(ScrapeOperationId).RequireAuthorization(Auth.AuthSetup.CoordinatorOrLoopbackPolicy);
        return endpoints;
    }

    /// <summary>
    /// A view that drops the instruments of meters another host's factory created. Orleans' meter, created without a
    /// factory, has no scope and is kept.
    /// </summary>
    internal static Func<Instrument, MetricStreamConfiguration?> OwnMetersOnly(IMeterFactory own) =>
        instrument => instrument.Meter.Scope is IMeterFactory factory && !ReferenceEquals(factory, own) ? MetricStreamConfiguration.Drop : null;

    /// <summary>
    /// Describes the scraping endpoint in the OpenAPI document. It is OpenTelemetry's, mapped as a plain request delegate,
    /// which the API explorer does not describe; the operation is written here as the minimal APIs' are.
    /// </summary>
    internal static void DescribeScrapingEndpoint(OpenApiDocument document)
    {
        document.Paths ??= [];
        document.Paths[ScrapePath] = new OpenApiPathItem
        {
            Operations = new Dictionary<HttpMethod, OpenApiOperation>
            {
                [HttpMethod.Get] = new()
                {
                    Tags = new HashSet<OpenApiTagReference> { new(Api.OperationsApi.Tag, document) },
                    Summary = "Orleans' runtime metrics and the grains' and server's, in the Prometheus text exposition format (OpenMetrics when the scraper asks for it).",
                    OperationId = ScrapeOperationId,
                    Responses = new OpenApiResponses
                    {
                        ["200"] = new OpenApiResponse
                        {
                            Description = "OK",
                            Content = new Dictionary<string, OpenApiMediaType>
                            {
                                ["text/plain"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
                                ["application/openmetrics-text"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
                            },
                        },
                    },
                },
            },
        };
    }

    private const string ScrapeOperationId = "GetMetrics";
}

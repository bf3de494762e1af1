using System.Net;
using System.Text.Json.Nodes;

namespace Federation.Server.Tests;

/// <summary>/health, /metrics and the OpenAPI document.</summary>
public sealed class OperationsTests : IAsyncLifetime
{
    private ServerHost _server = null!;

    public async Task InitializeAsync() => _server = await ServerHost.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Health_is_200_healthy_with_the_store_and_regions()
    {
        using var response = await _server.Client.GetAsync("health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var health = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("Healthy", health["status"]!.GetValue<string>());
        Assert.Equal("memory", health["storage"]!.GetValue<string>());
        Assert.Equal(4, health["regions"]!.GetValue<int>());
    }

    [Fact]
    public async Task Metrics_are_prometheus_text_with_server_and_runtime_meters()
    {
        using var first = await _server.PostJsonAsync("api/jobs", Jobs.Request("metrics-1").ToJsonString());
        using var repeat = await _server.PostJsonAsync("api/jobs", Jobs.Request("metrics-1").ToJsonString());
        using var bad = await _server.PostJsonAsync("api/jobs", "{");

        using var response = await _server.Client.GetAsync("metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n');
        Assert.Contains("# TYPE federation_server_jobs_submitted_total counter", lines);
        Assert.Contains("federation_server_jobs_submitted_total 1", lines);
        Assert.Contains("federation_server_jobs_repeated_total 1", lines);
        Assert.Contains("federation_server_jobs_rejected_total 1", lines);
        Assert.Contains("# TYPE federation_server_submit_duration_milliseconds histogram", lines);
        Assert.Contains("federation_server_submit_duration_milliseconds_count 2", lines);
        Assert.Contains(lines, l => l.StartsWith("federation_server_submit_duration_milliseconds_bucket{le=\"+Inf\"} 2", StringComparison.Ordinal));
        // The runtime's own meter (Federation.Actors): activations exist once a job was submitted.
        Assert.Contains(lines, l => l.StartsWith("orleans_catalog_activations ", StringComparison.Ordinal) && !l.EndsWith(" 0", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("# TYPE orleans_app_requests_latency_milliseconds histogram", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_OpenAPI_document_matches_the_committed_docs_openapi_json()
    {
        // To regenerate after an API change: start the server and run
        //   curl -s http://127.0.0.1:5080/openapi/v1.json > docs/openapi.json
        var live = await _server.GetJsonAsync("openapi/v1.json");
        var committedPath = Path.Combine(AppContext.BaseDirectory, "openapi.json");
        Assert.True(File.Exists(committedPath), "docs/openapi.json is missing; regenerate it (see this test)");
        var committed = JsonNode.Parse(await File.ReadAllTextAsync(committedPath))!;

        if (!JsonNode.DeepEquals(committed, live))
        {
            var fresh = Path.Combine(AppContext.BaseDirectory, "openapi.live.json");
            await File.WriteAllTextAsync(fresh, live.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
            Assert.Fail($"docs/openapi.json differs from the live /openapi/v1.json; review and copy {fresh} to docs/openapi.json");
        }
    }

    [Fact]
    public async Task The_OpenAPI_document_names_every_endpoint()
    {
        var document = await _server.GetJsonAsync("openapi/v1.json");

        var operations = document["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(o => o.Value!["operationId"]!.GetValue<string>()))
            .Order(StringComparer.Ordinal);
        Assert.Equal(
            ["CancelJob", "DrainRegion", "GetHealth", "GetJob", "GetMegaregion", "GetMetrics", "GetRegion", "ListJobs", "ListRegions", "SetRegionOffer", "SubmitJob"],
            operations);
    }
}

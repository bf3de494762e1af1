using System.Net;
using System.Text.Json.Nodes;
using Federation.Server.Hosting;
using Federation.Server.Tests.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

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

        var scrape = await Scrape.ReadAsync(_server);

        Assert.Equal("counter", scrape.Types["federation_server_jobs_submitted_total"]);
        Assert.Equal(1, scrape.Value("federation_server_jobs_submitted_total"));
        Assert.Equal(1, scrape.Value("federation_server_jobs_repeated_total"));
        Assert.Equal(1, scrape.Value("federation_server_jobs_rejected_total"));
        Assert.Equal("histogram", scrape.Types["federation_server_submit_duration_seconds"]);
        Assert.Equal(2, scrape.Value("federation_server_submit_duration_seconds_count"));
        Assert.Equal(2, scrape.Value("federation_server_submit_duration_seconds_bucket", ("le", "+Inf")));
        // The grains' meter beside the server's: the job was placed once (the repeat was answered from its row).
        Assert.Equal("counter", scrape.Types["federation_jobs_submitted_total"]);
        Assert.Equal(1, scrape.Value("federation_jobs_submitted_total"));

        // Orleans' meter (Microsoft.Orleans), beside the federation's. It is one per process, so the figures count every
        // server a test has started in this process: at least the job activation this server created.
        Assert.Equal("counter", scrape.Types["orleans_catalog_activation_created_total"]);
        Assert.True(scrape.Value("orleans_catalog_activation_created_total", ("grain_type", "job")) >= 1);
        Assert.Equal("histogram", scrape.Types["orleans_app_requests_latency_milliseconds"]);
        Assert.True(scrape.Value("orleans_app_requests_latency_milliseconds_count") > 0);
    }

    [Fact]
    public async Task The_Orleans_dashboard_serves_its_page_and_its_JSON()
    {
        using var page = await _server.Client.GetAsync("dashboard/");
        using var cluster = await _server.Client.GetAsync("dashboard/ClusterStats");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<title>Orleans Dashboard</title>", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, cluster.StatusCode);
        Assert.Equal("application/json", cluster.Content.Headers.ContentType?.MediaType);
        Assert.IsType<JsonObject>(JsonNode.Parse(await cluster.Content.ReadAsStringAsync()));

        // The dashboard collects its counters from the silos periodically: the first answers may list no silo yet.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        JsonArray hosts;
        while (true)
        {
            using var counters = await _server.Client.GetAsync("dashboard/DashboardCounters");
            Assert.Equal(HttpStatusCode.OK, counters.StatusCode);
            Assert.Equal("application/json", counters.Content.Headers.ContentType?.MediaType);
            hosts = JsonNode.Parse(await counters.Content.ReadAsStringAsync())!["hosts"]!.AsArray();
            if (hosts.Count > 0 || DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(100);
        }

        // This server's one silo, active, on the ports it was given.
        var silo = Assert.Single(hosts)!;
        Assert.Equal("Active", silo["status"]!.GetValue<string>());
        var options = _server.Services.GetRequiredService<IOptions<FederationServerOptions>>().Value;
        Assert.StartsWith($"127.0.0.1:{options.SiloPort}@", silo["siloAddress"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(options.GatewayPort, silo["proxyPort"]!.GetValue<int>());
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
            ["CancelJob", "CancelWhatIf", "DeleteResidencyClass", "DrainRegion", "GetHealth", "GetJob", "GetLedger", "GetLiveFeed", "GetMegaregion", "GetMetrics", "GetProject", "GetRegion", "GetRegionHistory", "GetResidencyClass", "GetWhatIf", "GetWhatIfReport", "IssueToken", "ListAudit", "ListJobs", "ListProjects", "ListRegions", "ListResidencyClasses", "ListTokens", "ListWhatIfRuns", "ListWhatIfTraces", "ReturnProjectHours", "RevokeToken", "SetProjectAllocation", "SetProjectPriority", "SetRegionOffer", "SetResidencyClass", "SubmitJob", "SubmitWhatIf", "WhoAmI"],
            operations);
    }
}

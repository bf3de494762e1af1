using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Federation.Grains.Diagnostics;
using Federation.Server.Metrics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace Federation.Server.Tests.Metrics;

/// <summary>
/// What OpenTelemetry's Prometheus exporter serves at <c>/metrics</c> for the federation's instruments: exact figures
/// for this server, whatever other servers the tests run in the same process.
/// </summary>
public sealed class MetricsExportTests : IAsyncLifetime
{
    private const string Grains = "Federation.Grains";
    private ServerHost _server = null!;

    public async Task InitializeAsync() => _server = await ServerHost.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Placements_overflows_and_the_region_gauges_carry_this_servers_exact_figures()
    {
        // 8 H100 in Gwangju start at once; all of Gwangju's H100 then wait behind them; a Gwangju job allowed only in
        // Daegu overflows there and waits for its 100 GB to arrive.
        await SubmitAsync(Jobs.Request("m-running"));
        await SubmitAsync(Restricted(Jobs.Request("m-queued", count: 1256), "gwangju"));
        await SubmitAsync(Restricted(Jobs.Request("m-overflow"), "daegu"));

        var scrape = await Scrape.ReadAsync(_server);

        Assert.Equal("counter", scrape.Types["federation_placements_total"]);
        Assert.Equal(2, scrape.Value("federation_placements_total", ("region", "gwangju")));
        Assert.Equal(1, scrape.Value("federation_placements_total", ("region", "daegu")));
        Assert.Equal(1, scrape.Value("federation_overflows_total", ("region", "daegu"), ("home_region", "gwangju")));
        Assert.Single(scrape.Of("federation_overflows_total"));
        Assert.Equal(3, scrape.Value("federation_jobs_submitted_total"));

        Assert.Equal("gauge", scrape.Types["federation_region_queue_length"]);
        Assert.Equal(1, scrape.Value("federation_region_queue_length", ("region", "gwangju")));
        Assert.Equal(1256, scrape.Value("federation_region_queue_demand", ("region", "gwangju")));
        Assert.Equal(1, scrape.Value("federation_region_queue_length", ("region", "daegu")));
        Assert.Equal(8, scrape.Value("federation_region_queue_demand", ("region", "daegu")));
        Assert.Equal(0, scrape.Value("federation_region_queue_length", ("region", "suncheon")));
        Assert.Equal(1, scrape.Value("federation_region_jobs_running", ("region", "gwangju")));

        Assert.Equal(8, scrape.Value("federation_region_accelerators_busy", ("region", "gwangju"), ("type", "H100")));
        Assert.Equal(1256, scrape.Value("federation_region_accelerators_capacity", ("region", "gwangju"), ("type", "H100")));
        Assert.Equal(8.0 / 1256, scrape.Value("federation_region_utilization", ("region", "gwangju"), ("type", "H100")));
        Assert.Equal(0, scrape.Value("federation_region_utilization", ("region", "gwangju"), ("type", "A100")));

        // Every region of the embedded megaregion, each once: this one silo hosts them all.
        Assert.Equal(["daegu", "gwangju", "gwangyang", "suncheon"], scrape.Of("federation_region_queue_length").Select(s => s["region"]).Order(StringComparer.Ordinal));
        Assert.All(scrape.Samples.Where(s => s.Name.StartsWith("federation_", StringComparison.Ordinal)), s => Assert.Equal(s.Name.StartsWith("federation_server_", StringComparison.Ordinal) ? "Federation.Server" : Grains, s["otel_scope_name"]));
    }

    [Fact]
    public async Task The_gauges_follow_the_region_as_its_jobs_end()
    {
        await SubmitAsync(Jobs.Request("m-ends"));
        Assert.Equal(8, (await Scrape.ReadAsync(_server)).Value("federation_region_accelerators_busy", ("region", "gwangju"), ("type", "H100")));

        // The job runs 2 h of execution time on the server's manual clock. Its end reaches the region through a grain
        // call made when the clock's timer fires: poll, bounded, for it.
        _server.Clock.Advance(TimeSpan.FromHours(2));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        var scrape = await Scrape.ReadAsync(_server);
        while (scrape.Value("federation_region_jobs_running", ("region", "gwangju")) != 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
            scrape = await Scrape.ReadAsync(_server);
        }

        Assert.Equal(0, scrape.Value("federation_region_jobs_running", ("region", "gwangju")));
        Assert.Equal(0, scrape.Value("federation_region_accelerators_busy", ("region", "gwangju"), ("type", "H100")));
        Assert.Equal(0, scrape.Value("federation_region_utilization", ("region", "gwangju"), ("type", "H100")));
    }

    [Fact]
    public async Task Latencies_are_histograms_in_seconds_with_buckets_from_microseconds_to_seconds()
    {
        await SubmitAsync(Jobs.Request("m-latency-1"));
        await SubmitAsync(Jobs.Request("m-latency-2"));

        var scrape = await Scrape.ReadAsync(_server);

        string[] bounds = [.. GrainsInstruments.LatencyBucketsSeconds.Select(b => b.ToString("E0", CultureInfo.InvariantCulture)), "+Inf"];
        foreach (var histogram in new[] { "federation_placement_duration_seconds", "federation_server_submit_duration_seconds" })
        {
            Assert.Equal("histogram", scrape.Types[histogram]);
            var buckets = scrape.Of(histogram + "_bucket");
            Assert.Equal(bounds, buckets.Select(b => b["le"] == "+Inf" ? "+Inf" : double.Parse(b["le"], CultureInfo.InvariantCulture).ToString("E0", CultureInfo.InvariantCulture)));
            Assert.Equal(2, scrape.Value(histogram + "_count"));
            Assert.Equal(2, buckets[^1].Value);
            var sum = scrape.Value(histogram + "_sum");
            Assert.True(sum > 0 && sum < 60, $"{histogram}_sum {sum} is not a few seconds at most");
        }

        Assert.Equal(scrape.Value("federation_placements_total", ("region", "gwangju")), scrape.Value("federation_placement_duration_seconds_count"));
    }

    [Fact]
    public async Task Another_server_in_the_process_does_not_change_this_servers_figures()
    {
        await using var other = await ServerHost.StartAsync();
        await SubmitAsync(Jobs.Request("m-mine"));
        foreach (var id in new[] { "m-theirs-1", "m-theirs-2" })
        {
            using var response = await other.PostJsonAsync("api/jobs", Jobs.Request(id).ToJsonString());
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        var mine = await Scrape.ReadAsync(_server);
        var theirs = await Scrape.ReadAsync(other);

        Assert.Equal(1, mine.Value("federation_jobs_submitted_total"));
        Assert.Equal(1, mine.Value("federation_server_jobs_submitted_total"));
        Assert.Equal(1, mine.Value("federation_placements_total", ("region", "gwangju")));
        Assert.Equal(8, mine.Value("federation_region_accelerators_busy", ("region", "gwangju"), ("type", "H100")));
        Assert.Equal(2, theirs.Value("federation_jobs_submitted_total"));
        Assert.Equal(2, theirs.Value("federation_placements_total", ("region", "gwangju")));
        Assert.Equal(16, theirs.Value("federation_region_accelerators_busy", ("region", "gwangju"), ("type", "H100")));
    }

    [Fact]
    public void The_view_drops_meters_of_another_hosts_factory_and_keeps_its_own_and_unscoped_ones()
    {
        using var mine = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var theirs = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var unscoped = new Meter(ServerMetrics.OrleansMeter);
        var view = ServerMetrics.OwnMetersOnly(mine.GetRequiredService<IMeterFactory>());

        var own = mine.GetRequiredService<IMeterFactory>().Create(Grains).CreateCounter<long>("federation.test.own");
        var foreign = theirs.GetRequiredService<IMeterFactory>().Create(Grains).CreateCounter<long>("federation.test.foreign");
        var orleans = unscoped.CreateCounter<long>("orleans-test");

        Assert.Null(view(own));
        Assert.Same(MetricStreamConfiguration.Drop, view(foreign));
        Assert.Null(view(orleans));
    }

    private static JsonObject Restricted(JsonObject request, string region)
    {
        request["allowedRegions"] = new JsonArray(region);
        return request;
    }

    private async Task SubmitAsync(JsonObject request)
    {
        using var response = await _server.PostJsonAsync("api/jobs", request.ToJsonString());
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }
}

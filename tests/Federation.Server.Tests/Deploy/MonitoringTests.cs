using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Federation.Grains.Diagnostics;
using Federation.Server.Metrics;
using Federation.Server.Tests.Metrics;
using Federation.TestKit;
using Microsoft.Extensions.DependencyInjection;
using YamlDotNet.RepresentationModel;

namespace Federation.Server.Tests.Deploy;

/// <summary>
/// <c>deploy/prometheus/prometheus.yml</c> against the local script's ports, the Prometheus configs of compose and
/// Kubernetes as Prometheus reads them (their wiring is checked with compose's and the manifests' tests), and
/// <c>deploy/grafana/megaregion-dashboard.json</c> against what the server exports.
/// </summary>
public sealed partial class MonitoringTests
{
    private static readonly string PrometheusConfig = Path.Combine(DeployFiles.Deploy, "prometheus", "prometheus.yml");
    private static readonly string Dashboard = Path.Combine(DeployFiles.Deploy, "grafana", "megaregion-dashboard.json");

    [Fact]
    public void Prometheus_scrapes_the_REST_port_of_every_silo_the_local_script_starts()
    {
        var config = Assert.Single(DeployFiles.LoadYaml(PrometheusConfig));
        var job = Assert.IsType<YamlMappingNode>(Assert.Single(config.Seq("scrape_configs").Children));
        Assert.Equal(ServerMetrics.ScrapePath, job.Str("metrics_path"));

        // Over loopback a silo serves /metrics without a token (AuthSetup.CoordinatorOrLoopbackPolicy).
        Assert.False(job.Has("authorization"), "Prometheus scrapes the local silos over loopback, which needs no token");

        var targets = job.Seq("static_configs").Children.Select(c =>
        {
            var target = Assert.Single(c.Seq("targets").Scalars());
            var labels = c.Map("labels").Dict();
            // The federation's series have a region label of their own: a target label of that name would overwrite it.
            Assert.False(labels.ContainsKey(GrainsInstrumentNames.RegionTag), $"{target}: a target label 'region' would clash with the series' own");
            var colon = target.LastIndexOf(':');
            return (Silo: labels["silo"], Host: target[..colon], Port: int.Parse(target[(colon + 1)..], CultureInfo.InvariantCulture));
        }).ToList();

        var script = DeployFiles.ScriptPorts();
        Assert.Equal(script.Select(s => (s.Region, "127.0.0.1", s.Http)), targets.Select(t => (t.Silo, t.Host, t.Port)));
    }

    [Fact]
    public void Prometheus_accepts_the_config()
    {
        var (exit, output) = Run(PrometheusTools.Promtool, "check", "config", PrometheusConfig);

        Assert.True(exit == 0, output);
    }

    [Fact]
    public void Prometheus_accepts_the_compose_config()
    {
        // Syntax only: its credentials file is the compose secret, which exists in the container alone. (The Kubernetes
        // config is not checked so: Debian's promtool is built without Kubernetes discovery.)
        var (exit, output) = Run(PrometheusTools.Promtool, "check", "config", "--syntax-only", Path.Combine(DeployFiles.Deploy, "prometheus", "compose.yml"));

        Assert.True(exit == 0, output);
    }

    [Fact]
    public async Task Every_metric_the_dashboard_queries_is_one_the_server_exports()
    {
        var expressions = DashboardExpressions();
        var queried = expressions.SelectMany(e => MetricName().Matches(e).Select(m => m.Value)).ToHashSet(StringComparer.Ordinal);

        // Submitting takes a token; the scrape below does not (it comes over loopback).
        await using var server = await ServerHost.StartAsync(null, TestTokens.BootstrapArgument);
        server.Client.AsCoordinator();
        using var placed = await server.PostJsonAsync("api/jobs", Jobs.Request("dash-1").ToJsonString());
        var overflow = Jobs.Request("dash-2");
        overflow["allowedRegions"] = new System.Text.Json.Nodes.JsonArray("daegu");
        using var overflowed = await server.PostJsonAsync("api/jobs", overflow.ToJsonString());
        Assert.Equal(HttpStatusCode.Created, placed.StatusCode);
        Assert.Equal(HttpStatusCode.Created, overflowed.StatusCode);

        // A rebalancer move and a refused admission need a loaded megaregion and a stale router: recorded here through
        // the server's own instruments, so the names are the ones its exporter writes. A counter appears once counted.
        var instruments = server.Services.GetRequiredService<GrainsInstruments>();
        instruments.Moved("gwangju", "daegu");
        instruments.Refused("gwangju");

        var exported = (await Scrape.ReadAsync(server)).Names;
        var unknown = queried.Where(n => !exported.Contains(n)).Order(StringComparer.Ordinal).ToList();
        Assert.True(unknown.Count == 0, $"the dashboard queries {string.Join(", ", unknown)}, which the server does not export");

        // The series issue 14 asks the dashboard to show, and the latency quantiles from the histogram.
        Assert.Superset(
            new HashSet<string>(StringComparer.Ordinal)
            {
                "federation_placements_total", "federation_overflows_total", "federation_rebalancer_moves_total",
                "federation_region_queue_length", "federation_region_queue_demand", "federation_region_utilization",
                "federation_placement_duration_seconds_bucket",
            },
            queried);
        Assert.Contains(expressions, e => e.StartsWith("histogram_quantile(0.5,", StringComparison.Ordinal) && e.Contains("federation_placement_duration_seconds_bucket", StringComparison.Ordinal));
        Assert.Contains(expressions, e => e.StartsWith("histogram_quantile(0.99,", StringComparison.Ordinal) && e.Contains("federation_placement_duration_seconds_bucket", StringComparison.Ordinal));
        Assert.Contains(queried, n => n.StartsWith("orleans_", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_query_of_the_dashboard_is_valid_PromQL_on_its_Prometheus_data_source()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Dashboard));
        var input = Assert.Single(document.RootElement.GetProperty("__inputs").EnumerateArray());
        Assert.Equal("prometheus", input.GetProperty("pluginId").GetString());
        var datasource = "${" + input.GetProperty("name").GetString() + "}";
        foreach (var panel in document.RootElement.GetProperty("panels").EnumerateArray().Where(p => p.GetProperty("type").GetString() != "row"))
        {
            Assert.Equal(datasource, panel.GetProperty("datasource").GetProperty("uid").GetString());
            Assert.NotEmpty(panel.GetProperty("targets").EnumerateArray());
        }

        // promtool parses PromQL offline as recording rules: one rule per query.
        var rules = Path.Combine(Path.GetTempPath(), "federation-dashboard-rules-" + Guid.NewGuid().ToString("N") + ".yml");
        try
        {
            var expressions = DashboardExpressions();
            File.WriteAllLines(rules, ["groups:", "  - name: dashboard", "    rules:", .. expressions.SelectMany((e, i) => new[]
            {
                $"      - record: dashboard_query_{i}",
                "        expr: " + JsonSerializer.Serialize(e),
            })]);
            var (exit, output) = Run(PrometheusTools.Promtool, "check", "rules", rules);
            Assert.True(exit == 0, output);
            Assert.Contains($"SUCCESS: {expressions.Count} rules found", output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(rules);
        }
    }

    private static List<string> DashboardExpressions()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Dashboard));
        return [.. document.RootElement.GetProperty("panels").EnumerateArray()
            .Where(p => p.TryGetProperty("targets", out _))
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => t.GetProperty("expr").GetString() ?? "")];
    }

    private static (int ExitCode, string Output) Run(string program, params string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = System.Diagnostics.Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr);
    }

    /// <summary>A metric name of the federation's or Orleans' in a PromQL expression (label names never start so).</summary>
    [GeneratedRegex(@"\b(?:federation|orleans)_[a-z0-9_]+", RegexOptions.CultureInvariant)]
    private static partial Regex MetricName();
}

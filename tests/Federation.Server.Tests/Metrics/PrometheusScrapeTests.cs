using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Federation.TestKit.Net;

namespace Federation.Server.Tests.Metrics;

/// <summary>
/// A real Prometheus (the binary of <c>FEDERATION_TEST_PROMETHEUS</c>, or Debian's <c>/usr/bin/prometheus</c>) scrapes
/// the in-process server every second; its query API must then answer with the federation's series and Orleans'.
/// </summary>
public sealed class PrometheusScrapeTests : IAsyncLifetime
{
    /// <summary>How long Prometheus gets to start, scrape and answer.</summary>
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "federation-prometheus-" + Guid.NewGuid().ToString("N"));
    private readonly StringBuilder _log = new();
    private ServerHost _server = null!;
    private Process? _prometheus;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        _server = await ServerHost.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_prometheus is { } prometheus)
        {
            if (!prometheus.HasExited)
            {
                prometheus.Kill(entireProcessTree: true);
            }

            await prometheus.WaitForExitAsync();
            prometheus.Dispose();
        }

        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Prometheus_scrapes_the_federation_and_Orleans_series_from_metrics()
    {
        foreach (var id in new[] { "prom-1", "prom-2" })
        {
            using var response = await _server.PostJsonAsync("api/jobs", Jobs.Request(id).ToJsonString());
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        var target = $"{_server.BaseAddress.Host}:{_server.BaseAddress.Port}";
        var config = Path.Combine(_dir, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: federation
                static_configs:
                  - targets: ['{target}']
            """);
        var web = new Uri($"http://127.0.0.1:{FreePorts.Next().ToString(CultureInfo.InvariantCulture)}/");
        _prometheus = Start(config, web);
        using var api = new HttpClient { BaseAddress = web, Timeout = TimeSpan.FromSeconds(5) };

        var placements = await QueryUntilAsync(api, "federation_placements_total");
        var activations = await QueryUntilAsync(api, "orleans_catalog_activation_created_total{grain_type=\"job\"}");

        // The server's own figures, as Prometheus stored them: two jobs placed in Gwangju, 8 H100 each, running.
        var placed = Assert.Single(placements);
        Assert.Equal("federation", Label(placed, "job"));
        Assert.Equal(target, Label(placed, "instance"));
        Assert.Equal("gwangju", Label(placed, "region"));
        Assert.Equal(2, Value(placed));
        Assert.Equal(16, Value(Assert.Single(await QueryUntilAsync(api, "federation_region_accelerators_busy{region=\"gwangju\",type=\"H100\"}"))));
        Assert.Equal(0, Value(Assert.Single(await QueryUntilAsync(api, "federation_region_queue_length{region=\"daegu\"}"))));
        Assert.Equal(2, Value(Assert.Single(await QueryUntilAsync(api, "federation_placement_duration_seconds_count"))));
        Assert.Equal(1, Value(Assert.Single(await QueryUntilAsync(api, "up{job=\"federation\"}"))));

        // Orleans' meter counts every silo of this test process, so at least the two job activations of this server.
        Assert.True(Value(Assert.Single(activations)) >= 2, activations.ToJsonString());
    }

    private Process Start(string config, Uri web)
    {
        var info = new ProcessStartInfo(PrometheusTools.Prometheus)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _dir,
        };
        info.ArgumentList.Add("--config.file=" + config);
        info.ArgumentList.Add("--storage.tsdb.path=" + Path.Combine(_dir, "data"));
        info.ArgumentList.Add($"--web.listen-address={web.Host}:{web.Port}");
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Log(e.Data);
        process.ErrorDataReceived += (_, e) => Log(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private void Log(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }

    /// <summary>Runs an instant query until it returns a result (bounded by <see cref="Wait"/>), and returns the result.</summary>
    private async Task<JsonArray> QueryUntilAsync(HttpClient api, string query)
    {
        var deadline = DateTime.UtcNow + Wait;
        var last = "";
        while (true)
        {
            Assert.False(_prometheus!.HasExited, $"Prometheus exited with code {(_prometheus.HasExited ? _prometheus.ExitCode : 0)}:\n{Logged()}");
            try
            {
                using var response = await api.GetAsync("api/v1/query?query=" + Uri.EscapeDataString(query));
                last = await response.Content.ReadAsStringAsync();
                if (response.IsSuccessStatusCode && JsonNode.Parse(last)!["data"]!["result"]!.AsArray() is { Count: > 0 } result)
                {
                    return result;
                }
            }
            catch (HttpRequestException e)
            {
                // Not listening yet.
                last = e.Message;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Prometheus returned nothing for {query} within {Wait.TotalSeconds} s; last answer: {last}\n{Logged()}");
            await Task.Delay(250);
        }
    }

    private string Logged()
    {
        lock (_log)
        {
            return _log.ToString();
        }
    }

    private static string Label(JsonNode? series, string label) => series!["metric"]![label]?.GetValue<string>() ?? "";

    private static double Value(JsonNode? series) => double.Parse(series!["value"]![1]!.GetValue<string>(), CultureInfo.InvariantCulture);
}

using System.Diagnostics.Metrics;
using Federation.Server.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Server.Tests;

public sealed class PrometheusExporterTests
{
    [Fact]
    public void Counters_gauges_and_histograms_are_written_in_the_text_format()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        using var exporter = new PrometheusExporter(factory);
        var meter = factory.Create("Federation.Test");
        var counter = meter.CreateCounter<long>("federation.test.jobs", "{job}", "Jobs");
        var histogram = meter.CreateHistogram<double>("federation.test.latency", "ms", "Latency");
        var level = 7;
        meter.CreateObservableGauge("federation.test.level", () => level, "{unit}", "Level");
        var ignored = factory.Create("Other.Meter").CreateCounter<long>("other.count");

        counter.Add(2, new KeyValuePair<string, object?>("region", "gwangju"));
        counter.Add(3, new KeyValuePair<string, object?>("region", "gwangju"));
        counter.Add(1, new KeyValuePair<string, object?>("region", "da\"egu"));
        histogram.Record(0.3);
        histogram.Record(4);
        histogram.Record(20000);
        ignored.Add(1);

        var text = WithoutOrleans(exporter.Render());

        Assert.Equal(
            """
            # HELP federation_test_jobs_total Jobs
            # TYPE federation_test_jobs_total counter
            federation_test_jobs_total{region="da\"egu"} 1
            federation_test_jobs_total{region="gwangju"} 5
            # HELP federation_test_latency_milliseconds Latency
            # TYPE federation_test_latency_milliseconds histogram
            federation_test_latency_milliseconds_bucket{le="0.05"} 0
            federation_test_latency_milliseconds_bucket{le="0.1"} 0
            federation_test_latency_milliseconds_bucket{le="0.25"} 0
            federation_test_latency_milliseconds_bucket{le="0.5"} 1
            federation_test_latency_milliseconds_bucket{le="1"} 1
            federation_test_latency_milliseconds_bucket{le="2.5"} 1
            federation_test_latency_milliseconds_bucket{le="5"} 2
            federation_test_latency_milliseconds_bucket{le="10"} 2
            federation_test_latency_milliseconds_bucket{le="25"} 2
            federation_test_latency_milliseconds_bucket{le="50"} 2
            federation_test_latency_milliseconds_bucket{le="100"} 2
            federation_test_latency_milliseconds_bucket{le="250"} 2
            federation_test_latency_milliseconds_bucket{le="500"} 2
            federation_test_latency_milliseconds_bucket{le="1000"} 2
            federation_test_latency_milliseconds_bucket{le="2500"} 2
            federation_test_latency_milliseconds_bucket{le="5000"} 2
            federation_test_latency_milliseconds_bucket{le="10000"} 2
            federation_test_latency_milliseconds_bucket{le="+Inf"} 3
            federation_test_latency_milliseconds_sum 20004.3
            federation_test_latency_milliseconds_count 3
            # HELP federation_test_level Level
            # TYPE federation_test_level gauge
            federation_test_level 7

            """.ReplaceLineEndings("\n"),
            text);
        level = 9;
        Assert.Contains("federation_test_level 9\n", WithoutOrleans(exporter.Render()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tags_in_any_order_share_one_series_and_concurrent_measurements_all_count()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        using var exporter = new PrometheusExporter(factory);
        var meter = factory.Create("Federation.Test");
        var histogram = meter.CreateHistogram<double>("federation.test.latency", "ms", "Latency");
        var grain = new KeyValuePair<string, object?>("grain", "job");
        var method = new KeyValuePair<string, object?>("method", "submit");
        using var start = new Barrier(4);

        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < 10_000; i++)
            {
                if (t % 2 == 0)
                {
                    histogram.Record(1, grain, method);
                }
                else
                {
                    histogram.Record(1, method, grain);
                }
            }
        })));

        var text = exporter.Render();
        Assert.Contains("federation_test_latency_milliseconds_count{grain=\"job\",method=\"submit\"} 40000\n", text, StringComparison.Ordinal);
        Assert.Contains("federation_test_latency_milliseconds_sum{grain=\"job\",method=\"submit\"} 40000\n", text, StringComparison.Ordinal);
        Assert.Contains("federation_test_latency_milliseconds_bucket{grain=\"job\",method=\"submit\",le=\"1\"} 40000\n", text, StringComparison.Ordinal);
        Assert.Single(text.Split('\n'), l => l.StartsWith("federation_test_latency_milliseconds_count", StringComparison.Ordinal));
    }

    [Fact]
    public void Federation_meters_of_another_host_are_not_exported_and_Orleans_meter_is_whoever_created_it()
    {
        using var mine = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var theirs = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var exporter = new PrometheusExporter(mine.GetRequiredService<IMeterFactory>());

        theirs.GetRequiredService<IMeterFactory>().Create("Federation.Grains").CreateCounter<long>("federation.test.theirs").Add(1);
        theirs.GetRequiredService<IMeterFactory>().Create(PrometheusExporter.OrleansMeter).CreateCounter<long>("orleans-test-any-host").Add(3);

        var text = exporter.Render();
        Assert.Equal("", WithoutOrleans(text));
        Assert.Contains("\norleans_test_any_host_total 3\n", text, StringComparison.Ordinal);
    }

    /// <summary>
    /// The text without the families of Orleans' meter: that meter is one per process, so it holds whatever the silos
    /// other tests started in this process have recorded.
    /// </summary>
    private static string WithoutOrleans(string text) =>
        string.Concat(text.Split('\n').SkipLast(1).Where(l => !MetricOf(l).StartsWith("orleans_", StringComparison.Ordinal)).Select(l => l + "\n"));

    private static string MetricOf(string line) =>
        line.StartsWith('#') ? line.Split(' ')[2] : line.Split('{', ' ')[0];
}

namespace Federation.Server.Tests.Metrics;

/// <summary>
/// The Prometheus binaries the metrics tests drive: <c>FEDERATION_TEST_PROMETHEUS</c> (set by <c>eng/test.sh</c>), else
/// Debian's <c>/usr/bin/prometheus</c>; <c>promtool</c> comes beside it in the same package. A missing binary fails the
/// test with the command that installs it, never skips it.
/// </summary>
internal static class PrometheusTools
{
    public static string Prometheus
    {
        get
        {
            var path = Environment.GetEnvironmentVariable("FEDERATION_TEST_PROMETHEUS");
            if (string.IsNullOrEmpty(path))
            {
                path = "/usr/bin/prometheus";
            }

            Assert.True(File.Exists(path), $"Prometheus is not installed ({path} is missing): run eng/ensure-tools.sh, or set FEDERATION_TEST_PROMETHEUS to a prometheus binary.");
            return path;
        }
    }

    public static string Promtool
    {
        get
        {
            var path = Path.Combine(Path.GetDirectoryName(Prometheus)!, "promtool");
            Assert.True(File.Exists(path), $"promtool is not installed beside {Prometheus}: run eng/ensure-tools.sh (Debian's prometheus package has both).");
            return path;
        }
    }
}

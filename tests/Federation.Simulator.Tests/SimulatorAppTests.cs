using System.Text.Json;

namespace Federation.Simulator.Tests;

public sealed class SimulatorAppTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("simtest").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string WriteTrace(int jobs, int seed)
    {
        var rng = new Random(seed);
        var path = Path.Combine(_dir, "trace.csv");
        using var w = new StreamWriter(path);
        w.WriteLine("job_id,submit_time_s,gpus,duration_s,gpu_type,tenant,original_queue_s,status");
        var t = 0;
        int[] sizes = [1, 1, 1, 2, 4, 8, 8, 16, 32];
        for (var i = 0; i < jobs; i++)
        {
            t += rng.Next(0, 120);
            w.WriteLine($"t{i},{t},{sizes[rng.Next(sizes.Length)]},{rng.Next(10, 20000)},,u{rng.Next(12)},,completed");
        }

        return path;
    }

    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = await SimulatorApp.RunAsync(args, o, e, CancellationToken.None);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public async Task Writes_the_summary_shape_of_issue_5_jobs_csv_per_policy_and_a_self_contained_report()
    {
        var trace = WriteTrace(3000, 1);
        var outDir = Path.Combine(_dir, "out");
        var (code, _, err) = await Run("--trace", trace, "--out", outDir, "--seed", "3");

        Assert.Equal(0, code);
        Assert.Contains("100.0 %", err, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        var root = doc.RootElement;
        var mega = root.GetProperty("megaregion");
        var total = mega.GetProperty("totalAccelerators").GetInt32();
        Assert.Equal(total, mega.GetProperty("regions").EnumerateObject().Sum(p => p.Value.GetInt32()));
        Assert.Equal(["gwangju", "suncheon", "gwangyang", "daegu"], mega.GetProperty("regions").EnumerateObject().Select(p => p.Name).ToArray());
        var policies = root.GetProperty("policies");
        Assert.Equal(SimPolicies.All.Select(SimPolicies.Name).ToArray(), policies.EnumerateObject().Select(p => p.Name).ToArray());
        foreach (var p in policies.EnumerateObject())
        {
            foreach (var field in new[] { "meanWaitS", "p95WaitS", "p99WaitS", "meanJctS", "overflowJobs", "dataMovedTB", "violations", "gapClosure" })
            {
                Assert.True(p.Value.TryGetProperty(field, out _), $"{p.Name}.{field} missing");
            }

            Assert.Equal(0, p.Value.GetProperty("violations").GetInt32());
            Assert.Equal(JsonValueKind.Object, p.Value.GetProperty("utilization").ValueKind);
            Assert.Equal(3001, File.ReadLines(Path.Combine(outDir, $"jobs-{p.Name}.csv")).Count());
        }

        Assert.Equal(0.0, policies.GetProperty("isolated").GetProperty("gapClosure").GetDouble());
        Assert.Equal(1.0, policies.GetProperty("pooled").GetProperty("gapClosure").GetDouble());
        var html = File.ReadAllText(Path.Combine(outDir, "report.html"));

        // One CDF chart, one utilization chart per policy, one flow diagram per federated policy (not isolated or pooled).
        Assert.Equal(1 + 6 + 4, html.Split("<svg ").Length - 1);
        Assert.Contains("Queueing delay CDF", html, StringComparison.Ordinal);
        Assert.Contains("Utilization over time per region", html, StringComparison.Ordinal);
        Assert.Contains("Overflow flows between regions", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script src", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<link", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_seed_gives_byte_identical_outputs()
    {
        var trace = WriteTrace(2000, 2);
        var a = Path.Combine(_dir, "a");
        var b = Path.Combine(_dir, "b");
        Assert.Equal(0, (await Run("--trace", trace, "--out", a, "--seed", "9", "--no-progress")).Code);
        Assert.Equal(0, (await Run("--trace", trace, "--out", b, "--seed", "9", "--no-progress", "--parallel", "1")).Code);

        foreach (var f in Directory.GetFiles(a))
        {
            var name = Path.GetFileName(f);
            var textA = File.ReadAllText(f).Replace(a, "", StringComparison.Ordinal).Replace(" --parallel 1", "", StringComparison.Ordinal);
            var textB = File.ReadAllText(Path.Combine(b, name)).Replace(b, "", StringComparison.Ordinal).Replace(" --parallel 1", "", StringComparison.Ordinal);
            Assert.True(textA == textB, $"{name} differs between runs");
        }
    }

    [Fact]
    public async Task Reclaim_runs_are_byte_identical_too_and_report_the_flag_preemptions_and_home_regions()
    {
        var trace = WriteTrace(2000, 4);
        var a = Path.Combine(_dir, "ra");
        var b = Path.Combine(_dir, "rb");
        string[] common = ["--trace", trace, "--seed", "9", "--no-progress", "--load-scale", "3", "--reclaim", "on", "--policies", "isolated,earliest-start,pooled"];
        Assert.Equal(0, (await Run([.. common, "--out", a])).Code);
        Assert.Equal(0, (await Run([.. common, "--out", b])).Code);
        foreach (var f in Directory.GetFiles(a))
        {
            var name = Path.GetFileName(f);
            var textA = File.ReadAllText(f).Replace(a, "", StringComparison.Ordinal);
            var textB = File.ReadAllText(Path.Combine(b, name)).Replace(b, "", StringComparison.Ordinal);
            Assert.True(textA == textB, $"{name} differs between runs");
        }

        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(a, "summary.json")));
        var root = doc.RootElement;
        Assert.Equal("on", root.GetProperty("run").GetProperty("reclaim").GetString());
        var es = root.GetProperty("policies").GetProperty("earliest-start");
        Assert.Equal(es.GetProperty("preemptions").GetInt32(), es.GetProperty("preemptionsByRegion").EnumerateObject().Sum(p => p.Value.GetInt32()));
        Assert.Equal(0, es.GetProperty("violations").GetInt32());
        var homes = es.GetProperty("homeRegions");
        Assert.Equal(["gwangju", "suncheon", "gwangyang", "daegu"], homes.EnumerateObject().Select(p => p.Name).ToArray());
        var iso = root.GetProperty("policies").GetProperty("isolated").GetProperty("homeRegions");
        foreach (var h in homes.EnumerateObject())
        {
            var diff = h.Value.GetProperty("meanWaitS").GetDouble() - iso.GetProperty(h.Name).GetProperty("meanWaitS").GetDouble();
            Assert.Equal(Math.Round(diff, 6), h.Value.GetProperty("meanWaitVsIsolatedS").GetDouble(), 5);
        }

        Assert.Contains("Wait by home region", File.ReadAllText(Path.Combine(a, "report.html")), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--load-scale", "-1", "--load-scale must be a positive number")]
    [InlineData("--capacity-scale", "lots", "--capacity-scale must be a positive number or 'auto'")]
    [InlineData("--seed", "x", "--seed must be an integer")]
    [InlineData("--estimate-factor", "0", "--estimate-factor must be a positive number, was '0'")]
    [InlineData("--synthetic", "1.5", "--synthetic must be a positive integer, was '1.5'")]
    [InlineData("--policies", "isolated,fastest", "--policies: unknown policy 'fastest'")]
    [InlineData("--reclaim", "yes", "--reclaim must be 'on' or 'off', was 'yes'")]
    [InlineData("--bogus", "1", "unknown argument '--bogus'")]
    public async Task A_bad_argument_is_named(string flag, string value, string expected)
    {
        var (code, _, err) = await Run("--trace", "t.csv", "--out", _dir, flag, value);
        Assert.Equal(2, code);
        Assert.Contains(expected, err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_out_and_trace_are_named()
    {
        Assert.Contains("--out is required", (await Run("--trace", "t.csv")).Err, StringComparison.Ordinal);
        Assert.Contains("--trace is required", (await Run("--out", _dir)).Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Synthetic_resamples_the_requested_number_of_jobs()
    {
        var trace = WriteTrace(500, 4);
        var outDir = Path.Combine(_dir, "syn");
        var (code, _, _) = await Run("--trace", trace, "--synthetic", "5000", "--policies", "isolated,earliest-start", "--no-progress", "--out", outDir);
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        Assert.Equal(5000, doc.RootElement.GetProperty("run").GetProperty("jobs").GetInt32());
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("policies").GetProperty("earliest-start").GetProperty("gapClosure").ValueKind);
        Assert.Equal(5001, File.ReadLines(Path.Combine(outDir, "jobs-earliest-start.csv")).Count());
    }

    [Fact]
    public async Task A_bad_megaregion_file_is_reported_with_the_field()
    {
        var trace = WriteTrace(10, 5);
        var mega = Path.Combine(_dir, "mega.json");
        File.WriteAllText(mega, "{\"regions\": [{\"id\": \"x\", \"pools\": [{\"type\": \"H100\", \"count\": -4, \"pfPerUnit\": 1, \"memoryGb\": 80}]}]}");
        var (code, _, err) = await Run("--trace", trace, "--megaregion", mega, "--out", _dir);
        Assert.Equal(3, code);
        Assert.Contains("regions[0].pools[0].count must be > 0", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_input_files_are_named_with_their_flag()
    {
        var trace = WriteTrace(10, 6);
        Assert.Contains("--trace: file", (await Run("--trace", Path.Combine(_dir, "nope.csv"), "--out", _dir)).Err, StringComparison.Ordinal);
        var (code, _, err) = await Run("--trace", trace, "--megaregion", Path.Combine(_dir, "nope.json"), "--out", _dir);
        Assert.Equal(3, code);
        Assert.Contains("--megaregion: file", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_trace_row_is_reported_with_line_and_column()
    {
        var path = Path.Combine(_dir, "bad.csv");
        File.WriteAllText(path, "job_id,submit_time_s,gpus,duration_s,gpu_type,tenant,original_queue_s,status\na,0,1,5,,u,,completed\nb,1,-2,5,,u,,completed\n");
        var (code, _, err) = await Run("--trace", path, "--out", _dir);
        Assert.Equal(3, code);
        Assert.Contains("line 3, column 'gpus'", err, StringComparison.Ordinal);
    }
}

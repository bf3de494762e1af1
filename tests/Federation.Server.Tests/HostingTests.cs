using System.Net;
using Federation.Contracts;
using Federation.Scheduling;
using Federation.Server.Hosting;
using Federation.Storage;
using Federation.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Federation.Server.Tests;

/// <summary>Command line, options, the scaled clock and the SQLite default.</summary>
public sealed class HostingTests
{
    [Fact]
    public void Flags_map_onto_the_Federation_section()
    {
        var args = FederationServer.TranslateArgs(["--storage", "memory", "--time-scale=60", "--demo", "--urls", "http://127.0.0.1:6000", "--megaregion", "m.json", "--connection", "x.db", "--silo-port", "21001", "--gateway-port=21002"]);

        Assert.Equal(
            ["--Federation:Storage=memory", "--Federation:TimeScale=60", "--Federation:Demo=true", "--urls", "http://127.0.0.1:6000", "--Federation:Megaregion=m.json", "--Federation:Connection=x.db", "--Federation:SiloPort=21001", "--Federation:GatewayPort=21002"],
            args);
    }

    [Fact]
    public void A_flag_without_its_value_is_refused_with_usage()
    {
        var e = Assert.Throws<ArgumentException>(() => FederationServer.TranslateArgs(["--storage"]));

        Assert.Contains("--storage needs a value", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--time-scale", "0", "Federation:TimeScale (--time-scale) must be > 0")]
    [InlineData("--time-scale", "-5", "Federation:TimeScale (--time-scale) must be > 0")]
    [InlineData("--demo-rate", "0", "Federation:DemoJobsPerSecond must be > 0")]
    [InlineData("--silo-port", "0", "Federation:SiloPort (--silo-port) must be a TCP port from 1 to 65535, not 0.")]
    [InlineData("--gateway-port", "70000", "Federation:GatewayPort (--gateway-port) must be a TCP port from 1 to 65535, not 70000.")]
    [InlineData("--gateway-port", "11111", "Federation:SiloPort (--silo-port) and Federation:GatewayPort (--gateway-port) must differ (both are 11111).")]
    public void A_bad_option_fails_naming_it(string flag, string value, string message)
    {
        var e = Assert.Throws<OptionsValidationException>(() => FederationServer.CreateBuilder(["--storage", "memory", flag, value]));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--storage", "sqlite", "--region", "daegu" }, "Federation:Region (--region) makes this server one silo of a cluster, whose membership and state are in PostgreSQL: set Federation:Storage (--storage) to postgres (not sqlite)")]
    [InlineData(new[] { "--storage", "postgres", "--connection", "Host=db", "--region", "daegu", "--cluster-id", "Mega Region" }, "Federation:ClusterId (--cluster-id) must be lower-case letters, digits and '-' (at most 63, not starting with '-'), not 'Mega Region'.")]
    [InlineData(new[] { "--storage", "postgres", "--connection", "Host=db", "--region", "daegu", "--advertise-address", "0.0.0.0" }, "Federation:AdvertiseAddress (--advertise-address) must be the IP address other silos reach this one at (e.g. 10.0.0.5), not '0.0.0.0'.")]
    [InlineData(new[] { "--storage", "postgres", "--connection", "Host=db", "--region", "busan" }, "Federation:Region (--region) must be one of the megaregion's regions (gwangju, suncheon, gwangyang, daegu), not 'busan'.")]
    [InlineData(new[] { "--storage", "memory", "--Federation:Kubernetes=true" }, "Federation:Kubernetes applies to a cluster only: set Federation:Region (--region) to the region this silo runs.")]
    public void A_bad_cluster_option_fails_naming_it(string[] args, string message)
    {
        var e = Assert.Throws<OptionsValidationException>(() => FederationServer.CreateBuilder(args));
        Assert.Contains(e.Failures, f => f.StartsWith(message, StringComparison.Ordinal));
    }

    [Fact]
    public void A_region_on_Slurm_without_its_settings_fails_naming_every_key()
    {
        var e = Assert.Throws<OptionsValidationException>(() => FederationServer.CreateBuilder(
            ["--storage", "memory", "--Federation:Regions:daegu:Executor=slurm", "--Federation:Regions:daegu:Slurm:User=root", "--Federation:Regions:busan:Executor=slurm"]));

        Assert.Contains(e.Failures, f => f.StartsWith("Federation:Regions:busan names no region of the megaregion", StringComparison.Ordinal));
        Assert.Contains(e.Failures, f => f.StartsWith("Federation:Regions:daegu:Slurm:Url must be slurmrestd's http(s) address", StringComparison.Ordinal));
        Assert.Contains("Federation:Regions:daegu:Slurm:User must not be 'root': jobs never run as root or as Slurm's own user.", e.Failures);
        Assert.Contains(e.Failures, f => f.StartsWith("Federation:Regions:daegu:Slurm:Token (the user's slurmrestd token", StringComparison.Ordinal));
        foreach (var type in new[] { "H100", "NPU-Rebellions-ATOM", "NPU-FuriosaAI-RNGD" })
        {
            Assert.Contains(e.Failures, f => f.StartsWith($"Federation:Regions:daegu:Slurm:Gres:{type} must say how Slurm names", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void A_region_on_Slurm_runs_in_real_time_only()
    {
        var e = Assert.Throws<OptionsValidationException>(() => FederationServer.CreateBuilder(
            [
                "--storage", "memory", "--demo",
                "--Federation:Regions:gwangyang:Executor=slurm", "--Federation:Regions:gwangyang:Slurm:Url=http://127.0.0.1:6820",
                "--Federation:Regions:gwangyang:Slurm:User=fedjobs", "--Federation:Regions:gwangyang:Slurm:Token=t",
                "--Federation:Regions:gwangyang:Slurm:Gres:H100=gpu:h100",
            ]));

        Assert.Equal(
            ["Federation:Regions:gwangyang:Executor is slurm, which runs real jobs in real time: Federation:TimeScale (--time-scale, --demo) must be 1, not 600."],
            e.Failures);
    }

    [Theory]
    [InlineData("oracle")]
    [InlineData("2")]
    public void A_bad_storage_kind_fails_naming_the_option_and_the_accepted_values(string value)
    {
        var e = Assert.Throws<OptionsValidationException>(() => FederationServer.CreateBuilder(["--storage", value]));

        Assert.Contains($"Federation:Storage (--storage) must be sqlite, memory or postgres, not '{value}'.", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("postgres", StorageKind.Postgres)]
    [InlineData("PostgreS", StorageKind.Postgres)]
    [InlineData("memory", StorageKind.Memory)]
    public void The_storage_flag_binds_case_insensitively(string value, StorageKind expected)
    {
        FederationServerOptions? bound = null;
        var builder = FederationServer.CreateBuilder(["--storage", value, "--connection", "Host=db;Database=d"], o => bound = o);

        Assert.NotNull(builder);
        Assert.Equal(expected, bound!.Storage);
    }

    [Fact]
    public void A_bad_megaregion_file_fails_naming_the_field()
    {
        var path = Path.Combine(Path.GetTempPath(), $"megaregion-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{"regions": [{"id": "x", "name": "X", "storagePb": 1, "pools": [{"type": "H100", "count": 0, "pfPerUnit": 0.1, "memoryGb": 80}]}], "links": []}""");
        try
        {
            var e = Assert.Throws<MegaregionFormatException>(() => FederationServer.CreateBuilder(["--storage", "memory", "--megaregion", path]));

            Assert.Contains("regions[0].pools[0].count", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_missing_megaregion_file_fails_naming_the_path()
    {
        var e = Assert.Throws<MegaregionFormatException>(() => FederationServer.CreateBuilder(["--storage", "memory", "--megaregion", "/nonexistent/m.json"]));

        Assert.Contains("/nonexistent/m.json", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_storage_description_never_shows_the_connection_string()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"fed-{Guid.NewGuid():N}");
        var settings = ServerSettings.Resolve(new FederationServerOptions { Connection = $"Data Source={folder}/s.db;Password=hunter2" });

        Assert.Equal($"sqlite ({folder}/s.db (grain state: {folder}/s.orleans.db))", settings.StorageDescription);
        Assert.DoesNotContain("hunter2", settings.StorageDescription, StringComparison.Ordinal);
        Assert.True(Directory.Exists(folder));
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void The_demo_defaults_to_600x_time_and_an_explicit_scale_wins()
    {
        Assert.Equal(1, new FederationServerOptions().EffectiveTimeScale);
        Assert.Equal(600, new FederationServerOptions { Demo = true }.EffectiveTimeScale);
        Assert.Equal(5, new FederationServerOptions { Demo = true, TimeScale = 5 }.EffectiveTimeScale);
    }

    [Fact]
    public void Scaled_time_runs_N_times_faster_than_the_inner_clock()
    {
        var inner = new ManualTimeProvider();
        var scaled = new ScaledTimeProvider(inner, 60);
        var start = scaled.GetUtcNow();
        var startTimestamp = scaled.GetTimestamp();

        inner.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(inner.Start, start);
        Assert.Equal(TimeSpan.FromMinutes(10), scaled.GetUtcNow() - start);
        Assert.Equal(TimeSpan.FromMinutes(10), scaled.GetElapsedTime(startTimestamp));
    }

    [Fact]
    public void A_scaled_timer_due_in_an_hour_fires_after_an_hour_divided_by_the_scale()
    {
        var inner = new ManualTimeProvider();
        var scaled = new ScaledTimeProvider(inner, 600);
        var fired = 0;
        using var timer = scaled.CreateTimer(_ => fired++, null, TimeSpan.FromHours(1), Timeout.InfiniteTimeSpan);

        inner.Advance(TimeSpan.FromSeconds(5.999));
        var before = fired;
        inner.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(0, before);
        Assert.Equal(1, fired);
        Assert.True(timer.Change(TimeSpan.FromMinutes(10), Timeout.InfiniteTimeSpan));
        inner.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, fired);
    }

    [Fact]
    public async Task With_SQLite_a_job_survives_a_restart_of_the_server()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"fed-{Guid.NewGuid():N}");
        var file = Path.Combine(folder, "federation.db");
        try
        {
            await using (var first = await ServerHost.StartAsync(null, "--storage", "sqlite", "--connection", file))
            {
                using var response = await first.PostJsonAsync("api/jobs", Jobs.Request("durable-1").ToJsonString());
                Assert.Equal(HttpStatusCode.Created, response.StatusCode);
                var health = await first.GetJsonAsync("health");
                Assert.Equal("Healthy", health["status"]!.GetValue<string>());
                Assert.Equal("sqlite", health["storage"]!.GetValue<string>());
                Assert.Equal($"{file} (grain state: {Path.Combine(folder, "federation.orleans.db")})", health["database"]!.GetValue<string>());
            }

            Assert.True(File.Exists(file));
            Assert.True(File.Exists(Path.Combine(folder, "federation.orleans.db")));
            await using var second = await ServerHost.StartAsync(null, "--storage", "sqlite", "--connection", file);
            var job = await ServerHost.ReadAsync<JobView>(await second.Client.GetAsync("api/jobs/durable-1"));

            Assert.Equal("durable-1", job.Id);
            Assert.Equal("gwangju", job.Region);
            using var repeat = await second.PostJsonAsync("api/jobs", Jobs.Request("durable-1").ToJsonString());
            Assert.Equal(HttpStatusCode.OK, repeat.StatusCode);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData(new string[0], false)]
    [InlineData(new[] { "--Federation:Reclaim=true" }, true)]
    public async Task Federation_Reclaim_reaches_the_grains_off_by_default_and_the_region_view_counts_preemptions(string[] args, bool reclaim)
    {
        await using var server = await ServerHost.StartAsync(null, ["--storage", "memory", .. args]);

        Assert.Equal(reclaim, server.Services.GetRequiredService<IOptions<Federation.Grains.Hosting.FederationGrainsOptions>>().Value.Reclaim);
        Assert.Equal(reclaim, server.Services.GetRequiredService<IOptions<Federation.Grains.Hosting.FederationGrainsOptions>>().Value.Scheduler.Reclaim);
        var region = await server.GetJsonAsync("api/regions/suncheon");
        Assert.Equal(0, region["preemptions"]!.GetValue<long>());
    }
}

using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Federation.Contracts;
using Federation.Grains.Execution.Slurm;
using Federation.Server;
using Federation.Server.Hosting;
using Federation.Storage;
using Federation.TestKit;
using Federation.TestKit.Net;
using Federation.TestKit.Slurm;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Federation.Slurm.Tests;

/// <summary>
/// The real server in process (memory storage, Kestrel on loopback, the wall clock) with some regions running their jobs
/// on real Slurm clusters of the test's own, configured as an operator would (<c>Federation:Regions:&lt;id&gt;</c>). It is
/// started with the test bootstrap token, which <see cref="Client"/> sends.
/// </summary>
public sealed class SlurmServer : IAsyncDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly WebApplication _app;

    private SlurmServer(WebApplication app)
    {
        _app = app;
        BaseAddress = new Uri(app.Urls.Single(u => u.StartsWith("http://127.0.0.1:", StringComparison.Ordinal)) + "/");
        Client = new HttpClient { BaseAddress = BaseAddress }.AsCoordinator();
    }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    /// <summary>How a region reaches <paramref name="cluster"/>; pools are read from Slurm's nodes only when <paramref name="capacityRefresh"/> is set.</summary>
    public static RegionExecution Slurm(SlurmCluster cluster, TimeSpan capacityRefresh = default, TimeSpan? pendingReportAfter = null, params (string Pool, string Gres)[] gres)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        var options = new SlurmOptions
        {
            Url = cluster.RestUrl,
            User = cluster.User,
            Token = cluster.Token,
            Partition = cluster.Partition,
            WorkingDirectory = cluster.WorkDirectory,
            PollPeriod = TimeSpan.FromMilliseconds(200),
            PendingReportAfter = pendingReportAfter ?? TimeSpan.FromSeconds(30),
            CapacityRefresh = capacityRefresh,
        };
        foreach (var (pool, name) in gres.Length > 0 ? gres : [("H100", "gpu:h100")])
        {
            options.Gres[pool] = name;
        }

        return new RegionExecution { Executor = ExecutorKind.Slurm, Slurm = options };
    }

    public static async Task<SlurmServer> StartAsync(IReadOnlyDictionary<string, RegionExecution> regions, Action<FederationServerOptions>? configure = null)
    {
        var builder = FederationServer.CreateBuilder(
            [
                "--urls", "http://127.0.0.1:0",
                "--silo-port", FreePorts.Next().ToString(CultureInfo.InvariantCulture),
                "--gateway-port", FreePorts.Next().ToString(CultureInfo.InvariantCulture),
                TestTokens.BootstrapArgument,
            ],
            o =>
            {
                o.Storage = StorageKind.Memory;
                foreach (var (id, execution) in regions)
                {
                    o.Regions[id] = execution;
                }

                configure?.Invoke(o);
            });
        builder.Logging.ClearProviders();
        var app = FederationServer.Build(builder);
        await app.StartAsync();
        return new SlurmServer(app);
    }

    /// <summary>A job request with a script, pinned to <paramref name="allowed"/> when given.</summary>
    public static JobRequest Job(string id, string home, string script, int gpus = 2, string[]? allowed = null, double hours = 0.05) => new()
    {
        Id = id,
        Project = "slurm-tests",
        Owner = "kim",
        HomeRegion = home,
        Accelerators = new AcceleratorRequest { Count = gpus, Types = ["H100"] },
        DurationHours = hours,
        AllowedRegions = allowed is null ? [] : [.. allowed],
        Run = new JobRun { Script = script },
    };

    public async Task<JobView> SubmitAsync(object request)
    {
        using var response = await Client.PostAsJsonAsync("api/jobs", request, Json);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST api/jobs: {(int)response.StatusCode} {body}");
        return JsonSerializer.Deserialize<JobView>(body, Json)!;
    }

    public async Task<JobView> JobAsync(string id) => (await Client.GetFromJsonAsync<JobView>($"api/jobs/{id}", Json))!;

    public async Task<RegionView> RegionAsync(string id) => (await Client.GetFromJsonAsync<RegionView>($"api/regions/{id}", Json))!;

    /// <summary>Waits until the job satisfies <paramref name="condition"/> (Slurm runs it in real time), failing with its last view.</summary>
    public async Task<JobView> WaitAsync(string id, Func<JobView, bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        JobView job;
        do
        {
            job = await JobAsync(id);
            if (condition(job))
            {
                return job;
            }

            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Fail($"{what}: job {id} is {job.State} in {job.Region} ({job.Reason}); history: {string.Join(" | ", job.History.Select(e => $"{e.Kind} {e.Region} {e.Message}"))}");
        return job;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

using System.Globalization;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Federation.Server.Hosting;
using Federation.Storage;
using Federation.TestKit;
using Federation.TestKit.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Federation.Server.Tests;

/// <summary>
/// The real server, in process, with Kestrel on 127.0.0.1 and an ephemeral port, and an HttpClient that
/// talks to it over loopback. Jobs execute on a manual clock, so nothing finishes unless a test advances it.
/// Each server's silo and gateway get ports of their own (Orleans cannot bind port 0), so servers started by
/// tests running in parallel never collide.
/// </summary>
public sealed class ServerHost : IAsyncDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>How many times a start is tried, on fresh silo and gateway ports each time, when a port was taken meanwhile.</summary>
    private const int MaxPortAttempts = 3;

    private readonly WebApplication _app;

    private ServerHost(WebApplication app, ManualTimeProvider clock)
    {
        _app = app;
        Clock = clock;
        BaseAddress = new Uri(app.Urls.Single(u => u.StartsWith("http://127.0.0.1:", StringComparison.Ordinal)) + "/");
        Client = new HttpClient { BaseAddress = BaseAddress }.AsCoordinator();
    }

    /// <summary>A client with no token (anonymous), or with <paramref name="token"/>.</summary>
    public HttpClient NewClient(string? token = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = TestTokens.Header(token);
        }

        return client;
    }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public ManualTimeProvider Clock { get; }

    public IServiceProvider Services => _app.Services;

    public static Task<ServerHost> StartAsync(Action<FederationServerOptions>? configure = null, params string[] args) =>
        StartAsync(configure, logs: null, args);

    /// <summary>Starts the server; <paramref name="logs"/>, when given, receives every log entry (all levels).</summary>
    public static Task<ServerHost> StartAsync(Action<FederationServerOptions>? configure, ILoggerProvider? logs, params string[] args) =>
        StartAsync(new ManualTimeProvider(), configure, logs, args);

    /// <summary>Starts the server on <paramref name="clock"/> as its wall clock (a restart later in wall time).</summary>
    public static async Task<ServerHost> StartAsync(ManualTimeProvider clock, Action<FederationServerOptions>? configure, ILoggerProvider? logs, params string[] args)
    {
        for (var attempt = 1; ; attempt++)
        {
            var builder = FederationServer.CreateBuilder(
                ["--urls", "http://127.0.0.1:0", .. OrleansPorts(), TestTokens.BootstrapArgument, .. args],
                o =>
                {
                    if (!args.Contains("--storage"))
                    {
                        o.Storage = StorageKind.Memory;
                    }

                    configure?.Invoke(o);
                },
                clock);
            builder.Logging.ClearProviders();
            if (logs is not null)
            {
                builder.Logging.SetMinimumLevel(LogLevel.Trace).AddFilter(_ => true).AddProvider(logs);
            }

            var app = FederationServer.Build(builder);
            try
            {
                await app.StartAsync();
                return new ServerHost(app, clock);
            }
            catch (Exception e) when (attempt < MaxPortAttempts && IsAddressInUse(e))
            {
                // A port free when it was chosen was taken before the silo bound it (an outgoing connection of this
                // process, e.g. to PostgreSQL, gets its local port from the same range): start again on other ports.
                await app.DisposeAsync();
            }
        }
    }

    private static bool IsAddressInUse(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Free loopback ports for the silo and the gateway of one server.</summary>
    public static string[] OrleansPorts() =>
        ["--silo-port", FreePorts.Next().ToString(CultureInfo.InvariantCulture), "--gateway-port", FreePorts.Next().ToString(CultureInfo.InvariantCulture)];

    public async Task<JsonNode> GetJsonAsync(string path)
    {
        using var response = await Client.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    /// <summary>
    /// What a bad request must not change: every region, the megaregion (without its clock reading) and the
    /// job list. Regions report their load to the megaregion asynchronously (one-way, rate-limited), so this
    /// first waits, bounded, until the megaregion's view agrees with every region.
    /// </summary>
    public async Task<string> SnapshotAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var regions = (await GetJsonAsync("api/regions")).AsArray();
            var megaregion = (JsonObject)await GetJsonAsync("api/megaregion");
            if (Agrees(regions, megaregion) || DateTime.UtcNow > deadline)
            {
                megaregion.Remove("at");
                using var jobs = await Client.GetAsync("api/jobs?limit=1000");
                return regions.ToJsonString() + megaregion.ToJsonString()
                    + (jobs.IsSuccessStatusCode ? await jobs.Content.ReadAsStringAsync() : ((int)jobs.StatusCode).ToString(CultureInfo.InvariantCulture));
            }

            await Task.Delay(20);
        }
    }

    private static bool Agrees(JsonArray regions, JsonObject megaregion)
    {
        var loads = megaregion["regions"]!.AsArray().ToDictionary(r => r!["id"]!.GetValue<string>());
        foreach (var region in regions)
        {
            var id = region!["id"]!.GetValue<string>();
            var busy = region["pools"]!.AsArray().Sum(p => p!["busy"]!.GetValue<int>());
            if (!loads.TryGetValue(id, out var load)
                || load!["busy"]!.GetValue<int>() != busy
                || load["queuedJobs"]!.GetValue<int>() != region["queuedJobs"]!.GetValue<int>()
                || load["queuedDemand"]!.GetValue<long>() != region["queuedDemand"]!.GetValue<long>())
            {
                return false;
            }
        }

        return true;
    }

    public Task<HttpResponseMessage> PostJsonAsync(string path, string json) =>
        Client.PostAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

    public Task<HttpResponseMessage> PutJsonAsync(string path, string json) =>
        Client.PutAsync(path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

    public static async Task<T> ReadAsync<T>(HttpResponseMessage response) => (await response.Content.ReadFromJsonAsync<T>(Json))!;

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

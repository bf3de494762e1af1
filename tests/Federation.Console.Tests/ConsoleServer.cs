using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Federation.Server;
using Federation.Server.Hosting;
using Federation.Storage;
using Federation.TestKit;
using Federation.TestKit.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Federation.Console.Tests;

/// <summary>
/// The real server in process (memory storage, Kestrel on 127.0.0.1 and an ephemeral port) for the browser to load.
/// Jobs execute on a manual clock, so a job's state stays what the test made it. The server takes the bootstrap
/// coordinator token (<see cref="TestTokens.Bootstrap"/>), which <see cref="Client"/> sends.
/// </summary>
public sealed class ConsoleServer : IAsyncDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly WebApplication _app;

    private ConsoleServer(WebApplication app, ManualTimeProvider clock)
    {
        _app = app;
        Clock = clock;
        BaseAddress = new Uri(app.Urls.Single(u => u.StartsWith("http://127.0.0.1:", StringComparison.Ordinal)) + "/");
        Client = new HttpClient { BaseAddress = BaseAddress }.AsCoordinator();
    }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public ManualTimeProvider Clock { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Starts a server; <paramref name="args"/> are the server's own flags.</summary>
    public static async Task<ConsoleServer> StartAsync(Action<FederationServerOptions>? configure = null, params string[] args)
    {
        var clock = new ManualTimeProvider();
        var builder = FederationServer.CreateBuilder(
            [
                "--urls", "http://127.0.0.1:0",
                "--silo-port", FreePorts.Next().ToString(CultureInfo.InvariantCulture),
                "--gateway-port", FreePorts.Next().ToString(CultureInfo.InvariantCulture),
                TestTokens.BootstrapArgument,
                .. args,
            ],
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
        var app = FederationServer.Build(builder);
        await app.StartAsync();
        return new ConsoleServer(app, clock);
    }

    /// <summary>Submits a job through the API (not the browser); fails the test on any answer but 201.</summary>
    public async Task<JsonElement> SubmitAsync(object request)
    {
        using var response = await Client.PostAsJsonAsync("api/jobs", request, Json);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"POST api/jobs: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Issues a token through the API (<c>POST /api/tokens</c>, as the coordinator); fails the test on any answer but 201.</summary>
    public async Task<string> IssueTokenAsync(object request)
    {
        using var response = await Client.PostAsJsonAsync("api/tokens", request, Json);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"POST api/tokens: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("token").GetString()!;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

using Federation.Server;
using Federation.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Federation.Cli.Tests;

/// <summary>The real server in process on 127.0.0.1 with an ephemeral port and in-memory state; jobs never finish (time scale 1, hours-long jobs).</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private WebApplication _app = null!;

    public string Url { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var builder = FederationServer.CreateBuilder(["--urls", "http://127.0.0.1:0"], o => o.Storage = StorageKind.Memory);
        builder.Logging.ClearProviders();
        _app = FederationServer.Build(builder);
        await _app.StartAsync();
        Url = _app.Urls.Single();
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>One fedctl run: exit code and what it printed.</summary>
public sealed record FedctlRun(int ExitCode, string Out, string Error)
{
    public static async Task<FedctlRun> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await Fedctl.RunAsync(args, stdout, stderr, CancellationToken.None);
        return new FedctlRun(code, stdout.ToString().ReplaceLineEndings("\n"), stderr.ToString().ReplaceLineEndings("\n"));
    }

    public string[] OutLines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}

using System.Globalization;
using System.Net.Sockets;
using Federation.Server;
using Federation.Server.Hosting;
using Federation.Storage;
using Federation.TestKit;
using Federation.TestKit.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Federation.Cli.Tests;

/// <summary>
/// The real server in process on 127.0.0.1 with an ephemeral port and in-memory state; jobs never finish (time scale 1,
/// hours-long jobs). Its silo and gateway get free ports of their own, so it never collides with another server. It takes
/// <see cref="TestTokens.Bootstrap"/> as a coordinator's token.
/// </summary>
public class ServerFixture : IAsyncLifetime
{
    /// <summary>How many times the start is tried, on fresh silo and gateway ports each time, when a port was taken meanwhile.</summary>
    private const int MaxPortAttempts = 3;

    private WebApplication _app = null!;

    public string Url { get; private set; } = "";

    public async Task InitializeAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            string[] args =
            [
                "--urls", "http://127.0.0.1:0",
                "--silo-port", FreePorts.Next().ToString(CultureInfo.InvariantCulture),
                "--gateway-port", FreePorts.Next().ToString(CultureInfo.InvariantCulture),
                TestTokens.BootstrapArgument,
            ];
            var builder = FederationServer.CreateBuilder(args, o =>
            {
                o.Storage = StorageKind.Memory;
                Configure(o);
            });
            builder.Logging.ClearProviders();
            var app = FederationServer.Build(builder);
            try
            {
                await app.StartAsync();
                _app = app;
                Url = app.Urls.Single();
                return;
            }
            catch (Exception e) when (attempt < MaxPortAttempts && IsAddressInUse(e))
            {
                // A port free when it was chosen was taken before the silo bound it: start again on other ports.
                await app.DisposeAsync();
            }
        }
    }

    /// <summary>What a fixture of its own changes in the server's options (nothing here).</summary>
    protected virtual void Configure(FederationServerOptions options)
    {
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
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
}

/// <summary>The same server with reclaim of lent capacity on (<c>Federation:Reclaim</c>), for the tests that preempt.</summary>
public sealed class ReclaimServerFixture : ServerFixture
{
    protected override void Configure(FederationServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Reclaim = true;
    }
}

/// <summary>One fedctl run: exit code and what it printed.</summary>
public sealed record FedctlRun(int ExitCode, string Out, string Error)
{
    /// <summary>A run with no token and no variables, in a config directory of its own.</summary>
    public static async Task<FedctlRun> RunAsync(params string[] args)
    {
        using var home = new FedctlHome();
        return await home.RunAsync(args);
    }

    public string[] OutLines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>
/// What a test's fedctl runs see besides their arguments: a config directory of their own (so the credentials file is
/// never the real home's), the environment variables the test sets (none of the process's) and stdin. The directory is
/// deleted with it.
/// </summary>
public sealed class FedctlHome : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("fedctl-test-");

    /// <summary>The environment variables of the runs (<c>FEDCTL_TOKEN</c>, ...); <c>FEDCTL_CONFIG_DIR</c> is always the directory.</summary>
    public Dictionary<string, string> Variables { get; } = new(StringComparer.Ordinal);

    public string ConfigDirectory => _directory.FullName;

    public string CredentialsPath => Path.Combine(ConfigDirectory, "credentials.json");

    public Task<FedctlRun> RunAsync(params string[] args) => RunWithInputAsync("", args);

    /// <summary>A run whose stdin holds <paramref name="input"/>.</summary>
    public async Task<FedctlRun> RunWithInputAsync(string input, params string[] args)
    {
        var variables = new Dictionary<string, string>(Variables, StringComparer.Ordinal) { [CredentialStore.ConfigDirectoryVariable] = ConfigDirectory };
        using var stdin = new StringReader(input);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var environment = new FedctlEnvironment(stdin, inputIsTerminal: false, name => variables.GetValueOrDefault(name));
        var code = await Fedctl.RunAsync(args, stdout, stderr, CancellationToken.None, environment: environment);
        return new FedctlRun(code, stdout.ToString().ReplaceLineEndings("\n"), stderr.ToString().ReplaceLineEndings("\n"));
    }

    public void Dispose() => _directory.Delete(recursive: true);
}

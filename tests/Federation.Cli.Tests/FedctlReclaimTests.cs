using Federation.TestKit;

namespace Federation.Cli.Tests;

/// <summary>
/// fedctl shows preemptions: daegu lends all 128 FuriosaAI RNGD NPUs under a preemptible offer with no grace period, a
/// gwangju job that may run only in daegu takes them, then daegu's own job needs all 128: the lent job is preempted at
/// once and queued again behind it. The job's page and history say so, and the region counts it. fedctl signs in as the
/// coordinator first (the token on stdin), and every command takes the token from the credentials file.
/// </summary>
public sealed class FedctlReclaimTests : IClassFixture<ReclaimServerFixture>, IAsyncLifetime
{
    private readonly ReclaimServerFixture _server;
    private readonly FedctlHome _home = new();

    public FedctlReclaimTests(ReclaimServerFixture server)
    {
        _server = server;
    }

    public async Task InitializeAsync()
    {
        var login = await _home.RunWithInputAsync(TestTokens.Bootstrap + "\n", "login", "--server", _server.Url);
        Assert.Equal((0, $"Signed in to {_server.Url} as bootstrap (coordinator)\nThe token is stored in {_home.CredentialsPath}\n", ""), (login.ExitCode, login.Out, login.Error));
    }

    public Task DisposeAsync()
    {
        _home.Dispose();
        return Task.CompletedTask;
    }

    private Task<FedctlRun> RunAsync(params string[] args) => _home.RunAsync([.. args, "--server", _server.Url]);

    [Fact]
    public async Task A_preempted_job_and_the_region_that_took_its_accelerators_back_say_so()
    {
        Assert.Equal(0, (await RunAsync("offer", "set", "daegu", "--type", "NPU-FuriosaAI-RNGD=128", "--preemptible")).ExitCode);
        var before = await RunAsync("region", "daegu");
        Assert.Contains("Preemptions:  0 (other regions' jobs it took its lent accelerators back from)", before.OutLines);
        Assert.Contains("Offer:        NPU-FuriosaAI-RNGD=128, preemptible (60 s grace)", before.OutLines);

        // The offer's grace period comes from the API (fedctl sets none): 0 s here, so the reclaim is at once.
        using (var http = new HttpClient { BaseAddress = new Uri(_server.Url) }.AsCoordinator())
        {
            using var put = await http.PutAsync(
                "api/regions/daegu/offer",
                new StringContent("""{"accelerators":[{"type":"NPU-FuriosaAI-RNGD","count":128}],"preemptible":true,"reclaimGraceSeconds":0}""", System.Text.Encoding.UTF8, "application/json"));
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        var lent = await RunAsync("submit", "--id", "cli-lent", "--project", "p", "--home", "gwangju", "--allowed", "daegu", "-n", "128", "--type", "NPU-FuriosaAI-RNGD", "--hours", "10");
        Assert.Equal(0, lent.ExitCode);
        Assert.Equal(0, (await RunAsync("submit", "--id", "cli-own", "--project", "p", "--home", "daegu", "--allowed", "daegu", "-n", "128", "--type", "NPU-FuriosaAI-RNGD", "--hours", "1")).ExitCode);

        var shown = await WaitForAsync("job", "cli-lent", l => l.Any(x => x.StartsWith("Preempted:    1 time(s), last in daegu at ", StringComparison.Ordinal)));
        Assert.Contains(shown, l => l.StartsWith("State:        Queued in daegu", StringComparison.Ordinal));
        var reclaiming = Assert.Single(shown, l => l.Contains(" Reclaiming ", StringComparison.Ordinal));
        Assert.Contains("daegu takes back the accelerators it lent to this job for its own job cli-own: no checkpoint signal (the job asked for none)", reclaiming, StringComparison.Ordinal);
        var preempted = Assert.Single(shown, l => l.Contains(" Preempted ", StringComparison.Ordinal));
        Assert.Contains("daegu took back the 128 NPU-FuriosaAI-RNGD it lent to this job for its own job cli-own; charged ", preempted, StringComparison.Ordinal);
        Assert.Contains("no checkpoint signal, stopped at the end of its grace period at ", preempted, StringComparison.Ordinal);

        var region = await WaitForAsync("region", "daegu", l => l.Contains("Preemptions:  1 (other regions' jobs it took its lent accelerators back from)"));
        Assert.Contains("Offer:        NPU-FuriosaAI-RNGD=128, preemptible (0 s grace)", region);
    }

    /// <summary>
    /// The preemption reaches the job's row one-way after the region's turn, and the server runs on the wall clock: asks
    /// again (a bounded number of times) until the output shows it.
    /// </summary>
    private async Task<string[]> WaitForAsync(string command, string id, Func<string[], bool> shows)
    {
        FedctlRun run = null!;
        for (var attempt = 0; attempt < 100; attempt++)
        {
            run = await RunAsync(command, id);
            Assert.Equal(0, run.ExitCode);
            if (shows(run.OutLines))
            {
                return run.OutLines;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"fedctl {command} {id} never showed it:\n{run.Out}");
        return [];
    }
}

using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

namespace Federation.Console.Tests;

/// <summary>
/// A page of another origin, open in the same browser profile as a coordinator's signed-in console, tries every request a
/// web page can make to the server: a form post, simple fetches without CORS (text/plain, form-encoded, an empty POST), a
/// JSON fetch (which needs a preflight the server does not grant) and a DELETE. None changes anything: the console's token
/// is in its own origin's sessionStorage, which the browser neither sends nor shows to another origin.
/// </summary>
public sealed class CrossSiteTests(Browser browser) : IClassFixture<Browser>, IAsyncLifetime
{
    private ConsoleServer _server = null!;
    private WebApplication _attacker = null!;
    private Uri _attackerAddress = null!;

    public async Task InitializeAsync()
    {
        _server = await ConsoleServer.StartAsync();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _attacker = builder.Build();
        _attacker.MapGet("/", () => Results.Content(Page(_server.BaseAddress), "text/html"));
        await _attacker.StartAsync();
        _attackerAddress = new Uri(_attacker.Urls.Single() + "/");
    }

    public async Task DisposeAsync()
    {
        await _attacker.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task A_page_of_another_origin_cannot_submit_cancel_drain_or_change_an_offer()
    {
        var job = await _server.SubmitAsync(new { id = "victim", project = "p", owner = "kim", homeRegion = "gwangju", accelerators = new { count = 2 }, durationHours = 1 });
        var before = await StateAsync();

        var console = await browser.NewPageAsync(_server.BaseAddress);
        await console.GotoAsync("/");
        await Assertions.Expect(console.Locator("[data-field=subject]")).ToHaveTextAsync("bootstrap");
        var page = await console.Context.NewPageAsync();
        await page.GotoAsync(_attackerAddress.ToString());
        await page.WaitForFunctionAsync("() => document.title.startsWith('done:')");
        var outcomes = (await page.TitleAsync())["done:".Length..].Split(',');

        // The browser sent the simple requests (their answers are opaque to the page) and blocked the others.
        Assert.Equal(["sent", "sent", "sent", "sent", "blocked", "blocked", "blocked"], outcomes);

        // The form post navigates the page to the server's answer: a refusal, for want of a token.
        var response = await page.RunAndWaitForResponseAsync(
            () => page.EvaluateAsync("document.getElementById('form').submit()"), r => r.Url.EndsWith("/drain", StringComparison.Ordinal));
        Assert.Equal((int)HttpStatusCode.Unauthorized, response.Status);

        Assert.Equal(before, await StateAsync());
        var victim = JsonDocument.Parse(await _server.Client.GetStringAsync("api/jobs/victim")).RootElement;
        Assert.Equal(job.GetProperty("state").GetString(), victim.GetProperty("state").GetString());
    }

    /// <summary>Every region's offer, drain state and version, and the job count.</summary>
    private async Task<string> StateAsync()
    {
        var regions = JsonDocument.Parse(await _server.Client.GetStringAsync("api/regions")).RootElement;
        var jobs = JsonDocument.Parse(await _server.Client.GetStringAsync("api/jobs?limit=1")).RootElement;
        return string.Join("; ", regions.EnumerateArray().Select(r => $"{r.GetProperty("id")} {r.GetProperty("offer")} {r.GetProperty("draining")} v{r.GetProperty("version")}"))
            + $"; jobs={jobs.GetProperty("total")}";
    }

    private static string Page(Uri target) => $$"""
        <!doctype html>
        <title>attack</title>
        <form id="form" method="POST" action="{{target}}api/regions/daegu/drain" enctype="text/plain">
          <input name='{"drain": true, "x": "' value='"}'>
        </form>
        <script>
        const base = '{{target}}';
        const job = JSON.stringify({ id: 'cross-site', project: 'p', homeRegion: 'gwangju', accelerators: { count: 1 }, durationHours: 1 });
        const offer = JSON.stringify({ accelerators: [{ type: 'H100', count: 0 }] });
        async function attempt(path, init) {
          try { await fetch(base + path, init); return 'sent'; } catch { return 'blocked'; }
        }
        (async () => {
          const outcomes = [
            await attempt('api/jobs', { method: 'POST', mode: 'no-cors', body: job }),
            await attempt('api/regions/daegu/drain', { method: 'POST', mode: 'no-cors' }),
            await attempt('api/regions/daegu/drain', { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'drain=true' }),
            await attempt('api/regions/gwangju/offer', { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body: offer }),
            await attempt('api/regions/daegu/drain', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"drain": true}' }),
            await attempt('api/regions/gwangju/offer', { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: offer }),
            await attempt('api/jobs/victim', { method: 'DELETE' }),
          ];
          document.title = 'done:' + outcomes.join(',');
        })();
        </script>
        """;
}

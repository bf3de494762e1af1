using System.Net.Http.Json;
using Microsoft.Playwright;

namespace Federation.Console.Tests;

/// <summary>
/// Preemptions on the console: daegu lends all 128 FuriosaAI RNGD NPUs under a preemptible offer (60 s grace), a gwangju
/// job pinned to daegu takes them, daegu's own job needs them. The lent job's page shows the reclaim as it is decided
/// and, once the grace period is over, the preemption counted and explained; daegu's page shows its count.
/// </summary>
public sealed class PreemptionPageTests(Browser browser) : IClassFixture<Browser>, IAsyncLifetime
{
    private ConsoleServer _server = null!;

    public async Task InitializeAsync()
    {
        Assertions.SetDefaultExpectTimeout(15_000);
        _server = await ConsoleServer.StartAsync(o => o.Reclaim = true, "--Federation:Live:Period=00:00:00.200");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_preempted_job_s_page_explains_it_and_the_region_page_counts_it()
    {
        var offer = new { accelerators = new[] { new { type = "NPU-FuriosaAI-RNGD", count = 128 } }, preemptible = true, reclaimGraceSeconds = 60 };
        using (var put = await _server.Client.PutAsJsonAsync("api/regions/daegu/offer", offer, ConsoleServer.Json))
        {
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        await _server.SubmitAsync(Job("lent", "gwangju", 10));
        await _server.SubmitAsync(Job("own", "daegu", 1));

        var errors = new List<string>();
        var page = await browser.NewPageAsync(_server.BaseAddress, errors);
        await page.GotoAsync("/#/jobs/lent");
        var history = page.Locator("table.history");
        await Assertions.Expect(history.Locator("tr[data-kind=Reclaiming]")).ToContainTextAsync(
            "daegu takes back the accelerators it lent to this job for its own job own: no checkpoint signal (the job asked for none)");
        await Assertions.Expect(page.Locator("[data-field=preemptions]")).ToHaveCountAsync(0);

        // The grace period is over: the job is preempted and placed again (back in daegu's queue, behind its own job).
        _server.Clock.Advance(TimeSpan.FromSeconds(60));
        await Assertions.Expect(history.Locator("tr[data-kind=Preempted]")).ToContainTextAsync(
            "preempted in daegu after 0.017 h: daegu took back the 128 NPU-FuriosaAI-RNGD it lent to this job for its own job own; charged 2.133 accelerator-hours for this run; no checkpoint signal, stopped at the end of its grace period at ");
        await Assertions.Expect(history.Locator("tr.reclaim")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("[data-field=preemptions]")).ToContainTextAsync(
            "Preempted once: a region took back accelerators it had lent to this job (last in daegu, ");
        await Browser.ScreenshotAsync(page, "job-preempted");

        await page.GotoAsync("/#/regions/daegu");
        await Assertions.Expect(page.Locator("[data-field=preemptions]")).ToHaveTextAsync("1");
        await Browser.ScreenshotAsync(page, "region-preemptions");
        Assert.Empty(errors);
    }

    private static object Job(string id, string home, double hours) => new
    {
        id,
        project = "kr-npu",
        owner = "kim",
        homeRegion = home,
        accelerators = new { count = 128, types = new[] { "NPU-FuriosaAI-RNGD" } },
        durationHours = hours,
        allowedRegions = new[] { "daegu" },
    };
}

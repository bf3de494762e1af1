using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Federation.Console.Tests;

/// <summary>The what-if page: a run on a bundled trace shows its progress, then its summary and the simulator's report.</summary>
public sealed class WhatIfPageTests(Browser browser) : IClassFixture<Browser>, IAsyncLifetime
{
    private ConsoleServer _server = null!;

    public async Task InitializeAsync() => _server = await CoordinatorServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_run_on_a_bundled_trace_shows_progress_then_the_summary_and_the_report_and_is_listed()
    {
        var errors = new List<string>();
        var page = await browser.NewPageAsync(_server.BaseAddress, errors);
        await page.GotoAsync("/#/whatif");
        var trace = page.GetByLabel("Bundled trace", new() { Exact = true });
        await Assertions.Expect(trace.Locator("option[value=\"synthetic-small\"]")).ToHaveCountAsync(1);
        await trace.SelectOptionAsync("synthetic-small");
        await page.GetByLabel("Load scale").FillAsync("1.5");
        await page.GetByLabel("Seed").FillAsync("7");
        await page.GetByLabel("At most, jobs").FillAsync("1500");
        await page.GetByRole(AriaRole.Button, new() { Name = "Run", Exact = true }).ClickAsync();

        // The run shows its state and a progress bar until it completes (the POST answers queued).
        var panel = page.Locator("section.run-panel");
        await Assertions.Expect(panel.Locator("progress")).ToBeVisibleAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"#/whatif\?run="));
        await Assertions.Expect(panel).ToHaveAttributeAsync("data-state", "completed", new() { Timeout = 120_000 });
        await Assertions.Expect(panel.Locator("progress")).ToHaveCountAsync(0);

        var summary = panel.Locator("table.summary-table");
        foreach (var policy in new[] { "isolated", "least-loaded", "earliest-start", "pooled" })
        {
            await Assertions.Expect(summary.Locator($"tr[data-policy=\"{policy}\"]")).ToHaveCountAsync(1);
        }

        // The simulator's own page, in a frame, styled by its own stylesheet (the console's CSP is not on it).
        var report = page.FrameLocator("iframe.report-frame");
        await Assertions.Expect(report.GetByRole(AriaRole.Heading, new() { Name = "Megaregion what-if: policy comparison" })).ToBeVisibleAsync();
        Assert.Equal("collapse", await report.Locator("table").First.EvaluateAsync<string>("t => getComputedStyle(t).borderCollapse"));
        Assert.True(await report.Locator("svg").CountAsync() > 0);

        var id = await panel.GetAttributeAsync("data-run");
        await Assertions.Expect(page.Locator($"tr[data-run=\"{id}\"]")).ToContainTextAsync("completed");
        await Browser.ScreenshotAsync(page, "whatif");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task A_refused_run_shows_each_error_beside_its_field()
    {
        var page = await browser.NewPageAsync(_server.BaseAddress);
        await page.GotoAsync("/#/whatif");
        await Assertions.Expect(page.GetByLabel("Bundled trace", new() { Exact = true }).Locator("option[value=\"synthetic-small\"]")).ToHaveCountAsync(1);
        foreach (var box in await page.Locator("[data-role=policy]").AllAsync())
        {
            await box.UncheckAsync();
        }

        await page.GetByLabel("Load scale").FillAsync("-2");
        await page.GetByRole(AriaRole.Button, new() { Name = "Run", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("#whatif-loadScale-error")).ToContainTextAsync("must be a number > 0");
        await Assertions.Expect(page.GetByLabel("Load scale")).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(page.Locator("#whatif-policies-error")).ToContainTextAsync("at least one policy");
        await Assertions.Expect(page.Locator("section.run-panel")).ToBeHiddenAsync();
        await Browser.ScreenshotAsync(page, "whatif-refused");
    }
}

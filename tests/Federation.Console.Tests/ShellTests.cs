using System.Text.RegularExpressions;
using Federation.TestKit;
using Microsoft.Playwright;

namespace Federation.Console.Tests;

/// <summary>The console's shell: served at /, every page reachable from the navigation, no script errors.</summary>
public sealed class ShellTests(Browser browser) : IClassFixture<Browser>, IAsyncLifetime
{
    private ConsoleServer _server = null!;

    public async Task InitializeAsync() => _server = await ConsoleServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task The_console_is_served_at_the_root_and_every_navigation_link_opens_its_page_without_a_script_error()
    {
        var errors = new List<string>();
        var page = await browser.NewPageAsync(_server.BaseAddress, errors);
        var response = await page.GotoAsync("/");
        Assert.Equal(200, response!.Status);
        Assert.Contains("script-src 'self'", await response.HeaderValueAsync("content-security-policy"), StringComparison.Ordinal);

        var nav = page.GetByRole(AriaRole.Navigation, new() { Name = "Main" });
        foreach (var (link, title) in new[] { ("Jobs", "Jobs"), ("Regions", "Regions"), ("What-if", "What-if"), ("Audit", "Audit"), ("Megaregion", "Megaregion") })
        {
            await nav.GetByRole(AriaRole.Link, new() { Name = link, Exact = true }).ClickAsync();
            await Assertions.Expect(page).ToHaveTitleAsync($"{title} · Megaregion Federation");
            await Assertions.Expect(nav.GetByRole(AriaRole.Link, new() { Name = link, Exact = true })).ToHaveAttributeAsync("aria-current", "page");
        }

        Assert.Equal("dashboard/", await nav.GetByRole(AriaRole.Link, new() { Name = "Orleans dashboard" }).GetAttributeAsync("href"));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task The_header_says_live_on_a_page_that_shows_no_live_figures_and_the_stream_is_the_servers()
    {
        var page = await browser.NewPageAsync(_server.BaseAddress);
        var streams = new List<string>();
        page.Request += (_, request) =>
        {
            if (request.Url.Contains("/api/live", StringComparison.Ordinal))
            {
                lock (streams)
                {
                    streams.Add(request.Url);
                }
            }
        };
        await page.GotoAsync("/#/whatif");
        await Assertions.Expect(page.Locator("#live-status")).ToHaveTextAsync("live");
        await Assertions.Expect(page.Locator("#live-status")).ToHaveAttributeAsync("data-state", "live");

        // One stream per tab, whichever pages the viewer opens; it carries the tab's token in its address (EventSource
        // sends no header), and its snapshots arrive (the megaregion page marks itself ready on the first it renders).
        await page.GetByRole(AriaRole.Link, new() { Name = "Megaregion", Exact = true }).First.ClickAsync();
        await Assertions.Expect(page.Locator("body[data-ready=\"megaregion\"]")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("article[data-region=\"gwangju\"] [data-field=offered]")).ToHaveTextAsync(new Regex("^offers \\d+$"));
        lock (streams)
        {
            Assert.Equal([new Uri(_server.BaseAddress, "api/live?access_token=" + Uri.EscapeDataString(TestTokens.Bootstrap)).ToString()], streams);
        }
    }

    [Fact]
    public async Task An_unknown_console_address_says_so_and_links_back()
    {
        var page = await browser.NewPageAsync(_server.BaseAddress);
        await page.GotoAsync("/#/nowhere");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Not found" })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Back to the megaregion" }).ClickAsync();
        await Assertions.Expect(page).ToHaveTitleAsync("Megaregion · Megaregion Federation");
    }
}

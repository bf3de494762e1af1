using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Federation.Console.Tests;

/// <summary>The megaregion page (#/): the four regions on the map and as cards, live, with flows and the newest jobs.</summary>
public sealed partial class MegaregionPageTests(Browser browser) : IClassFixture<Browser>, IAsyncLifetime
{
    private ConsoleServer _server = null!;

    public async Task InitializeAsync() => _server = await CoordinatorServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task The_page_shows_the_four_regions_and_follows_a_submitted_job_live_without_a_reload()
    {
        var errors = new List<string>();
        var page = await browser.NewPageAsync(_server.BaseAddress, errors);
        await page.GotoAsync("/");

        foreach (var id in new[] { "gwangju", "suncheon", "gwangyang", "daegu" })
        {
            var card = page.Locator($"article[data-region=\"{id}\"]");
            await Assertions.Expect(card.GetByRole(AriaRole.Heading, new() { Level = 3 })).ToHaveTextAsync(char.ToUpperInvariant(id[0]) + id[1..]);
            await Assertions.Expect(card.Locator("[data-field=offered]")).ToHaveTextAsync(OffersRegex());
            await Assertions.Expect(card.Locator("[data-field=status]")).ToHaveTextAsync("up");
            await Assertions.Expect(card.Locator("[data-field=drain]")).ToHaveTextAsync("in service");
            await Assertions.Expect(page.Locator($"svg.map [data-marker=\"{id}\"]")).ToHaveAttributeAsync("aria-label", new Regex("up, 0 % busy"));
        }

        // The snapshot's time is shown in the viewer's zone (Asia/Seoul, en-GB), the ISO value kept in datetime.
        var stamp = page.Locator("[data-field=snapshot-time]");
        await Assertions.Expect(stamp).ToHaveAttributeAsync("datetime", new Regex(@"^\d{4}-\d\d-\d\dT"));
        await Assertions.Expect(stamp).ToHaveTextAsync(new Regex(@"\d{4}, \d\d:\d\d:\d\d"));
        await Assertions.Expect(page.Locator("[data-field=no-flows]")).ToBeVisibleAsync();
        await page.EvaluateAsync("window.__sameDocument = true");

        // Daegu runs the H100 job at home. Gwangyang has no A100: a job homed there that asks for them overflows, and the flow is drawn and listed.
        await _server.SubmitAsync(CoordinatorServer.Job("map-1", "daegu", 64, "H100"));
        var overflow = await _server.SubmitAsync(CoordinatorServer.Job("map-2", "gwangyang", 16, "A100"));
        var ranIn = overflow.GetProperty("region").GetString()!;

        var daegu = page.Locator("article[data-region=\"daegu\"]");
        await Assertions.Expect(daegu.Locator("[data-field=running] dd")).ToHaveTextAsync("1");
        await Assertions.Expect(daegu.Locator("tr[data-type=\"H100\"] td").First).ToHaveTextAsync(new Regex(@"^64 / "));
        await Assertions.Expect(page.Locator($"tr[data-flow=\"gwangyang-{ranIn}\"]")).ToContainTextAsync("1");
        await Assertions.Expect(page.Locator($"svg.map [data-flow=\"gwangyang-{ranIn}\"]")).ToHaveCountAsync(1);

        // The newest jobs, newest first, each linking to its page.
        var latest = page.Locator(".latest-jobs tbody tr");
        await Assertions.Expect(latest.First).ToHaveAttributeAsync("data-job", "map-2");
        await Assertions.Expect(page.Locator(".latest-jobs tr[data-job=\"map-1\"] a")).ToHaveAttributeAsync("href", "#/jobs/map-1");
        Assert.True(await page.EvaluateAsync<bool>("window.__sameDocument === true"));
        await Assertions.Expect(page.Locator("body")).ToHaveAttributeAsync("data-ready", "megaregion");

        await Browser.ScreenshotAsync(page, "megaregion");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task A_region_card_links_to_the_region_page_and_the_map_markers_are_keyboard_links()
    {
        var page = await browser.NewPageAsync(_server.BaseAddress);
        await page.GotoAsync("/");
        var marker = page.Locator("svg.map [data-marker=\"daegu\"]");
        await Assertions.Expect(marker).ToHaveAttributeAsync("href", "#/regions/daegu");
        await marker.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page).ToHaveTitleAsync("Daegu · Megaregion Federation");

        await page.GoBackAsync();
        await page.Locator("article[data-region=\"suncheon\"] h3 a").ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("#/regions/suncheon$"));
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Suncheon");
    }

    [GeneratedRegex(@"^offers \d")]
    private static partial Regex OffersRegex();
}

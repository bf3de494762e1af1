using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Federation.Console.Tests;

/// <summary>
/// The regions table and a region's page: pools, load chart, offer editor, drain, guest jobs; an offer or a drain made
/// on the region page in one browser page shows on the megaregion page open in another, without a reload.
/// </summary>
public sealed class RegionPageTests(Browser browser) : IClassFixture<Browser>, IAsyncLifetime
{
    private ConsoleServer _server = null!;

    public async Task InitializeAsync() => _server = await CoordinatorServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task An_offer_saved_on_the_region_page_shows_on_the_megaregion_page_open_in_another_page_without_a_reload()
    {
        var errors = new List<string>();
        var megaregion = await browser.NewPageAsync(_server.BaseAddress, errors);
        await megaregion.GotoAsync("/");
        var card = megaregion.Locator("article[data-region=\"gwangyang\"]");
        await Assertions.Expect(card.Locator("[data-field=offered]")).ToHaveTextAsync("offers 256");
        await megaregion.EvaluateAsync("window.__sameDocument = true");

        var region = await browser.NewPageAsync(_server.BaseAddress, errors);
        await region.GotoAsync("/#/regions/gwangyang");
        await Assertions.Expect(region.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Gwangyang");
        var count = region.GetByLabel("Count", new() { Exact = true }).First;
        await Assertions.Expect(count).ToHaveValueAsync("256");
        await count.FillAsync("100");
        await region.GetByLabel("Until", new() { Exact = true }).FillAsync("2031-12-31T18:00");
        await region.GetByLabel("Preemptible").CheckAsync();
        await region.GetByRole(AriaRole.Button, new() { Name = "Save offer" }).ClickAsync();

        await Assertions.Expect(region.Locator("[data-field=offer-status]")).ToContainTextAsync("now offers 100");
        await Assertions.Expect(card.Locator("[data-field=offered]")).ToHaveTextAsync("offers 100");
        await Assertions.Expect(card.Locator(".offer")).ToContainTextAsync("preemptible");
        Assert.True(await megaregion.EvaluateAsync<bool>("window.__sameDocument === true"));

        // The local time (Asia/Seoul) went to the API with its offset.
        var offer = (await GetAsync("api/regions/gwangyang")).GetProperty("offer");
        Assert.Equal(DateTimeOffset.Parse("2031-12-31T18:00:00+09:00", System.Globalization.CultureInfo.InvariantCulture), offer.GetProperty("until").GetDateTimeOffset());
        Assert.True(offer.GetProperty("preemptible").GetBoolean());

        await Browser.ScreenshotAsync(region, "region");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task A_bad_offer_shows_the_field_error_beside_the_field_and_changes_nothing()
    {
        var megaregion = await browser.NewPageAsync(_server.BaseAddress);
        await megaregion.GotoAsync("/");
        var card = megaregion.Locator("article[data-region=\"daegu\"]");
        await Assertions.Expect(card.Locator("[data-field=offered]")).ToHaveTextAsync("offers 416");
        var before = (await GetAsync("api/regions/daegu")).GetProperty("offer").GetRawText();

        var region = await browser.NewPageAsync(_server.BaseAddress);
        await region.GotoAsync("/#/regions/daegu");
        var count = region.GetByLabel("Count", new() { Exact = true }).First;
        await Assertions.Expect(count).ToHaveValueAsync("128");
        await count.FillAsync("99999");
        await region.GetByLabel("From", new() { Exact = true }).FillAsync("2031-06-01T00:00");
        await region.GetByLabel("Until", new() { Exact = true }).FillAsync("2031-05-01T00:00");
        await region.GetByRole(AriaRole.Button, new() { Name = "Save offer" }).ClickAsync();

        await Assertions.Expect(region.Locator("#offer-count-0-error")).ToContainTextAsync("must be between 0 and the pool's");
        await Assertions.Expect(count).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(count).ToBeFocusedAsync();
        await Assertions.Expect(region.Locator("#offer-until-error")).ToHaveTextAsync("must be after from");
        await Assertions.Expect(region.GetByLabel("Until", new() { Exact = true })).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(region.Locator("[data-field=offer-status]")).ToBeEmptyAsync();
        await Browser.ScreenshotAsync(region, "region-bad-offer");

        Assert.Equal(before, (await GetAsync("api/regions/daegu")).GetProperty("offer").GetRawText());
        await Assertions.Expect(card.Locator("[data-field=offered]")).ToHaveTextAsync("offers 416");
    }

    [Fact]
    public async Task An_offer_changed_by_another_operator_meanwhile_is_not_overwritten_the_page_says_so()
    {
        var region = await browser.NewPageAsync(_server.BaseAddress);
        await region.GotoAsync("/#/regions/daegu");
        var count = region.GetByLabel("Count", new() { Exact = true }).First;
        await Assertions.Expect(count).ToHaveValueAsync("128");

        // Another operator changes daegu's offer after this page filled its editor.
        using var other = await _server.Client.PutAsync("api/regions/daegu/offer", new StringContent(
            """{"accelerators": [{"type": "H100", "count": 32}]}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.OK, other.StatusCode);

        await count.FillAsync("100");
        await region.GetByRole(AriaRole.Button, new() { Name = "Save offer" }).ClickAsync();

        await Assertions.Expect(region.GetByRole(AriaRole.Alert).Filter(new() { HasText = "The offer was not saved." }))
            .ToContainTextAsync("If-Match: daegu changed since it was read");
        await Browser.ScreenshotAsync(region, "region-offer-changed-meanwhile");
        var offer = (await GetAsync("api/regions/daegu")).GetProperty("offer").GetProperty("accelerators");
        Assert.Equal("H100=32", string.Join(',', offer.EnumerateArray().Select(a => $"{a.GetProperty("type").GetString()}={a.GetProperty("count").GetInt32()}")));
    }

    [Fact]
    public async Task Draining_after_confirming_and_returning_to_service_show_on_the_megaregion_page()
    {
        var megaregion = await browser.NewPageAsync(_server.BaseAddress);
        await megaregion.GotoAsync("/");
        var card = megaregion.Locator("article[data-region=\"suncheon\"]");
        await Assertions.Expect(card.Locator("[data-field=drain]")).ToHaveTextAsync("in service");

        var region = await browser.NewPageAsync(_server.BaseAddress);
        await region.GotoAsync("/#/regions/suncheon");

        // Cancelling the confirmation drains nothing.
        await region.GetByRole(AriaRole.Button, new() { Name = "Drain region…" }).ClickAsync();
        var dialog = region.GetByRole(AriaRole.Dialog, new() { Name = "Drain Suncheon?" });
        await Assertions.Expect(dialog).ToBeVisibleAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Assertions.Expect(dialog).ToBeHiddenAsync();
        Assert.False((await GetAsync("api/regions/suncheon")).GetProperty("draining").GetBoolean());

        await region.GetByRole(AriaRole.Button, new() { Name = "Drain region…" }).ClickAsync();
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Drain Suncheon" }).ClickAsync();
        await Assertions.Expect(region.GetByRole(AriaRole.Status).Filter(new() { HasText = "is draining" })).ToBeVisibleAsync();
        await Assertions.Expect(card.Locator("[data-field=drain]")).ToHaveTextAsync("draining");
        await Assertions.Expect(megaregion.Locator("svg.map [data-marker=\"suncheon\"]")).ToHaveAttributeAsync("aria-label", new Regex("draining"));
        await Browser.ScreenshotAsync(megaregion, "megaregion-draining");

        await region.GetByRole(AriaRole.Button, new() { Name = "Return to service" }).ClickAsync();
        await Assertions.Expect(card.Locator("[data-field=drain]")).ToHaveTextAsync("in service");
        Assert.False((await GetAsync("api/regions/suncheon")).GetProperty("draining").GetBoolean());
    }

    [Fact]
    public async Task The_region_page_lists_its_pools_charts_its_load_and_shows_other_regions_jobs_running_on_it()
    {
        var errors = new List<string>();
        var job = await _server.SubmitAsync(CoordinatorServer.Job("guest-1", "gwangyang", 16, "A100"));
        var host = job.GetProperty("region").GetString()!;
        await _server.SubmitAsync(CoordinatorServer.Job("home-1", host, 8, "A100"));

        var page = await browser.NewPageAsync(_server.BaseAddress, errors);
        await page.GotoAsync("/#/regions");
        var rows = page.Locator("table.regions-table tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(4);
        await Assertions.Expect(page.Locator($"tr[data-region=\"{host}\"] [data-field=offered]")).Not.ToHaveTextAsync("");
        await Browser.ScreenshotAsync(page, "regions");
        await page.Locator($"tr[data-region=\"{host}\"] a").ClickAsync();

        await Assertions.Expect(page.Locator("tr[data-type=\"A100\"] td").Nth(1)).ToHaveTextAsync("24");
        await Assertions.Expect(page.Locator("tr[data-type=\"A100\"] td").Nth(2)).ToHaveTextAsync("16");
        var guests = page.Locator("[data-field=guest-jobs]");
        await Assertions.Expect(guests.Locator("tr[data-job=\"guest-1\"] a")).ToHaveAttributeAsync("href", "#/jobs/guest-1");
        await Assertions.Expect(guests.Locator("tr[data-job=\"home-1\"]")).ToHaveCountAsync(0);

        // The history samples every 200 ms here: the chart and its text alternative appear.
        await Assertions.Expect(page.Locator("svg.chart")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-field=load-summary]")).ToContainTextAsync("busy between");
        await Browser.ScreenshotAsync(page, "region-load");
        Assert.Empty(errors);

        // An unknown region says so (the browser logs the API's 404, so errors are not checked after this).
        await page.GotoAsync("/#/regions/jeju");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "No such region" })).ToBeVisibleAsync();
    }

    private async Task<JsonElement> GetAsync(string path)
    {
        var body = await _server.Client.GetStringAsync(path);
        return JsonDocument.Parse(body).RootElement.Clone();
    }
}

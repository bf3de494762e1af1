using System.Text.Json;
using Federation.TestKit;
using Microsoft.Playwright;

namespace Federation.Console.Tests;

/// <summary>
/// Signing in to the console: a tab without a token shows the sign-in form; a token the server refuses is named beside
/// the field and kept nowhere; the bootstrap token signs in and goes on to the page asked for; signing out forgets it. A
/// researcher sees their project's jobs and is told, where the region page shows its errors, that they may not change a
/// region.
/// </summary>
public sealed class SignInTests(Browser browser) : IClassFixture<Browser>, IAsyncLifetime
{
    private ConsoleServer _server = null!;

    public async Task InitializeAsync() => _server = await CoordinatorServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_tab_without_a_token_signs_in_with_the_bootstrap_token_after_a_wrong_one_is_refused_and_signs_out()
    {
        await _server.SubmitAsync(CoordinatorServer.Job("signed-in-job", "gwangju", 8, "H100"));
        var errors = new List<string>();
        var page = await browser.NewPageAsync(_server.BaseAddress, errors, token: null);
        await page.GotoAsync("/#/jobs");

        await Assertions.Expect(page).ToHaveTitleAsync("Sign in · Megaregion Federation");
        var field = page.GetByLabel("Access token");
        Assert.Equal("password", await field.GetAttributeAsync("type"));
        await Assertions.Expect(page.GetByRole(AriaRole.Main)).ToContainTextAsync("fedctl token create");
        await Assertions.Expect(page.Locator("#who")).ToBeHiddenAsync();
        Assert.Equal(0, await page.Locator("table.jobs-table").CountAsync());

        await field.FillAsync("not-a-token-of-this-server");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        var message = page.Locator(".field:has(#signin-token) .field-error");
        await Assertions.Expect(message).ToContainTextAsync("send a token as Authorization: Bearer <token>");
        await Assertions.Expect(field).ToHaveAttributeAsync("aria-invalid", "true");
        Assert.Null(await StoredTokenAsync(page));
        await Browser.ScreenshotAsync(page, "sign-in-refused");

        // The page asked for (the address never changed) shows, with the data the token may read.
        await field.FillAsync(TestTokens.Bootstrap);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page).ToHaveTitleAsync("Jobs · Megaregion Federation");
        await Assertions.Expect(page.Locator("table.jobs-table")).ToContainTextAsync("signed-in-job");
        await Assertions.Expect(page.Locator("[data-field=subject]")).ToHaveTextAsync("bootstrap");
        await Assertions.Expect(page.Locator("[data-field=role]")).ToHaveTextAsync("coordinator");
        await Assertions.Expect(page.Locator("#live-status")).ToHaveAttributeAsync("data-state", "live");
        Assert.Equal(TestTokens.Bootstrap, await StoredTokenAsync(page));

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Assertions.Expect(page).ToHaveTitleAsync("Sign in · Megaregion Federation");
        await Assertions.Expect(page.GetByLabel("Access token")).ToHaveValueAsync("");
        await Assertions.Expect(page.Locator("#who")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#live-status")).ToHaveTextAsync("signed out");
        Assert.Null(await StoredTokenAsync(page));

        // Signed out means signed out: a reload does not bring the token back.
        await page.ReloadAsync();
        await Assertions.Expect(page.GetByLabel("Access token")).ToBeVisibleAsync();

        // Chromium logs each 401 it was answered; nothing else went wrong in the page.
        Assert.DoesNotContain(errors, e => !e.StartsWith("Failed to load resource: the server responded with a status of 401", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_token_in_the_address_fragment_is_kept_and_leaves_the_address_bar()
    {
        var page = await browser.NewPageAsync(_server.BaseAddress, token: null);
        await page.GotoAsync("/#token=" + Uri.EscapeDataString(TestTokens.Bootstrap));
        await Assertions.Expect(page).ToHaveTitleAsync("Megaregion · Megaregion Federation");
        await Assertions.Expect(page.Locator("[data-field=subject]")).ToHaveTextAsync("bootstrap");
        Assert.DoesNotContain("token", page.Url, StringComparison.Ordinal);
        Assert.Equal(TestTokens.Bootstrap, await StoredTokenAsync(page));
    }

    [Fact]
    public async Task A_researcher_sees_their_projects_jobs_and_is_told_they_may_not_change_a_regions_offer_or_drain_it()
    {
        var token = await _server.IssueTokenAsync(new { subject = "alice", role = "researcher", projects = new[] { "p1" } });
        await _server.SubmitAsync(Job("alice-job", "p1"));
        await _server.SubmitAsync(Job("other-job", "p2"));
        var before = await RegionAsync("gwangju");

        var errors = new List<string>();
        var page = await browser.NewPageAsync(_server.BaseAddress, errors, token: token);
        await page.GotoAsync("/#/jobs");
        await Assertions.Expect(page.Locator("[data-field=who]")).ToHaveTextAsync("alice researcher of p1");
        var jobs = page.Locator("table.jobs-table");
        await Assertions.Expect(jobs).ToContainTextAsync("alice-job");
        await Assertions.Expect(jobs).Not.ToContainTextAsync("other-job");

        // The region page reads (the live feed and the region are anyone's) and refuses changes with the server's words.
        const string refusal = "alice (researcher of p1) may not change region 'gwangju'";
        await page.GotoAsync("/#/regions/gwangju");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("Gwangju");
        await Assertions.Expect(page.Locator("#live-status")).ToHaveAttributeAsync("data-state", "live");
        await page.GetByLabel("Count", new() { Exact = true }).First.FillAsync("1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save offer" }).ClickAsync();
        await Assertions.Expect(page.Locator("form.offer-form [role=alert]")).ToContainTextAsync(refusal);

        await page.GetByRole(AriaRole.Button, new() { Name = "Drain region…" }).ClickAsync();
        await page.GetByRole(AriaRole.Dialog, new() { Name = "Drain Gwangju?" }).GetByRole(AriaRole.Button, new() { Name = "Drain Gwangju" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Not changed" })).ToContainTextAsync(refusal);
        await Browser.ScreenshotAsync(page, "region-refused-researcher");

        Assert.Equal(before, await RegionAsync("gwangju"));
        Assert.DoesNotContain(errors, e => !e.StartsWith("Failed to load resource: the server responded with a status of 403", StringComparison.Ordinal));
    }

    private static Task<string?> StoredTokenAsync(IPage page) =>
        page.EvaluateAsync<string?>("key => sessionStorage.getItem(key)", Browser.TokenKey);

    private async Task<string> RegionAsync(string id)
    {
        var region = JsonDocument.Parse(await _server.Client.GetStringAsync($"api/regions/{id}")).RootElement;
        return $"{region.GetProperty("offer")} {region.GetProperty("draining")} v{region.GetProperty("version")}";
    }

    private static object Job(string id, string project) => new
    {
        id,
        project,
        owner = "alice",
        homeRegion = "gwangju",
        accelerators = new { count = 8, types = new[] { "H100" } },
        durationHours = 2,
    };
}

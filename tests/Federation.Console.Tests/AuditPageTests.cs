using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Federation.TestKit;
using Microsoft.Playwright;

namespace Federation.Console.Tests;

/// <summary>
/// The audit page: a coordinator sees the changes made through the API newest first with who, in which role, what, to
/// what and before → after, filters them (the search in the address) and pages back through older entries; an operator
/// sees only their region's entries; a researcher is told, where the page shows its errors, that they may not read it.
/// The tests share one server, so each changes its own regions and projects and counts what it expects through the API.
/// </summary>
public sealed class AuditPageTests(Browser browser) : IClassFixture<Browser>, IAsyncLifetime
{
    private ConsoleServer _server = null!;

    public async Task InitializeAsync() => _server = await CoordinatorServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_coordinator_sees_the_latest_changes_newest_first_with_who_what_and_before_and_after_and_filters_them_from_the_form()
    {
        await DrainAsync(_server.Client, "gwangyang", drain: true);
        await DrainAsync(_server.Client, "gwangyang", drain: false);
        await SetPriorityAsync("p-audit", 5);

        var errors = new List<string>();
        var page = await browser.NewPageAsync(_server.BaseAddress, errors);
        await page.GotoAsync("/");
        var nav = page.GetByRole(AriaRole.Navigation, new() { Name = "Main" });
        await nav.GetByRole(AriaRole.Link, new() { Name = "Audit", Exact = true }).ClickAsync();
        await Assertions.Expect(page).ToHaveTitleAsync("Audit · Megaregion Federation");
        await Assertions.Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Audit", Exact = true })).ToHaveAttributeAsync("aria-current", "page");

        // The three changes are the newest entries, the last made first.
        var rows = Rows(page);
        await Assertions.Expect(rows.Nth(0).Locator("td:not(:first-child)")).ToHaveTextAsync(["bootstrap coordinator", "project.priority", "project/p-audit", "—", "127.0.0.1", "priority: 0 → 5"]);
        await Assertions.Expect(rows.Nth(1).Locator("td:not(:first-child)")).ToHaveTextAsync(["bootstrap coordinator", "region.drain", "region/gwangyang", "gwangyang", "127.0.0.1", "drain: true → false"]);
        await Assertions.Expect(rows.Nth(2).Locator("td:not(:first-child):not(:last-child)")).ToHaveTextAsync(["bootstrap coordinator", "region.drain", "region/gwangyang", "gwangyang", "127.0.0.1"]);
        await Assertions.Expect(rows.Nth(2).Locator(".changes li")).ToHaveTextAsync(["drain: false → true", "requeueQueued: true → false"]);

        // Times are the entries' own, shown in the viewer's zone; a region target links to its page, a project is text.
        var latest = (await EntriesAsync("api/audit?limit=1"))[0];
        await Assertions.Expect(rows.Nth(0).Locator("time")).ToHaveAttributeAsync("datetime", latest.GetProperty("at").GetString()!);
        Assert.Equal(0, await rows.Nth(0).Locator("td").Nth(3).Locator("a").CountAsync());
        await Assertions.Expect(rows.Nth(1).GetByRole(AriaRole.Link, new() { Name = "region/gwangyang" })).ToHaveAttributeAsync("href", "#/regions/gwangyang");
        await Browser.ScreenshotAsync(page, "audit");

        // By action: every row is a drain, as many as the API holds; the search is in the address.
        await page.GetByLabel("Action").SelectOptionAsync("region.drain");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"#/audit\?action=region\.drain$"));
        var drains = (await EntriesAsync("api/audit?action=region.drain")).Count;
        Assert.True(drains >= 2, $"{drains} drain entries");
        await Assertions.Expect(rows.Locator("td:nth-child(3)")).ToHaveTextAsync(Enumerable.Repeat("region.drain", drains).ToArray());

        // By target, typed: the one entry of the project, opened again from the address as a link.
        await page.GetByRole(AriaRole.Link, new() { Name = "Clear" }).ClickAsync();
        await page.GetByLabel("Target").FillAsync("project/p-audit");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"#/audit\?target=project%2Fp-audit$"));
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator(".list-status")).ToHaveTextAsync("1 entry");
        var linked = await browser.NewPageAsync(_server.BaseAddress, errors);
        await linked.GotoAsync("/#/audit?target=project%2Fp-audit");
        await Assertions.Expect(linked.GetByLabel("Target")).ToHaveValueAsync("project/p-audit");
        await Assertions.Expect(Rows(linked).Locator("td:nth-child(7)")).ToHaveTextAsync(["priority: 0 → 5"]);

        // A filter nothing matches says so in a sentence.
        await page.GetByLabel("Target").FillAsync("project/nobody");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Assertions.Expect(page.Locator(".empty")).ToHaveTextAsync("No audit entry matches this search.");
        await Assertions.Expect(page.Locator("table.audit-table")).ToHaveCountAsync(0);
        AssertNoScriptErrors(errors);
    }

    [Fact]
    public async Task With_a_small_page_size_next_reaches_the_oldest_entries_and_previous_comes_back()
    {
        for (var i = 1; i <= 12; i++)
        {
            await SetPriorityAsync("p-pages", i);
        }

        var errors = new List<string>();
        var page = await browser.NewPageAsync(_server.BaseAddress, errors);
        await page.GotoAsync("/#/audit?target=project%2Fp-pages");
        await page.GetByLabel("Page size").SelectOptionAsync("10");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"#/audit\?target=project%2Fp-pages&limit=10$"));

        var changes = Rows(page).Locator("td:nth-child(7)");
        var status = page.Locator(".list-status");
        var next = page.GetByRole(AriaRole.Link, new() { Name = "Next page →" });
        var previous = page.GetByRole(AriaRole.Link, new() { Name = "← Previous page" });
        await Assertions.Expect(status).ToHaveTextAsync("Entries 1–10 · page 1 · older entries follow");
        await Assertions.Expect(changes).ToHaveTextAsync(Enumerable.Range(3, 10).Reverse().Select(p => $"priority: {p - 1} → {p}").ToArray());
        await Assertions.Expect(previous).ToHaveCountAsync(0);

        await next.ClickAsync();
        await Assertions.Expect(status).ToHaveTextAsync("Entries 11–12 · page 2 · the oldest");
        await Assertions.Expect(changes).ToHaveTextAsync(["priority: 1 → 2", "priority: 0 → 1"]);
        await Assertions.Expect(next).ToHaveCountAsync(0);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"#/audit\?target=project%2Fp-pages&limit=10&before=\d+$"));

        await previous.ClickAsync();
        await Assertions.Expect(status).ToHaveTextAsync("Entries 1–10 · page 1 · older entries follow");
        await Assertions.Expect(changes.First).ToHaveTextAsync("priority: 11 → 12");
        await Assertions.Expect(previous).ToHaveCountAsync(0);
        AssertNoScriptErrors(errors);
    }

    [Fact]
    public async Task An_operator_sees_only_their_regions_entries_and_is_refused_another_region_beside_the_region_filter()
    {
        var token = await _server.IssueTokenAsync(new { subject = "cho", role = "operator", regions = new[] { "daegu" } });
        using var cho = new HttpClient { BaseAddress = _server.BaseAddress };
        cho.DefaultRequestHeaders.Authorization = TestTokens.Header(token);
        await DrainAsync(cho, "daegu", drain: true);
        await DrainAsync(_server.Client, "suncheon", drain: true);

        var errors = new List<string>();
        var page = await browser.NewPageAsync(_server.BaseAddress, errors, token: token);
        await page.GotoAsync("/#/audit");
        var daegu = (await EntriesAsync("api/audit?region=daegu")).Count;
        Assert.True(daegu >= 1, $"{daegu} daegu entries");
        await Assertions.Expect(Rows(page).Locator("td:nth-child(5)")).ToHaveTextAsync(Enumerable.Repeat("daegu", daegu).ToArray());
        await Assertions.Expect(Rows(page).First.Locator("td").Nth(1)).ToHaveTextAsync("cho operator");
        await Assertions.Expect(Rows(page).First.Locator("td").Nth(3)).ToHaveTextAsync("region/daegu");
        await Assertions.Expect(page.Locator("table.audit-table")).Not.ToContainTextAsync("suncheon");
        await Browser.ScreenshotAsync(page, "audit-operator");

        await page.GetByLabel("Region").SelectOptionAsync("suncheon");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        var region = page.GetByLabel("Region");
        await Assertions.Expect(region).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(page.Locator(".field:has(#audit-region) .field-error")).ToHaveTextAsync("cho (operator of daegu) may not read the audit table of region 'suncheon'");
        await Assertions.Expect(region).ToHaveAccessibleDescriptionAsync(new Regex("may not read the audit table of region 'suncheon'$"));
        await Assertions.Expect(page.Locator(".list-status")).ToHaveTextAsync("No entries: the search was refused.");
        await Assertions.Expect(page.Locator("table.audit-table")).ToHaveCountAsync(0);
        Assert.DoesNotContain(errors, e => !e.StartsWith("Failed to load resource: the server responded with a status of 403", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_researcher_is_shown_the_servers_refusal_and_no_entries()
    {
        var token = await _server.IssueTokenAsync(new { subject = "ana", role = "researcher", projects = new[] { "p1" } });
        var errors = new List<string>();
        var page = await browser.NewPageAsync(_server.BaseAddress, errors, token: token);
        await page.GotoAsync("/#/audit");

        var alert = page.Locator("form.filters [role=alert]");
        await Assertions.Expect(alert).ToContainTextAsync("The search was refused: The caller's role does not allow this.");
        await Assertions.Expect(alert).ToContainTextAsync("Authorization: ana (researcher of p1) may not read the audit table: operators read their region's, coordinators all of it");
        await Assertions.Expect(page.Locator(".list-status")).ToHaveTextAsync("No entries: the search was refused.");
        await Assertions.Expect(page.Locator("table.audit-table")).ToHaveCountAsync(0);
        await Browser.ScreenshotAsync(page, "audit-refused-researcher");
        Assert.DoesNotContain(errors, e => !e.StartsWith("Failed to load resource: the server responded with a status of 403", StringComparison.Ordinal));
    }

    private static ILocator Rows(IPage page) => page.Locator("table.audit-table tbody tr");

    /// <summary>No script error; chromium logs every 4xx answer, which the page shows rather than fails on.</summary>
    private static void AssertNoScriptErrors(List<string> errors) =>
        Assert.DoesNotContain(errors, e => !e.StartsWith("Failed to load resource: the server responded with a status of 4", StringComparison.Ordinal));

    private static async Task DrainAsync(HttpClient client, string region, bool drain)
    {
        using var response = await client.PostAsync($"api/regions/{region}/drain", Json($$"""{"drain": {{(drain ? "true" : "false")}}, "requeueQueued": false}"""));
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"drain {region}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private async Task SetPriorityAsync(string project, int priority)
    {
        using var response = await _server.Client.PutAsync($"api/projects/{project}/priority", Json($$"""{"priority": {{priority}}}"""));
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"priority {project}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));

    private async Task<List<JsonElement>> EntriesAsync(string path) =>
        [.. (await _server.Client.GetFromJsonAsync<JsonElement>(path, ConsoleServer.Json)).GetProperty("entries").EnumerateArray()];
}

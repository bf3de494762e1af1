using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Federation.Console.Tests;

/// <summary>
/// The jobs pages as a researcher uses them: submit through the form (and see the server's refusals beside the fields),
/// search and page the list, follow one job and cancel it.
/// </summary>
public sealed partial class JobPagesTests(Browser browser) : IClassFixture<Browser>, IAsyncLifetime
{
    private ConsoleServer _server = null!;

    public async Task InitializeAsync() => _server = await ConsoleServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_job_submitted_through_the_form_opens_its_page_with_the_placement_of_every_region_and_its_history()
    {
        var errors = new List<string>();
        var page = await browser.NewPageAsync(_server.BaseAddress, errors);
        await page.GotoAsync("/#/jobs/new");
        await FillValidFormAsync(page);
        await page.GetByLabel("Dataset region").SelectOptionAsync("gwangju");
        await page.GetByLabel("Dataset size (GB)").FillAsync("2000");
        await Browser.ScreenshotAsync(page, "submit");

        // A double click sends once: the button is disabled while the request is in flight.
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit job" }).DblClickAsync();

        await Assertions.Expect(page).ToHaveURLAsync(JobPageUrl());
        await Assertions.Expect(page.GetByText("The job was submitted and placed.")).ToBeVisibleAsync();
        var placement = page.Locator("table.placement");
        await Assertions.Expect(placement.Locator("tbody tr")).ToHaveCountAsync(4);
        foreach (var region in new[] { "gwangju", "suncheon", "gwangyang", "daegu" })
        {
            await Assertions.Expect(placement.GetByRole(AriaRole.Rowheader, new() { Name = region })).ToBeVisibleAsync();
        }

        await Assertions.Expect(placement.Locator("tr.chosen")).ToHaveCountAsync(1);
        await Assertions.Expect(placement.Locator("tr.chosen")).ToContainTextAsync("chosen");
        await Assertions.Expect(page.Locator("table.history tbody tr").First).ToContainTextAsync("Submitted");
        await Assertions.Expect(page.Locator(".facts")).ToContainTextAsync("kr-llm");
        await Browser.ScreenshotAsync(page, "job");

        var list = await ListAsync();
        Assert.Equal(1, list.GetProperty("total").GetInt32());
        Assert.Equal("#/jobs/" + list.GetProperty("jobs")[0].GetProperty("id").GetString() + "?submitted=created", new Uri(page.Url).Fragment);
        AssertNoScriptErrors(errors);
    }

    [Fact]
    public async Task A_refused_form_shows_each_server_message_beside_its_field_keeps_what_was_typed_and_creates_nothing()
    {
        var errors = new List<string>();
        var page = await browser.NewPageAsync(_server.BaseAddress, errors);
        await page.GotoAsync("/#/jobs/new");
        await FillValidFormAsync(page);
        await page.GetByLabel("Accelerators", new() { Exact = true }).FillAsync("0");
        await page.GetByLabel("Dataset size (GB)").FillAsync("-5");
        await page.GetByLabel("Dataset region").SelectOptionAsync("daegu");
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit job" }).ClickAsync();

        var count = page.GetByLabel("Accelerators", new() { Exact = true });
        var size = page.GetByLabel("Dataset size (GB)");
        await Assertions.Expect(count).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(count).ToHaveAccessibleDescriptionAsync(new Regex("must be > 0"));
        await Assertions.Expect(page.Locator(".field:has(#job-count) .field-error")).ToHaveTextAsync("must be > 0");
        await Assertions.Expect(size).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(page.Locator(".field:has(#job-dataset-size) .field-error")).ToHaveTextAsync("must be >= 0");
        await Assertions.Expect(page.GetByLabel("Project")).Not.ToHaveAttributeAsync("aria-invalid", "true");

        // The summary lists both, each a link to its field; the first invalid field (in the form's order) has the focus.
        var summary = page.GetByRole(AriaRole.Alert);
        await Assertions.Expect(summary.GetByRole(AriaRole.Listitem)).ToHaveCountAsync(2);
        await Assertions.Expect(count).ToBeFocusedAsync();
        await summary.GetByRole(AriaRole.Link, new() { Name = "Dataset size (GB)" }).ClickAsync();
        await Assertions.Expect(size).ToBeFocusedAsync();

        // What the user typed is still there.
        await Assertions.Expect(count).ToHaveValueAsync("0");
        await Assertions.Expect(page.GetByLabel("Project")).ToHaveValueAsync("kr-llm");
        await Assertions.Expect(page.GetByRole(AriaRole.Checkbox, new() { Name = "H100" })).ToBeCheckedAsync();
        await Browser.ScreenshotAsync(page, "submit-errors");

        Assert.Equal(0, (await ListAsync()).GetProperty("total").GetInt32());
        AssertNoScriptErrors(errors);
    }

    [Fact]
    public async Task An_id_taken_by_a_different_request_is_shown_as_a_conflict_beside_the_id_with_a_link_to_that_job()
    {
        await _server.SubmitAsync(Job("llm-pretrain-7", "kr-llm", count: 16));
        var page = await browser.NewPageAsync(_server.BaseAddress);
        await page.GotoAsync("/#/jobs/new");
        await FillValidFormAsync(page);
        await page.GetByLabel("Job id").FillAsync("llm-pretrain-7");
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit job" }).ClickAsync();

        var summary = page.GetByRole(AriaRole.Alert);
        await Assertions.Expect(summary).ToContainTextAsync("this job id is taken by a job with a different request");
        await Assertions.Expect(page.GetByLabel("Job id")).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(page.Locator(".field:has(#job-id) .field-error")).ToContainTextAsync("already exists with a different body");
        await summary.GetByRole(AriaRole.Link, new() { Name = "Open the existing job llm-pretrain-7" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Job llm-pretrain-7");
        Assert.Equal(1, (await ListAsync()).GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task The_jobs_list_pages_forward_and_back_and_filters_by_project_from_the_form_and_from_a_link()
    {
        for (var i = 1; i <= 30; i++)
        {
            await _server.SubmitAsync(Job($"job-{i:D3}", i % 3 == 0 ? "kr-vision" : "kr-llm", owner: i % 2 == 0 ? "park" : "kim"));
        }

        var errors = new List<string>();
        var page = await browser.NewPageAsync(_server.BaseAddress, errors);
        await page.GotoAsync("/#/jobs");
        var status = page.Locator(".list-status");
        await Assertions.Expect(status).ToContainTextAsync("30 jobs");
        await page.GetByLabel("Page size").SelectOptionAsync("10");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();

        var rows = page.Locator("table.jobs-table tbody tr");
        await Assertions.Expect(status).ToContainTextAsync("showing 1–10 · page 1 of 3");
        await Assertions.Expect(rows).ToHaveCountAsync(10);
        // Newest first by default (the jobs share one submission instant on the test's clock: ties go by id, descending).
        await Assertions.Expect(rows.First.Locator("td").First).ToHaveTextAsync("job-030");
        var firstPageFirst = await rows.First.Locator("td").First.TextContentAsync();
        var next = page.GetByRole(AriaRole.Link, new() { Name = "Next page →" });
        var previous = page.GetByRole(AriaRole.Link, new() { Name = "← Previous page" });
        await Assertions.Expect(previous).ToHaveCountAsync(0);

        await next.ClickAsync();
        await Assertions.Expect(status).ToContainTextAsync("showing 11–20 · page 2 of 3");
        await Assertions.Expect(rows.First.Locator("td").First).Not.ToHaveTextAsync(firstPageFirst!);
        await next.ClickAsync();
        await Assertions.Expect(status).ToContainTextAsync("showing 21–30 · page 3 of 3");
        await Assertions.Expect(next).ToHaveCountAsync(0);
        await Browser.ScreenshotAsync(page, "jobs");
        await previous.ClickAsync();
        await Assertions.Expect(status).ToContainTextAsync("showing 11–20 · page 2 of 3");
        await previous.ClickAsync();
        await Assertions.Expect(status).ToContainTextAsync("showing 1–10 · page 1 of 3");
        await Assertions.Expect(rows.First.Locator("td").First).ToHaveTextAsync(firstPageFirst!);

        // The back button walks back through the pages seen.
        await page.GoBackAsync();
        await Assertions.Expect(status).ToContainTextAsync("showing 11–20 · page 2 of 3");

        // The other order, by id.
        await page.GetByLabel("Order").SelectOptionAsync("id");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"#/jobs\?.*order=id"));
        await Assertions.Expect(rows.First.Locator("td").First).ToHaveTextAsync("job-001");
        await Assertions.Expect(status).ToContainTextAsync("showing 1–10 · page 1 of 3");
        await page.GoBackAsync();
        await Assertions.Expect(rows.First.Locator("td").First).ToHaveTextAsync("job-020");

        // A filter from the form is in the address, so the search is a link.
        await page.GetByLabel("Project").FillAsync("kr-vision");
        await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"#/jobs\?.*project=kr-vision"));
        await Assertions.Expect(status).ToContainTextAsync("10 jobs");
        await Assertions.Expect(rows).ToHaveCountAsync(10);
        await Assertions.Expect(page.Locator("table.jobs-table tbody td:nth-child(7)")).ToHaveTextAsync(Enumerable.Repeat("kr-vision", 10).ToArray());
        await page.GoBackAsync();
        await Assertions.Expect(status).ToContainTextAsync("30 jobs");
        await Assertions.Expect(page.GetByLabel("Project")).ToHaveValueAsync("");

        // The same search opened from a link, in a new page.
        var linked = await browser.NewPageAsync(_server.BaseAddress, errors);
        await linked.GotoAsync("/#/jobs?project=kr-llm&owner=park&limit=10");
        await Assertions.Expect(linked.Locator(".list-status")).ToContainTextAsync("10 jobs · showing 1–10 · page 1 of 1");
        await Assertions.Expect(linked.GetByLabel("Project")).ToHaveValueAsync("kr-llm");
        await Assertions.Expect(linked.GetByLabel("Owner")).ToHaveValueAsync("park");
        await linked.GetByRole(AriaRole.Link, new() { Name = "job-002" }).ClickAsync();
        await Assertions.Expect(linked.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Job job-002");
        AssertNoScriptErrors(errors);
    }

    [Fact]
    public async Task A_filter_the_API_refuses_is_shown_beside_that_filter()
    {
        var page = await browser.NewPageAsync(_server.BaseAddress);
        await page.GotoAsync("/#/jobs?state=Sleeping");
        var state = page.GetByLabel("State");
        await Assertions.Expect(state).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(state).ToHaveAccessibleDescriptionAsync(new Regex("must be one of Submitted, Queued"));
        await Assertions.Expect(page.Locator(".list-status")).ToHaveTextAsync("No results: the search was refused.");
    }

    [Fact]
    public async Task Cancelling_a_job_from_its_page_asks_first_then_shows_it_cancelled_with_the_reason_in_its_history()
    {
        await _server.SubmitAsync(Job("vision-ft-3", "kr-vision"));
        var errors = new List<string>();
        var page = await browser.NewPageAsync(_server.BaseAddress, errors);
        await page.GotoAsync("/#/jobs/vision-ft-3");
        var state = page.Locator(".job-state");
        await Assertions.Expect(state).ToContainTextAsync("Running");

        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel job…" }).ClickAsync();
        await Assertions.Expect(page.GetByLabel("Reason (optional)")).ToBeFocusedAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Keep it" }).ClickAsync();
        await Assertions.Expect(state).ToContainTextAsync("Running");

        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel job…" }).ClickAsync();
        await page.GetByLabel("Reason (optional)").FillAsync("wrong checkpoint");
        await page.GetByRole(AriaRole.Button, new() { Name = "Yes, cancel the job" }).ClickAsync();

        await Assertions.Expect(state).ToContainTextAsync("Cancelled");
        await Assertions.Expect(page.Locator("table.history tbody tr").Last).ToContainTextAsync("cancelled: wrong checkpoint");
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel job…" })).ToBeHiddenAsync();
        var job = await _server.Client.GetFromJsonAsync<JsonElement>("api/jobs/vision-ft-3", ConsoleServer.Json);
        Assert.Equal("Cancelled", job.GetProperty("state").GetString());
        AssertNoScriptErrors(errors);
    }

    [Fact]
    public async Task A_queued_job_page_follows_the_job_and_shows_it_running_once_the_job_ahead_of_it_is_cancelled()
    {
        // Two jobs that each fill gwangyang's one pool and may run nowhere else: the second waits for the first.
        var gwangyang = await _server.Client.GetFromJsonAsync<JsonElement>("api/regions/gwangyang", ConsoleServer.Json);
        var all = gwangyang.GetProperty("pools")[0].GetProperty("count").GetInt32();
        object Filling(string id) => new { id, project = "kr-llm", owner = "kim", homeRegion = "gwangyang", accelerators = new { count = all, types = new[] { "H100" } }, durationHours = 4, allowedRegions = new[] { "gwangyang" } };
        await _server.SubmitAsync(Filling("ahead"));
        await _server.SubmitAsync(Filling("behind"));

        var errors = new List<string>();
        var page = await browser.NewPageAsync(_server.BaseAddress, errors);
        await page.GotoAsync("/#/jobs/behind");
        var state = page.Locator(".job-state");
        await Assertions.Expect(state).ToContainTextAsync("Queued");
        await Assertions.Expect(page.GetByRole(AriaRole.Row, new() { Name = "suncheon" })).ToContainTextAsync("no — ");

        using (var cancelled = await _server.Client.DeleteAsync("api/jobs/ahead"))
        {
            cancelled.EnsureSuccessStatusCode();
        }

        await Assertions.Expect(state).ToContainTextAsync("Running");
        await Assertions.Expect(page.Locator("table.history tbody tr").Last).ToContainTextAsync("Started");
        AssertNoScriptErrors(errors);
    }

    [Fact]
    public async Task An_unknown_job_id_says_no_job_has_it()
    {
        var page = await browser.NewPageAsync(_server.BaseAddress);
        await page.GotoAsync("/#/jobs/nope");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("No job has id nope");
    }

    /// <summary>
    /// No script error. Chromium also logs every 4xx answer ("Failed to load resource"); those are answers the page shows
    /// (a refused form, /api/live where the server has none), not errors of the page.
    /// </summary>
    private static void AssertNoScriptErrors(List<string> errors) =>
        Assert.DoesNotContain(errors, e => !e.StartsWith("Failed to load resource: the server responded with a status of 4", StringComparison.Ordinal));

    private static async Task FillValidFormAsync(IPage page)
    {
        await page.GetByLabel("Project").FillAsync("kr-llm");
        await page.GetByLabel("Owner").FillAsync("kim");
        await page.GetByLabel("Accelerators", new() { Exact = true }).FillAsync("8");
        await page.GetByRole(AriaRole.Checkbox, new() { Name = "H100" }).CheckAsync();
        await page.GetByLabel("Duration (hours)").FillAsync("2");
        await page.GetByLabel("Home region").SelectOptionAsync("gwangju");
    }

    private static object Job(string id, string project, string owner = "kim", int count = 8) => new
    {
        id,
        project,
        owner,
        homeRegion = "gwangju",
        accelerators = new { count, types = new[] { "H100" } },
        durationHours = 2,
    };

    private async Task<JsonElement> ListAsync() => await _server.Client.GetFromJsonAsync<JsonElement>("api/jobs", ConsoleServer.Json);

    private static Regex JobPageUrl() => new(@"#/jobs/job-[0-9a-f]{32}\?submitted=created$");
}

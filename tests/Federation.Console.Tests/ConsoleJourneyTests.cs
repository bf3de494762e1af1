using Microsoft.Playwright;

namespace Federation.Console.Tests;

/// <summary>
/// Across pages, as a researcher and a coordinator would use the console side by side: a job submitted through the
/// form appears on the megaregion page open in another tab, without a reload, and opens from there.
/// </summary>
public sealed class ConsoleJourneyTests(Browser browser) : IClassFixture<Browser>, IAsyncLifetime
{
    private ConsoleServer _server = null!;

    public async Task InitializeAsync() => _server = await CoordinatorServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_job_submitted_through_the_form_appears_on_the_open_megaregion_page_without_a_reload_and_opens_its_page()
    {
        var errors = new List<string>();
        var coordinator = await browser.NewPageAsync(_server.BaseAddress, errors);
        var loads = 0;
        coordinator.Load += (_, _) => Interlocked.Increment(ref loads);
        await coordinator.GotoAsync("/");
        await Assertions.Expect(coordinator.Locator("body[data-ready=\"megaregion\"]")).ToHaveCountAsync(1);
        await Assertions.Expect(coordinator.Locator(".latest-jobs")).ToContainTextAsync("No jobs yet");

        var researcher = await browser.NewPageAsync(_server.BaseAddress, errors);
        await researcher.GotoAsync("/#/jobs/new");
        await researcher.GetByLabel("Job id").FillAsync("journey-1");
        await researcher.GetByLabel("Project").FillAsync("kr-climate");
        await researcher.GetByLabel("Owner").FillAsync("choi");
        await researcher.GetByLabel("Home region").SelectOptionAsync("gwangju");
        await researcher.GetByLabel("Accelerators", new() { Exact = true }).FillAsync("8");
        await researcher.GetByRole(AriaRole.Checkbox, new() { Name = "H100" }).CheckAsync();
        await researcher.GetByLabel("Duration (hours)").FillAsync("3");
        await researcher.GetByRole(AriaRole.Button, new() { Name = "Submit job" }).ClickAsync();
        await Assertions.Expect(researcher.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Job journey-1");

        // The coordinator's page shows it from the live feed: the newest jobs and gwangju's running count.
        var row = coordinator.Locator(".latest-jobs tr[data-job=\"journey-1\"]");
        await Assertions.Expect(row).ToContainTextAsync("Running");
        await Assertions.Expect(row).ToContainTextAsync("Gwangju");
        await Assertions.Expect(coordinator.Locator("[data-region=\"gwangju\"]")).ToContainTextAsync("8 / 1,256");
        Assert.Equal(1, Volatile.Read(ref loads));
        await Browser.ScreenshotAsync(coordinator, "megaregion");

        await row.GetByRole(AriaRole.Link).First.ClickAsync();
        await Assertions.Expect(coordinator.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("Job journey-1");
        await Assertions.Expect(coordinator.Locator("table.placement tr.chosen")).ToContainTextAsync("gwangju");
        Assert.DoesNotContain(errors, e => !e.Contains("Failed to load resource", StringComparison.Ordinal));
    }
}

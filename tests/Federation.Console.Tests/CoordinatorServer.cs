namespace Federation.Console.Tests;

/// <summary>
/// The coordinator pages' tests share this: a server whose live feed sends a snapshot within 200 ms of a change and
/// samples each region's load every 200 ms (so the region page's chart has points within a second).
/// </summary>
internal static class CoordinatorServer
{
    public static Task<ConsoleServer> StartAsync()
    {
        // Playwright's 5 s default is short for a page, a server and other builds sharing two cores.
        Microsoft.Playwright.Assertions.SetDefaultExpectTimeout(15_000);
        return ConsoleServer.StartAsync(null, "--Federation:Live:Period=00:00:00.200", "--Federation:Live:HistoryInterval=00:00:00.200");
    }

    /// <summary>A job homed in <paramref name="home"/> asking for <paramref name="count"/> accelerators of <paramref name="type"/>.</summary>
    public static object Job(string id, string home, int count, string type) => new
    {
        id,
        project = "kr-llm",
        owner = "kim",
        homeRegion = home,
        accelerators = new { count, types = new[] { type } },
        durationHours = 4,
    };
}

using System.Text.Json.Nodes;
using Federation.TestKit;

namespace Federation.Cli.Tests;

/// <summary>
/// <c>fedctl residency</c> and <c>fedctl submit --residency</c> against a running server on loopback. The coordinator's
/// token comes from <c>$FEDCTL_TOKEN</c>.
/// </summary>
public sealed class FedctlResidencyTests : IClassFixture<ServerFixture>, IDisposable
{
    private readonly ServerFixture _server;
    private readonly FedctlHome _home = new();

    public FedctlResidencyTests(ServerFixture server)
    {
        _server = server;
        _home.Variables[Fedctl.TokenVariable] = TestTokens.Bootstrap;
    }

    public void Dispose() => _home.Dispose();

    private Task<FedctlRun> RunAsync(params string[] args) => _home.RunAsync([.. args, "--server", _server.Url]);

    [Fact]
    public async Task A_coordinator_sets_lists_shows_and_deletes_a_class_and_a_job_submitted_with_it_stays_inside()
    {
        var set = await RunAsync("residency", "set", "kr-cli", "--region", "daegu", "-r", "gwangju");
        Assert.Equal(0, set.ExitCode);
        Assert.Matches("^Created residency class kr-cli: allows gwangju, daegu \\(version [0-9]+\\)$", set.OutLines[0]);

        var list = await RunAsync("residency", "list");
        Assert.Equal(0, list.ExitCode);
        Assert.StartsWith("CLASS", list.OutLines[0], StringComparison.Ordinal);
        Assert.Contains(list.OutLines, l => System.Text.RegularExpressions.Regex.IsMatch(l, "^kr-cli +gwangju, daegu +[0-9]+$"));

        var shown = await RunAsync("residency", "show", "kr-cli", "--json");
        Assert.Equal(0, shown.ExitCode);
        Assert.Equal(["gwangju", "daegu"], JsonNode.Parse(shown.Out)!["regions"]!.AsArray().Select(r => r!.GetValue<string>()));

        // From suncheon, with its data there: the class keeps it out of suncheon and gwangyang.
        var submit = await RunAsync("submit", "--id", "cli-resident", "--project", "p-cli", "--home", "suncheon", "-n", "2", "--hours", "1",
            "--dataset-region", "suncheon", "--dataset-gb", "1", "--residency", "kr-cli", "--json");
        Assert.Equal(0, submit.ExitCode);
        var job = JsonNode.Parse(submit.Out)!;
        Assert.Equal("kr-cli", job["dataset"]!["residency"]!.GetValue<string>());
        Assert.Contains(job["region"]!.GetValue<string>(), new[] { "gwangju", "daegu" });
        var table = await RunAsync("job", "cli-resident");
        Assert.Contains("Dataset:      1 GB in suncheon, residency class kr-cli", table.OutLines);

        var inUse = await RunAsync("residency", "delete", "kr-cli");
        Assert.Equal(1, inUse.ExitCode);
        Assert.Contains("fedctl: the server answered 409 Conflict.", inUse.Error, StringComparison.Ordinal);
        Assert.Contains("  class: 1 unfinished job(s) carry residency class 'kr-cli' (e.g. cli-resident)", inUse.Error, StringComparison.Ordinal);

        Assert.Equal(0, (await RunAsync("cancel", "cli-resident")).ExitCode);
        var deleted = await RunAsync("residency", "delete", "kr-cli");
        Assert.Equal(0, deleted.ExitCode);
        Assert.Matches("^Deleted residency class kr-cli: allows gwangju, daegu \\(version [0-9]+\\)$", deleted.OutLines[0]);

        var missing = await RunAsync("residency", "show", "kr-cli");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("  class: no residency class is named 'kr-cli'", missing.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_class_is_refused_naming_each_field()
    {
        var run = await RunAsync("residency", "set", "Bad_Name", "--region", "jeju");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("fedctl: the server answered 400 The request is invalid.", run.Error, StringComparison.Ordinal);
        Assert.Contains("  class: must be 1 to 63 lower-case letters", run.Error, StringComparison.Ordinal);
        Assert.Contains("  regions[0]: unknown region 'jeju'", run.Error, StringComparison.Ordinal);
    }
}

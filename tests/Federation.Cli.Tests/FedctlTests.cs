using System.Text.Json.Nodes;
using Federation.Simulator;
using Federation.TestKit;

namespace Federation.Cli.Tests;

/// <summary>fedctl against a running server on loopback: tables, --json and exit codes. The coordinator's token goes with --token.</summary>
public sealed class FedctlTests : IClassFixture<ServerFixture>
{
    private readonly ServerFixture _server;

    public FedctlTests(ServerFixture server)
    {
        _server = server;
    }

    private Task<FedctlRun> RunAsync(params string[] args) => FedctlRun.RunAsync([.. args, "--server", _server.Url, "--token", TestTokens.Bootstrap]);

    [Fact]
    public async Task Regions_prints_a_table_of_the_four_regions()
    {
        var run = await RunAsync("regions");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("", run.Error);
        var lines = run.OutLines;
        Assert.Equal(5, lines.Length);
        Assert.StartsWith("ID         NAME", lines[0], StringComparison.Ordinal);
        Assert.Equal(["gwangju", "suncheon", "gwangyang", "daegu"], lines[1..].Select(l => l.Split(' ')[0]));
        Assert.Contains("H100=628, A100=112", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Regions_json_prints_the_servers_json()
    {
        var run = await RunAsync("regions", "--json");

        Assert.Equal(0, run.ExitCode);
        var regions = JsonNode.Parse(run.Out)!.AsArray();
        Assert.Equal(["gwangju", "suncheon", "gwangyang", "daegu"], regions.Select(r => r!["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Region_prints_its_pools()
    {
        var run = await RunAsync("region", "daegu");

        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith("Region:       daegu - Daegu", run.OutLines[0], StringComparison.Ordinal);
        Assert.Contains(run.OutLines, l => System.Text.RegularExpressions.Regex.IsMatch(l, "^NPU-FuriosaAI-RNGD +128 "));
    }

    [Fact]
    public async Task Submit_with_flags_places_the_job_and_a_repeat_is_recognised()
    {
        string[] submit = ["submit", "--id", "cli-1", "--project", "p-cli", "--owner", "lee", "--home", "gwangju", "-n", "4", "--type", "H100", "--hours", "3", "--dataset-region", "gwangju", "--dataset-gb", "50"];

        var first = await RunAsync(submit);
        var again = await RunAsync(submit);

        Assert.Equal(0, first.ExitCode);
        Assert.Matches("^Submitted cli-1: (Queued|Running) in gwangju$", first.OutLines[0]);
        Assert.StartsWith("Reason: ", first.OutLines[1], StringComparison.Ordinal);
        Assert.Equal(0, again.ExitCode);
        Assert.Matches("^Already submitted \\(same id and body\\): cli-1: (Queued|Running) in gwangju$", again.OutLines[0]);
    }

    [Fact]
    public async Task Submit_from_a_file_with_a_flag_overriding_the_id()
    {
        var file = Path.Combine(Path.GetTempPath(), $"job-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, """{"id": "from-file", "project": "p-file", "homeRegion": "gwangyang", "accelerators": {"count": 2}, "durationHours": 1}""");
        try
        {
            var run = await RunAsync("submit", "--file", file, "--id", "file-override", "--json");

            Assert.Equal(0, run.ExitCode);
            var job = JsonNode.Parse(run.Out)!;
            Assert.Equal("file-override", job["id"]!.GetValue<string>());
            Assert.Equal("p-file", job["project"]!.GetValue<string>());
            Assert.Equal(2, job["accelerators"]!["count"]!.GetValue<int>());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Submit_a_script_with_its_environment_and_show_it()
    {
        var script = Path.Combine(Path.GetTempPath(), $"job-{Guid.NewGuid():N}.sh");
        await File.WriteAllTextAsync(script, "#!/bin/bash\necho \"$GREETING\"\nexit 3\n");
        try
        {
            var run = await RunAsync("submit", "--id", "cli-script", "--project", "p", "--home", "gwangju", "-n", "1", "--hours", "1",
                "--script", script, "--env", "GREETING=hello=world", "--env", "EPOCHS=3", "--workdir", "/scratch/p", "--json");

            Assert.Equal(0, run.ExitCode);
            var job = JsonNode.Parse(run.Out)!;
            Assert.Equal("#!/bin/bash\necho \"$GREETING\"\nexit 3\n", job["run"]!["script"]!.GetValue<string>());
            Assert.Equal("hello=world", job["run"]!["environment"]!["GREETING"]!.GetValue<string>());
            Assert.Equal("3", job["run"]!["environment"]!["EPOCHS"]!.GetValue<string>());
            Assert.Equal("/scratch/p", job["run"]!["workingDirectory"]!.GetValue<string>());

            var shown = await RunAsync("job", "cli-script");
            Assert.Contains("Runs:         a script of 3 line(s) in /scratch/p, 2 environment variable(s)", shown.OutLines);
        }
        finally
        {
            File.Delete(script);
        }
    }

    [Fact]
    public async Task A_bad_env_flag_or_an_unreadable_script_is_a_usage_error()
    {
        var env = await RunAsync("submit", "--project", "p", "--home", "gwangju", "-n", "1", "--hours", "1", "--script", "/etc/hostname", "--env", "NOEQUALS");
        var script = await RunAsync("submit", "--project", "p", "--home", "gwangju", "-n", "1", "--hours", "1", "--script", "/no/such/job.sh");

        Assert.Equal((2, "fedctl: --env must be NAME=VALUE, not 'NOEQUALS'"), (env.ExitCode, env.Error.Trim()));
        Assert.Equal(2, script.ExitCode);
        Assert.StartsWith("fedctl: cannot read --script /no/such/job.sh:", script.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_submission_exits_1_and_prints_the_problems_fields()
    {
        var run = await RunAsync("submit", "--project", "p", "--home", "busan", "-n", "0", "--hours", "1");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("", run.Out);
        var lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("fedctl: the server answered 400 The request is invalid.", lines[0]);
        Assert.Contains("  accelerators.count: must be > 0", lines);
        Assert.Contains(lines, l => l.StartsWith("  homeRegion: unknown region 'busan'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bad_submission_with_json_prints_the_problem_document_too()
    {
        var run = await RunAsync("submit", "--project", "p", "--home", "gwangju", "-n", "-1", "--hours", "1", "--json");

        Assert.Equal(1, run.ExitCode);
        var problem = JsonNode.Parse(run.Out)!;
        Assert.Equal(400, problem["status"]!.GetValue<int>());
        Assert.Equal("must be > 0", problem["errors"]!["accelerators.count"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Job_prints_state_reason_placement_and_history()
    {
        Assert.Equal(0, (await RunAsync("submit", "--id", "cli-show", "--project", "p", "--home", "suncheon", "-n", "2", "--hours", "1")).ExitCode);

        var run = await RunAsync("job", "cli-show");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("Job:          cli-show", run.OutLines[0]);
        Assert.Matches("^State:        (Queued|Running) in ", run.OutLines[1]);
        Assert.Contains(run.OutLines, l => l.StartsWith("Reason:       ", StringComparison.Ordinal));
        Assert.Contains("History:", run.OutLines);
        Assert.Contains(run.OutLines, l => l.StartsWith("AT ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Job_of_an_unknown_id_exits_1_with_404()
    {
        var run = await RunAsync("job", "no-such-job");

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("fedctl: the server answered 404 Not found.\n  id: no job has id 'no-such-job'", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancel_cancels_and_jobs_lists_by_project()
    {
        Assert.Equal(0, (await RunAsync("submit", "--id", "cli-c1", "--project", "p-list", "--home", "daegu", "-n", "1", "--hours", "1")).ExitCode);
        Assert.Equal(0, (await RunAsync("submit", "--id", "cli-c2", "--project", "p-list", "--home", "daegu", "-n", "1", "--hours", "1")).ExitCode);

        var cancel = await RunAsync("cancel", "cli-c1", "--reason", "wrong data");
        var list = await RunAsync("jobs", "--project", "p-list");
        var cancelled = await RunAsync("jobs", "--project", "p-list", "--state", "Cancelled", "--json");

        Assert.Equal(0, cancel.ExitCode);
        Assert.Equal("State:        Cancelled in daegu", cancel.OutLines[1]);
        Assert.Equal(0, list.ExitCode);
        Assert.StartsWith("ID ", list.OutLines[0], StringComparison.Ordinal);
        Assert.Equal(["cli-c1", "cli-c2"], list.OutLines[1..3].Select(l => l.Split(' ')[0]));
        Assert.Equal("2 of 2 job(s)", list.OutLines[^1]);
        Assert.Equal(["cli-c1"], JsonNode.Parse(cancelled.Out)!["jobs"]!.AsArray().Select(j => j!["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Jobs_lists_by_owner()
    {
        Assert.Equal(0, (await RunAsync("submit", "--id", "cli-o1", "--project", "p-owned", "--owner", "yoon", "--home", "gwangyang", "-n", "1", "--hours", "1")).ExitCode);
        Assert.Equal(0, (await RunAsync("submit", "--id", "cli-o2", "--project", "p-owned", "--owner", "han", "--home", "gwangyang", "-n", "1", "--hours", "1")).ExitCode);
        Assert.Equal(0, (await RunAsync("submit", "--id", "cli-o3", "--project", "p-other", "--owner", "yoon", "--home", "daegu", "-n", "1", "--hours", "1")).ExitCode);

        var yoon = await RunAsync("jobs", "--owner", "yoon");
        var yoonInProject = await RunAsync("jobs", "--owner", "yoon", "--project", "p-owned", "--json");
        var blank = await RunAsync("jobs", "--owner", " ");

        Assert.Equal(0, yoon.ExitCode);
        Assert.StartsWith("ID ", yoon.OutLines[0], StringComparison.Ordinal);
        Assert.Equal(["cli-o1", "cli-o3"], yoon.OutLines[1..^1].Select(l => l.Split(' ')[0]));
        Assert.All(yoon.OutLines[1..^1], l => Assert.EndsWith(" yoon", l, StringComparison.Ordinal));
        Assert.Equal("2 of 2 job(s)", yoon.OutLines[^1]);
        Assert.Equal(0, yoonInProject.ExitCode);
        Assert.Equal(["cli-o1"], JsonNode.Parse(yoonInProject.Out)!["jobs"]!.AsArray().Select(j => j!["id"]!.GetValue<string>()));
        Assert.Equal(1, blank.ExitCode);
        Assert.Contains("  owner: must not be empty", blank.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Jobs_newest_lists_the_latest_submission_first()
    {
        // Submitted one after another in id order: newest first reverses it (a tie in time falls back to id descending).
        foreach (var id in new[] { "cli-n1", "cli-n2", "cli-n3" })
        {
            Assert.Equal(0, (await RunAsync("submit", "--id", id, "--project", "p-newest", "--home", "suncheon", "-n", "1", "--hours", "1")).ExitCode);
        }

        var newest = await RunAsync("jobs", "--project", "p-newest", "--newest");
        var newestJson = await RunAsync("jobs", "--project", "p-newest", "--newest", "--limit", "2", "--json");
        var byId = await RunAsync("jobs", "--project", "p-newest");

        Assert.Equal(0, newest.ExitCode);
        Assert.Equal(["cli-n3", "cli-n2", "cli-n1"], newest.OutLines[1..^1].Select(l => l.Split(' ')[0]));
        Assert.Equal("3 of 3 job(s)", newest.OutLines[^1]);
        var page = JsonNode.Parse(newestJson.Out)!;
        Assert.Equal(["cli-n3", "cli-n2"], page["jobs"]!.AsArray().Select(j => j!["id"]!.GetValue<string>()));
        Assert.Equal("cli-n2", page["nextAfter"]!.GetValue<string>());
        Assert.Equal(["cli-n1", "cli-n2", "cli-n3"], byId.OutLines[1..^1].Select(l => l.Split(' ')[0]));
    }

    [Fact]
    public async Task Jobs_with_a_bad_state_exits_1_naming_state()
    {
        var run = await RunAsync("jobs", "--state", "Sleeping");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("  state: must be one of", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Offer_set_replaces_the_offer()
    {
        var run = await RunAsync("offer", "set", "gwangyang", "--type", "H100=64", "--preemptible");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Offer:        H100=64, preemptible (60 s grace)", run.OutLines);
    }

    [Fact]
    public async Task Offer_set_with_a_malformed_type_is_a_usage_error()
    {
        var run = await RunAsync("offer", "set", "gwangyang", "--type", "H100:64");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("fedctl: --type must be TYPE=COUNT (e.g. H100=64), not 'H100:64'\n", run.Error);
    }

    [Fact]
    public async Task Offer_set_for_a_pool_the_region_lacks_exits_1_naming_the_field()
    {
        var run = await RunAsync("offer", "set", "gwangyang", "--type", "A100=8");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("  accelerators[0].type: region 'gwangyang' has no 'A100' pool", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Drain_and_undo()
    {
        var drain = await RunAsync("drain", "suncheon", "--keep-queued");
        var undo = await RunAsync("drain", "suncheon", "--undo");

        Assert.Equal(0, drain.ExitCode);
        Assert.Contains("Draining:     yes", drain.OutLines);
        Assert.Equal(0, undo.ExitCode);
        Assert.Contains("Draining:     no", undo.OutLines);
    }

    [Fact]
    public async Task Ledger_prints_what_a_region_lent_by_borrower_and_type_then_its_totals()
    {
        // Allowed only in suncheon: it runs there at once on suncheon's A100s, and counts until now.
        var submit = await RunAsync("submit", "--id", "cli-ledger-1", "--project", "p-cli", "--owner", "lee", "--home", "gwangju", "-n", "2", "--type", "A100", "--hours", "5", "--allowed", "suncheon");
        var run = await RunAsync("ledger", "--region", "suncheon");

        Assert.Equal(0, submit.ExitCode);
        Assert.Equal((0, ""), (run.ExitCode, run.Error));
        var lines = run.OutLines;
        Assert.Matches("^Ledger \\d{4}-\\d{2} for suncheon, as of \\d{4}-\\d{2}-\\d{2} ", lines[0]);
        Assert.Matches("^LENDER +BORROWER +TYPE +ACCEL-HOURS +PF-HOURS +RUNS$", lines[1]);
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, "^suncheon +gwangju +A100 +[0-9.]+ +[0-9.]+ +[1-9][0-9]*$"));
        var totals = Array.FindIndex(lines, l => l.StartsWith("REGION ", StringComparison.Ordinal));
        Assert.Matches("^REGION +LENT ACCEL-HOURS +BORROWED ACCEL-HOURS +LENT PF-HOURS +BORROWED PF-HOURS +BALANCE PF-HOURS$", lines[totals]);
        Assert.Equal(["suncheon"], lines[(totals + 1)..].Select(l => l.Split(' ')[0]));
    }

    [Fact]
    public async Task Audit_prints_who_changed_what_newest_first_and_a_bad_limit_exits_1_naming_it()
    {
        var priority = await RunAsync("project", "priority", "p-cli-audit", "3");
        var again = await RunAsync("project", "priority", "p-cli-audit", "4");
        var run = await RunAsync("audit", "--target", "project/p-cli-audit");
        var paged = await RunAsync("audit", "--target", "project/p-cli-audit", "--limit", "1");
        var json = await RunAsync("audit", "--target", "project/p-cli-audit", "--json");
        var bad = await RunAsync("audit", "--limit", "0");

        Assert.Equal((0, 0), (priority.ExitCode, again.ExitCode));
        Assert.Equal((0, ""), (run.ExitCode, run.Error));
        Assert.Matches("^SEQ +AT +ACTOR +ROLE +ACTION +TARGET +REGION +FROM +CHANGE$", run.OutLines[0]);
        Assert.Matches("^[0-9]+ +\\d{4}-\\d{2}-\\d{2} .* +bootstrap +coordinator +project.priority +project/p-cli-audit +- +127\\.0\\.0\\.1 +\\{\"priority\":3\\} -> \\{\"priority\":4\\}$", run.OutLines[1]);
        Assert.Matches("\\{\"priority\":0\\} -> \\{\"priority\":3\\}$", run.OutLines[2]);
        Assert.Equal(3, run.OutLines.Length);

        // One per page: the first, then how to go on.
        Assert.Equal(3, paged.OutLines.Length);
        Assert.Matches("^next: fedctl audit --before [0-9]+$", paged.OutLines[2]);

        Assert.Equal(0, json.ExitCode);
        var entries = JsonNode.Parse(json.Out)!["entries"]!.AsArray();
        Assert.Equal(["project.priority", "project.priority"], entries.Select(e => e!["action"]!.GetValue<string>()));
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("  limit: must be an integer from 1 to 1000", bad.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ledger_json_prints_the_servers_statement_and_a_bad_month_exits_1_naming_it()
    {
        var run = await RunAsync("ledger", "--month", "2020-01", "--json");
        var bad = await RunAsync("ledger", "--month", "2020-13");

        Assert.Equal(0, run.ExitCode);
        var view = JsonNode.Parse(run.Out)!;
        Assert.Equal(("2020-01", 0), (view["month"]!.GetValue<string>(), view["entries"]!.AsArray().Count));
        Assert.Equal(["gwangju", "suncheon", "gwangyang", "daegu"], view["regions"]!.AsArray().Select(r => r!["region"]!.GetValue<string>()));
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("  month: must be a UTC calendar month as YYYY-MM", bad.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Project_allocate_show_return_and_projects_print_tables_and_a_bad_term_exits_1_naming_it()
    {
        var allocate = await RunAsync("project", "allocate", "p-cli-alloc", "--term", "long", "--class", "H100", "--hours", "1000",
            "--from", "2020-01-01T00:00:00Z", "--until", "2099-01-01T00:00:00Z", "--region", "gwangju");
        var returned = await RunAsync("project", "return", "p-cli-alloc", "--term", "long", "--class", "H100", "--hours", "10");
        var show = await RunAsync("project", "show", "p-cli-alloc");
        var list = await RunAsync("projects");
        var json = await RunAsync("project", "show", "p-cli-alloc", "--json");
        var bad = await RunAsync("project", "allocate", "p-cli-alloc", "--term", "forever", "--hours", "1", "--from", "2020-01-01T00:00:00Z", "--until", "2021-01-01T00:00:00Z");

        Assert.Equal((0, ""), (allocate.ExitCode, allocate.Error));
        Assert.Equal("Project:      p-cli-alloc (version 1)", allocate.OutLines[0]);
        Assert.Equal((0, ""), (returned.ExitCode, returned.Error));
        Assert.Equal((0, ""), (show.ExitCode, show.Error));
        Assert.Equal("Standing:     allocated: project p-cli-alloc has 990 of 1000 long-term H100 hours left", show.OutLines[1]);
        Assert.Equal("Priority:     0 (its jobs submitted without a priority take it)", show.OutLines[2]);
        Assert.Matches("^TERM +CLASS +FROM +UNTIL +GRANTED +USED +RETURNED +LEFT +REGION +CURRENT$", show.OutLines[4]);
        Assert.Matches("^long +H100 +2020-01-01 00:00:00Z +2099-01-01 00:00:00Z +1000 +0 +10 +990 +gwangju +yes$", show.OutLines[5]);
        Assert.Matches("^RETURNED AT +TERM +CLASS +HOURS +REGION +ACCELERATORS LENT +UNTIL$", show.OutLines[6]);
        Assert.Matches("^\\d{4}-\\d{2}-\\d{2} [0-9:]+Z +long +H100 +10 +- +0 +2099-01-01 00:00:00Z$", show.OutLines[7]);
        Assert.Equal(0, list.ExitCode);
        Assert.Matches("^PROJECT +STANDING +GRANTED +USED +RETURNED +LEFT +UNALLOCATED$", list.OutLines[0]);
        Assert.Contains(list.OutLines, l => System.Text.RegularExpressions.Regex.IsMatch(l, "^p-cli-alloc +allocated +1000 +0 +10 +990 +0$"));
        Assert.Equal(2, JsonNode.Parse(json.Out)!["version"]!.GetValue<long>());
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("  term: must be one of short, mid, long (was 'forever')", bad.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Project_priority_sets_the_class_the_projects_jobs_take_and_an_out_of_range_one_exits_1_naming_it()
    {
        var set = await RunAsync("project", "priority", "p-cli-priority", "7");
        var bad = await RunAsync("project", "priority", "p-cli-priority", "5000");
        var json = await RunAsync("project", "show", "p-cli-priority", "--json");

        Assert.Equal((0, ""), (set.ExitCode, set.Error));
        Assert.Equal("Priority:     7 (its jobs submitted without a priority take it)", set.OutLines[2]);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("  priority: must be from -1000 to 1000", bad.Error, StringComparison.Ordinal);
        Assert.Equal((7, 1), (JsonNode.Parse(json.Out)!["priority"]!.GetValue<int>(), JsonNode.Parse(json.Out)!["version"]!.GetValue<int>()));
    }

    [Fact]
    public async Task Megaregion_prints_totals_regions_and_flows()
    {
        var run = await RunAsync("megaregion");

        Assert.Equal(0, run.ExitCode);
        Assert.Matches("^Megaregion: \\d+/\\d+ accelerators busy", run.OutLines[0]);
        Assert.StartsWith("REGION ", run.OutLines[1], StringComparison.Ordinal);
        Assert.Equal(["daegu", "gwangju", "gwangyang", "suncheon"], run.OutLines[2..6].Select(l => l.Split(' ')[0]).Order(StringComparer.Ordinal));

        // The embedded default: one silo, every region up on it, none away.
        Assert.Matches("^REGION +STATUS +CAPACITY .* HOSTED ON$", run.OutLines[1]);
        foreach (var line in run.OutLines[2..6])
        {
            var columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("up", columns[1]);
            Assert.Matches("^127\\.0\\.0\\.1:\\d+$", columns[^1]);
        }
    }

    [Fact]
    public async Task An_unreachable_server_exits_3_naming_the_url()
    {
        var run = await FedctlRun.RunAsync("regions", "--server", "http://127.0.0.1:1");

        Assert.Equal(3, run.ExitCode);
        Assert.StartsWith("fedctl: cannot reach the server at http://127.0.0.1:1: ", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("job")]
    [InlineData("submit", "-n", "many")]
    [InlineData("regions", "--server", "not a url")]
    public async Task Usage_errors_exit_2(params string[] args)
    {
        var run = await FedctlRun.RunAsync(args);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("fedctl: ", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulate_forwards_to_the_simulator_and_prints_the_same()
    {
        var run = await FedctlRun.RunAsync("simulate", "--help");
        using var expected = new StringWriter();
        var code = await SimulatorApp.RunAsync(["--help"], expected, TextWriter.Null, CancellationToken.None);

        Assert.Equal(code, run.ExitCode);
        Assert.Equal(expected.ToString().ReplaceLineEndings("\n"), run.Out);
        Assert.Equal(2, (await FedctlRun.RunAsync("simulate")).ExitCode);
    }
}

using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Federation.Server.Tests.Deploy;

/// <summary>
/// <c>deploy/local/megaregion.sh</c> without starting a silo: its syntax, its region and port table, its command line
/// against the server's flags. (Running it end to end needs the server's cluster mode and PostgreSQL.)
/// </summary>
public sealed partial class LocalScriptTests
{
    [Fact]
    public void The_script_parses()
    {
        var (exit, _, stderr) = DeployFiles.Bash(null, "-n", DeployFiles.Script);

        Assert.True(exit == 0, $"bash -n megaregion.sh: {stderr}");
    }

    [Fact]
    public void Its_table_has_one_silo_per_region_of_the_embedded_megaregion_with_ports_of_its_own()
    {
        var table = DeployFiles.ScriptPorts();

        Assert.Equal(DeployFiles.Regions, table.Select(t => t.Region));
        Assert.Equal(
            [("gwangju", 5081, 11111, 30000), ("suncheon", 5082, 11112, 30001), ("gwangyang", 5083, 11113, 30002), ("daegu", 5084, 11114, 30003)],
            table);
        var ports = table.SelectMany(t => new[] { t.Http, t.Silo, t.Gateway }).ToList();
        Assert.Equal(ports.Count, ports.Distinct().Count());
    }

    [Fact]
    public void The_first_port_of_each_kind_is_set_from_the_environment()
    {
        var table = DeployFiles.ScriptPorts(new Dictionary<string, string>
        {
            ["MEGAREGION_BASE_HTTP_PORT"] = "6100",
            ["MEGAREGION_BASE_SILO_PORT"] = "21100",
            ["MEGAREGION_BASE_GATEWAY_PORT"] = "31100",
        });

        Assert.Equal([6100, 6101, 6102, 6103], table.Select(t => t.Http));
        Assert.Equal([21100, 21101, 21102, 21103], table.Select(t => t.Silo));
        Assert.Equal([31100, 31101, 31102, 31103], table.Select(t => t.Gateway));
    }

    [Fact]
    public void A_port_that_is_not_a_number_is_refused_naming_it()
    {
        var (exit, stdout, stderr) = DeployFiles.Bash(new Dictionary<string, string> { ["MEGAREGION_BASE_HTTP_PORT"] = "80a" }, DeployFiles.Script, "ports");

        Assert.Equal(1, exit);
        Assert.Equal("", stdout);
        Assert.Contains("'80a'", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Status_with_no_silo_running_prints_nothing_and_exits_3()
    {
        var runDir = Directory.CreateTempSubdirectory("megaregion-run-");
        try
        {
            // A pid file whose process is not a silo of its region (this test's own pid) does not count as running.
            File.WriteAllText(Path.Combine(runDir.FullName, "gwangju.pid"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            File.WriteAllText(Path.Combine(runDir.FullName, "gwangju.url"), "http://127.0.0.1:5081");

            var (exit, stdout, _) = DeployFiles.Bash(new Dictionary<string, string> { ["MEGAREGION_RUN_DIR"] = runDir.FullName }, DeployFiles.Script, "status");

            Assert.Equal(3, exit);
            Assert.Equal("", stdout);
        }
        finally
        {
            runDir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Up_refuses_a_port_another_server_listens_on_before_building_or_starting_anything()
    {
        var runDir = Directory.CreateTempSubdirectory("megaregion-run-");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;

            var (exit, stdout, stderr) = DeployFiles.Bash(
                new Dictionary<string, string> { ["MEGAREGION_RUN_DIR"] = runDir.FullName, ["MEGAREGION_BASE_HTTP_PORT"] = port.ToString(CultureInfo.InvariantCulture) },
                DeployFiles.Script,
                "up");

            Assert.Equal(1, exit);
            Assert.Equal("", stdout);
            Assert.Contains($"port {port} (http port of gwangju) is in use", stderr, StringComparison.Ordinal);
            Assert.Empty(runDir.GetFiles("*.pid"));
            Assert.Empty(runDir.GetFiles("build.log"));
        }
        finally
        {
            listener.Stop();
            runDir.Delete(recursive: true);
        }
    }

    [Fact]
    public void An_unknown_command_prints_the_usage_and_exits_2()
    {
        var (exit, _, stderr) = DeployFiles.Bash(null, DeployFiles.Script, "start");

        Assert.Equal(2, exit);
        Assert.Contains("megaregion.sh up", stderr, StringComparison.Ordinal);
        Assert.Contains("megaregion.sh down", stderr, StringComparison.Ordinal);
        Assert.Contains("megaregion.sh status", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_silos_command_line_uses_only_flags_of_the_server_and_keeps_the_connection_string_off_it()
    {
        var flags = SiloFlags();

        Assert.All(flags, f => Assert.True(f == "--urls" || FederationServer.Flags.ContainsKey(f), $"the server has no flag {f}"));
        Assert.Contains("--region", flags);
        Assert.Contains("--cluster-id", flags);
        Assert.Contains("--storage", flags);
        Assert.DoesNotContain("--connection", flags);
        Assert.Contains("export Federation__Connection=", File.ReadAllText(DeployFiles.Script), StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // the script and its file modes are Unix's
    public void The_token_command_writes_a_token_once_readable_by_its_owner_alone_which_the_server_accepts()
    {
        var runDir = Directory.CreateTempSubdirectory("megaregion-run-");
        var otherDir = Directory.CreateTempSubdirectory("megaregion-run-");
        try
        {
            var environment = new Dictionary<string, string> { ["MEGAREGION_RUN_DIR"] = runDir.FullName };
            var (exit, stdout, stderr) = DeployFiles.Bash(environment, DeployFiles.Script, "token");
            var file = Path.Combine(runDir.FullName, "bootstrap-token");

            Assert.True(exit == 0, $"megaregion.sh token exited {exit}: {stderr}");
            Assert.Equal(file + "\n", stdout);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            var token = File.ReadAllText(file).TrimEnd('\n');
            Assert.Matches("^[0-9a-f]{64}$", token);
            Assert.Null(DeployFiles.BootstrapTokenRefusal(token));

            // Once: the next up (or token) keeps it; another run directory gets its own.
            Assert.Equal(0, DeployFiles.Bash(environment, DeployFiles.Script, "token").ExitCode);
            Assert.Equal(token, File.ReadAllText(file).TrimEnd('\n'));
            Assert.Equal(0, DeployFiles.Bash(new Dictionary<string, string> { ["MEGAREGION_RUN_DIR"] = otherDir.FullName }, DeployFiles.Script, "token").ExitCode);
            Assert.NotEqual(token, File.ReadAllText(Path.Combine(otherDir.FullName, "bootstrap-token")).TrimEnd('\n'));
        }
        finally
        {
            runDir.Delete(recursive: true);
            otherDir.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_token_file_the_server_would_refuse_is_refused_naming_it()
    {
        var runDir = Directory.CreateTempSubdirectory("megaregion-run-");
        try
        {
            var file = Path.Combine(runDir.FullName, "bootstrap-token");
            File.WriteAllText(file, "too short\n");

            var (exit, stdout, stderr) = DeployFiles.Bash(new Dictionary<string, string> { ["MEGAREGION_RUN_DIR"] = runDir.FullName }, DeployFiles.Script, "token");

            Assert.Equal(1, exit);
            Assert.Equal("", stdout);
            Assert.Contains(file, stderr, StringComparison.Ordinal);
            Assert.Contains("at least 32 characters", stderr, StringComparison.Ordinal);
            Assert.Equal("too short\n", File.ReadAllText(file));
        }
        finally
        {
            runDir.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_silos_get_the_token_through_the_environment_and_the_health_checks_send_none()
    {
        var script = File.ReadAllText(DeployFiles.Script);

        Assert.DoesNotContain("Bootstrap", SiloCommand(), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("export " + DeployFiles.BootstrapTokenVariable, script, StringComparison.Ordinal);
        var healthy = script.Split('\n').Single(l => l.StartsWith("healthy()", StringComparison.Ordinal));
        Assert.DoesNotContain("Authorization", healthy, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Its_run_directory_is_ignored_by_git()
    {
        Assert.Contains("deploy/local/run/", File.ReadAllLines(Path.Combine(DeployFiles.RepoRoot, ".gitignore")));
    }

    /// <summary>The flags of the <c>dotnet Federation.Server.dll</c> command that starts a silo.</summary>
    private static List<string> SiloFlags() => [.. Flag().Matches(SiloCommand()).Select(m => m.Value)];

    /// <summary>The <c>dotnet Federation.Server.dll</c> command that starts a silo (one command over continued lines).</summary>
    private static string SiloCommand()
    {
        var lines = File.ReadAllLines(DeployFiles.Script);
        var start = Array.FindIndex(lines, l => l.Contains("dotnet \"$dll\"", StringComparison.Ordinal));
        Assert.True(start >= 0, "the script has no 'dotnet \"$dll\"' command");
        var command = new List<string>();
        for (var i = start; i < lines.Length; i++)
        {
            command.Add(lines[i]);
            if (!lines[i].TrimEnd().EndsWith('\\'))
            {
                break;
            }
        }

        return string.Join(' ', command);
    }

    [GeneratedRegex(@"(?<=\s)--[a-z][a-z-]*", RegexOptions.CultureInvariant)]
    private static partial Regex Flag();
}

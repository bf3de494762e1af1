using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Federation.TestKit.Net;

namespace Federation.TestKit.Slurm;

/// <summary>
/// A real single-node Slurm cluster with slurmrestd, of a test's own: <c>deploy/slurm/local-slurm.sh up</c> in a
/// fresh temporary directory on free loopback ports (its own munge, keys, state and node name, so clusters run side
/// by side), stopped with <c>down</c> and deleted on dispose. Jobs run as the unprivileged <see cref="User"/>, never
/// as root. Needs Slurm installed (<c>eng/ensure-tools.sh</c>) and root (the script starts slurmctld and slurmd as
/// root): a test without it fails, it does not skip.
/// </summary>
public sealed class SlurmCluster : IAsyncDisposable
{
    /// <summary>Set by ./eng/test.sh to the path of slurmctld that eng/ensure-tools.sh installed.</summary>
    public const string EnvironmentVariable = "FEDERATION_TEST_SLURM";

    /// <summary>When set (to anything), a disposed cluster's directory is kept and its logs' tails written to stderr.</summary>
    public const string KeepEnvironmentVariable = "FEDERATION_TEST_KEEP_SLURM";

    /// <summary>The slurmrestd OpenAPI version the script starts and <see cref="JobsAsync"/> speaks.</summary>
    public const string RestVersion = "v0.0.38";

    private const string DefaultSlurmctld = "/usr/sbin/slurmctld";

    /// <summary>How many times a start is tried on fresh ports when one was taken between choosing and binding it.</summary>
    private const int MaxPortAttempts = 3;

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan TokenTimeout = TimeSpan.FromSeconds(20);

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(15) };
    private bool _disposed;

    private SlurmCluster(string directory, IReadOnlyDictionary<string, string> output)
    {
        Directory = directory;
        Name = Required(output, "name");
        RestUrl = new Uri(Required(output, "url"));
        User = Required(output, "user");
        Token = Required(output, "token");
        Partition = Required(output, "partition");
        WorkDirectory = Required(output, "workdir");
        ConfigPath = Required(output, "conf");
        NodeName = Required(output, "node");
    }

    /// <summary>The cluster's one node.</summary>
    public string NodeName { get; }

    /// <summary>
    /// Runs <c>scontrol</c> on this cluster (<c>SLURM_CONF</c> set), e.g. <c>update nodename=… state=drain reason=…</c>, as
    /// an operator of the cluster would; fails with scontrol's words when it does.
    /// </summary>
    public async Task ScontrolAsync(params string[] args)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var info = new ProcessStartInfo("scontrol") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["SLURM_CONF"] = ConfigPath;
        using var process = Process.Start(info) ?? throw new InvalidOperationException("scontrol did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TokenTimeout);
        await process.WaitForExitAsync(deadline.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"scontrol {string.Join(' ', args)} on {Name} failed (exit {process.ExitCode}): {await stderr}{await stdout}");
        }
    }

    /// <summary>The cluster's name (Slurm's ClusterName).</summary>
    public string Name { get; }

    /// <summary>slurmrestd's base address, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri RestUrl { get; }

    /// <summary>The unprivileged user jobs run as (<c>fedjobs</c>), the one <see cref="Token"/> is for.</summary>
    public string User { get; }

    /// <summary>A JWT for <see cref="User"/>, valid for a day: the <c>X-SLURM-USER-TOKEN</c> header.</summary>
    public string Token { get; }

    /// <summary>The node's one partition.</summary>
    public string Partition { get; }

    /// <summary>A directory <see cref="User"/> owns and can write: jobs' working directory and output files go here.</summary>
    public string WorkDirectory { get; }

    /// <summary>The cluster's slurm.conf (<c>SLURM_CONF=</c> this for scontrol, squeue, sinfo).</summary>
    public string ConfigPath { get; }

    /// <summary>The directory everything of the cluster lives in (config, state, logs under <c>log/</c>).</summary>
    public string Directory { get; }

    /// <summary>
    /// Starts a cluster and waits until its node is up and slurmrestd answers an authenticated call. Throws when Slurm
    /// is not installed, or with the daemons' log tails when the cluster does not come up.
    /// </summary>
    public static async Task<SlurmCluster> StartAsync(SlurmClusterOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        EnsureInstalled();
        for (var attempt = 1; ; attempt++)
        {
            var directory = System.IO.Directory.CreateTempSubdirectory("fed-slurm-").FullName;
            string[] args =
            [
                "up", directory,
                "--name", options.Name,
                "--ctld-port", Port(),
                "--slurmd-port", Port(),
                "--rest-port", Port(),
                "--gres", options.Gres,
                "--cpus", options.Cpus.ToString(CultureInfo.InvariantCulture),
                "--partition", options.Partition,
            ];
            ScriptResult result;
            try
            {
                result = await RunScriptAsync(args, StartTimeout, ct);
            }
            catch
            {
                // Cancelled or timed out half way: whatever did start stops.
                await RunScriptAsync(["down", directory], StopTimeout, CancellationToken.None);
                DeleteDirectory(directory);
                throw;
            }

            if (result.ExitCode == 0)
            {
                return new SlurmCluster(directory, ParseOutput(result.Stdout));
            }

            // A failed `up` has stopped what it started; this is for a start that failed some other way.
            await RunScriptAsync(["down", directory], StopTimeout, CancellationToken.None);
            DeleteDirectory(directory);
            if (attempt < MaxPortAttempts && result.Stderr.Contains("Address already in use", StringComparison.Ordinal))
            {
                continue;
            }

            throw new InvalidOperationException(
                $"deploy/slurm/local-slurm.sh {string.Join(' ', args)} failed (exit {result.ExitCode}):\n{result.Stderr}");
        }
    }

    /// <summary>A fresh JWT for <paramref name="user"/> (any user of the machine), valid for <paramref name="lifespan"/>.</summary>
    public async Task<string> TokenAsync(string user, TimeSpan lifespan, CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var seconds = (long)Math.Ceiling(lifespan.TotalSeconds);
        var result = await RunScriptAsync(
            ["token", Directory, "--user", user, "--lifespan", seconds.ToString(CultureInfo.InvariantCulture)], TokenTimeout, ct);
        var token = result.Stdout.Trim();
        if (result.ExitCode != 0 || token.Length == 0)
        {
            throw new InvalidOperationException($"no token for {user} (exit {result.ExitCode}):\n{result.Stderr}");
        }

        return token;
    }

    /// <summary>
    /// Every job the cluster knows (finished ones stay for an hour), through slurmrestd as <see cref="User"/>:
    /// a raw check of Slurm's own view, independent of any client under test.
    /// </summary>
    public async Task<IReadOnlyList<SlurmJobRow>> JobsAsync(CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(RestUrl, $"/slurm/{RestVersion}/jobs"));
        request.Headers.Add("X-SLURM-USER-NAME", User);
        request.Headers.Add("X-SLURM-USER-TOKEN", Token);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await _http.SendAsync(request, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException(
                $"GET /slurm/{RestVersion}/jobs on {Name}: {(int)response.StatusCode} {body}", null, response.StatusCode);
        }

        using var document = JsonDocument.Parse(body);
        var rows = new List<SlurmJobRow>();
        foreach (var job in document.RootElement.GetProperty("jobs").EnumerateArray())
        {
            rows.Add(new SlurmJobRow(
                job.GetProperty("job_id").GetInt64(),
                StringOrNull(job, "name") ?? "",
                StringOrNull(job, "comment"),
                StringOrNull(job, "job_state") ?? "",
                StringOrNull(job, "state_reason"),
                job.TryGetProperty("exit_code", out var exit) && exit.ValueKind == JsonValueKind.Number ? exit.GetInt32() : null));
        }

        return rows;
    }

    /// <summary>Stops every daemon of the cluster (cancelling its jobs) and deletes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _http.Dispose();
        var result = await RunScriptAsync(["down", Directory], StopTimeout, CancellationToken.None);
        if (Environment.GetEnvironmentVariable(KeepEnvironmentVariable) is { Length: > 0 })
        {
            await Console.Error.WriteLineAsync($"[slurm] cluster {Name} kept in {Directory}\n{LogTails(Directory)}");
        }
        else if (result.ExitCode == 0)
        {
            DeleteDirectory(Directory);
        }

        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"deploy/slurm/local-slurm.sh down {Directory} failed (exit {result.ExitCode}); the directory stays:\n{result.Stderr}");
        }
    }

    /// <summary>The repository's root: the directory holding Federation.sln above this assembly.</summary>
    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Federation.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException($"Federation.sln not found above {AppContext.BaseDirectory}");
    }

    private static string ScriptPath => Path.Combine(RepositoryRoot(), "deploy", "slurm", "local-slurm.sh");

    private static string Slurmctld =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } path ? path : DefaultSlurmctld;

    private static void EnsureInstalled()
    {
        if (!File.Exists(Slurmctld))
        {
            throw new InvalidOperationException(
                $"Slurm is not installed (no slurmctld at {Slurmctld}): run eng/ensure-tools.sh (it installs Slurm, munge, " +
                $"the JWT plugin and the job user fedjobs), or run the tests through eng/test.sh, or set {EnvironmentVariable} " +
                "to the path of slurmctld.");
        }
    }

    private static string Port() => FreePorts.Next().ToString(CultureInfo.InvariantCulture);

    private static Dictionary<string, string> ParseOutput(string stdout)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                values[line[..equals]] = line[(equals + 1)..];
            }
        }

        return values;
    }

    private static string Required(IReadOnlyDictionary<string, string> output, string key) =>
        output.TryGetValue(key, out var value) && value.Length > 0
            ? value
            : throw new InvalidOperationException(
                $"deploy/slurm/local-slurm.sh up printed no '{key}=': {string.Join(", ", output.Keys)}");

    private static string? StringOrNull(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private readonly record struct ScriptResult(int ExitCode, string Stdout, string Stderr);

    /// <summary>
    /// Runs the script with <paramref name="args"/> and collects its output. The daemons it starts leave its session
    /// with their output in files, so the pipes close when the script ends. Past <paramref name="timeout"/> (or on
    /// <paramref name="ct"/>) the script is killed with its children.
    /// </summary>
    private static async Task<ScriptResult> RunScriptAsync(IReadOnlyList<string> args, TimeSpan timeout, CancellationToken ct)
    {
        var info = new ProcessStartInfo("bash")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(ScriptPath);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // Slurm's daemons are found next to the slurmctld named by the environment, then on the PATH.
        var sbin = Path.GetDirectoryName(Slurmctld);
        info.Environment["PATH"] = $"{sbin}:{Environment.GetEnvironmentVariable("PATH")}:/usr/sbin:/usr/bin:/sbin:/bin";

        using var process = Process.Start(info) ?? throw new InvalidOperationException("bash did not start");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            ct.ThrowIfCancellationRequested();
            throw new TimeoutException(
                $"deploy/slurm/local-slurm.sh {string.Join(' ', args)} did not finish within {timeout}:\n{await stderr}");
        }

        return new ScriptResult(process.ExitCode, await stdout, await stderr);
    }

    private static string LogTails(string directory)
    {
        var text = new StringBuilder();
        var logs = Path.Combine(directory, "log");
        if (!System.IO.Directory.Exists(logs))
        {
            return "";
        }

        foreach (var file in System.IO.Directory.GetFiles(logs).Order(StringComparer.Ordinal))
        {
            var lines = File.ReadAllLines(file);
            text.Append("---- ").Append(file).Append('\n');
            foreach (var line in lines.Skip(Math.Max(0, lines.Length - 20)))
            {
                text.Append(line).Append('\n');
            }
        }

        return text.ToString();
    }

    private static void DeleteDirectory(string directory)
    {
        try
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A temporary directory left behind is not worth failing a test over; its path says what it was.
        }
    }
}

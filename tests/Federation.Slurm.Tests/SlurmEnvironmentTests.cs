using System.Diagnostics;
using System.Net;
using Federation.TestKit.Slurm;
using Xunit.Abstractions;

namespace Federation.Slurm.Tests;

/// <summary>
/// The Slurm environment works as the federation's executor will need it to: real clusters start and stop, jobs
/// run as the unprivileged job user with Slurm's raw exit status, GPUs (GRES) are what limits how many jobs run,
/// clusters side by side do not see each other, and a DELETE cancels. Each test has clusters of its own.
/// </summary>
public sealed class SlurmEnvironmentTests(ITestOutputHelper output)
{
    /// <summary>How long a test waits for Slurm to reach a state: far above the 1–3 s these jobs take.</summary>
    private static readonly TimeSpan StateTimeout = TimeSpan.FromSeconds(20);

    private static readonly HashSet<string> FinalStates =
        ["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE", "PREEMPTED"];

    [Fact]
    public async Task A_job_runs_as_the_job_user_never_root_and_reports_its_raw_exit_status()
    {
        await using var cluster = await StartAsync(new SlurmClusterOptions { Name = "solo" });
        using var rest = RawSlurmRest.For(cluster);
        Assert.Equal("fedjobs", cluster.User);

        var id = await rest.SubmitAsync(cluster, "whoami", "#!/bin/bash\nid -un; exit 3", "gpu:h100:2");
        var rows = await WaitAsync(cluster, r => IsFinal(Job(r, id)), $"job {id} finished");

        var job = Job(rows, id)!;
        Assert.Equal("whoami", job.Name);
        Assert.Equal("FAILED", job.State);
        Assert.Equal("NonZeroExitCode", job.Reason);
        Assert.Equal(3 << 8, job.ExitCode);
        Assert.Equal("fedjobs\n", await File.ReadAllTextAsync(Path.Combine(cluster.WorkDirectory, $"{id}.out")));

        // Dispose stops every daemon and removes the directory.
        await cluster.DisposeAsync();
        Assert.Empty(ProcessesNaming(cluster.Directory));
        Assert.False(Directory.Exists(cluster.Directory));
    }

    [Fact]
    public async Task Gpus_limit_how_many_jobs_run_the_third_waits_for_resources_then_all_complete()
    {
        await using var cluster = await StartAsync(new SlurmClusterOptions { Name = "gres", Gres = "h100:4" });
        using var rest = RawSlurmRest.For(cluster);

        long[] ids =
        [
            await rest.SubmitAsync(cluster, "two-gpus-1", "#!/bin/bash\nsleep 3", "gpu:h100:2"),
            await rest.SubmitAsync(cluster, "two-gpus-2", "#!/bin/bash\nsleep 3", "gpu:h100:2"),
            await rest.SubmitAsync(cluster, "two-gpus-3", "#!/bin/bash\nsleep 3", "gpu:h100:2"),
        ];

        var mostRunning = 0;
        var sawThirdWaitingForResources = false;
        var rows = await WaitAsync(
            cluster,
            r => ids.All(id => Job(r, id)?.State == "COMPLETED"),
            "all three jobs completed",
            observe: r =>
            {
                var ours = r.Where(j => ids.Contains(j.JobId)).ToList();
                var running = ours.Count(j => j.State == "RUNNING");
                mostRunning = Math.Max(mostRunning, running);
                sawThirdWaitingForResources |= running == 2 && ours.Count(j => j.State == "PENDING" && j.Reason == "Resources") == 1;
            });

        Assert.Equal(2, mostRunning);
        Assert.True(sawThirdWaitingForResources, "never saw two jobs running and the third pending with reason Resources");
        Assert.All(ids, id => Assert.Equal(0, Job(rows, id)!.ExitCode));
    }

    [Fact]
    public async Task Two_clusters_run_at_once_on_their_own_ports_and_neither_sees_the_other()
    {
        var (east, west) = await StartTwoAsync(
            new SlurmClusterOptions { Name = "east", Gres = "h100:8" },
            new SlurmClusterOptions { Name = "west", Gres = "a100:4" });
        await using var eastCluster = east;
        await using var westCluster = west;
        using var eastRest = RawSlurmRest.For(east);
        using var westRest = RawSlurmRest.For(west);
        Assert.NotEqual(east.RestUrl.Port, west.RestUrl.Port);

        // Each job prints the cluster Slurm ran it in.
        var eastId = await eastRest.SubmitAsync(east, "east-job", "#!/bin/bash\necho $SLURM_CLUSTER_NAME", "gpu:h100:2");
        var westId = await westRest.SubmitAsync(west, "west-job", "#!/bin/bash\necho $SLURM_CLUSTER_NAME", "gpu:a100:1");
        var eastRows = await WaitAsync(east, r => Job(r, eastId)?.State == "COMPLETED", "east's job completed");
        var westRows = await WaitAsync(west, r => Job(r, westId)?.State == "COMPLETED", "west's job completed");

        Assert.Equal("east-job", Assert.Single(eastRows).Name);
        Assert.Equal("west-job", Assert.Single(westRows).Name);
        Assert.Equal("east\n", await File.ReadAllTextAsync(Path.Combine(east.WorkDirectory, $"{eastId}.out")));
        Assert.Equal("west\n", await File.ReadAllTextAsync(Path.Combine(west.WorkDirectory, $"{westId}.out")));

        // Separate JWT keys too: a token of one cluster opens nothing in the other.
        using var eastTokenOnWest = new RawSlurmRest(west.RestUrl, east.User, east.Token);
        Assert.NotEqual(HttpStatusCode.OK, await eastTokenOnWest.GetStatusAsync($"/slurm/{SlurmCluster.RestVersion}/jobs"));
    }

    [Fact]
    public async Task Delete_with_a_fresh_token_cancels_a_running_job()
    {
        await using var cluster = await StartAsync(new SlurmClusterOptions { Name = "cancel" });
        using var rest = RawSlurmRest.For(cluster);
        var id = await rest.SubmitAsync(cluster, "long", "#!/bin/bash\nsleep 120", "gpu:h100:2");
        await WaitAsync(cluster, r => Job(r, id)?.State == "RUNNING", $"job {id} running");

        // Cancelled with a fresh token of the fixture's own making, as a long-running executor renews its token.
        using var renewed = new RawSlurmRest(cluster.RestUrl, cluster.User, await cluster.TokenAsync(cluster.User, TimeSpan.FromMinutes(5)));
        Assert.Equal(HttpStatusCode.OK, await renewed.CancelAsync(id));

        var rows = await WaitAsync(cluster, r => IsFinal(Job(r, id)), $"job {id} finished");
        var job = Job(rows, id)!;
        output.WriteLine($"cancelled: reason {job.Reason}, exit code {job.ExitCode}");
        Assert.Equal("CANCELLED", job.State);
    }

    private async Task<SlurmCluster> StartAsync(SlurmClusterOptions options)
    {
        var cluster = await SlurmCluster.StartAsync(options);
        output.WriteLine($"cluster {cluster.Name} at {cluster.RestUrl} ({cluster.Directory})");
        return cluster;
    }

    /// <summary>Starts two clusters at once; when one fails the other is stopped before the failure surfaces.</summary>
    private async Task<(SlurmCluster First, SlurmCluster Second)> StartTwoAsync(SlurmClusterOptions first, SlurmClusterOptions second)
    {
        var starts = new[] { StartAsync(first), StartAsync(second) };
        try
        {
            await Task.WhenAll(starts);
        }
        catch
        {
            foreach (var start in starts.Where(s => s.IsCompletedSuccessfully))
            {
                await start.Result.DisposeAsync();
            }

            throw;
        }

        return (starts[0].Result, starts[1].Result);
    }

    /// <summary>Polls the cluster's jobs until <paramref name="done"/> holds (Slurm is an external system: a deadline, not a sleep).</summary>
    private async Task<IReadOnlyList<SlurmJobRow>> WaitAsync(
        SlurmCluster cluster,
        Func<IReadOnlyList<SlurmJobRow>, bool> done,
        string what,
        Action<IReadOnlyList<SlurmJobRow>>? observe = null)
    {
        var deadline = DateTime.UtcNow + StateTimeout;
        IReadOnlyList<SlurmJobRow> rows = [];
        while (DateTime.UtcNow < deadline)
        {
            rows = await cluster.JobsAsync();
            observe?.Invoke(rows);
            if (done(rows))
            {
                output.WriteLine($"{cluster.Name}: {what}: {Describe(rows)}");
                return rows;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{cluster.Name}: {what} not seen within {StateTimeout}; last: {Describe(rows)}");
    }

    /// <summary>Live processes whose command line names <paramref name="directory"/> (the daemons all do).</summary>
    private static List<string> ProcessesNaming(string directory)
    {
        var found = new List<string>();
        foreach (var proc in Directory.GetDirectories("/proc"))
        {
            try
            {
                var commandLine = File.ReadAllText(Path.Combine(proc, "cmdline")).Replace('\0', ' ');
                if (commandLine.Contains(directory + "/", StringComparison.Ordinal))
                {
                    found.Add($"{Path.GetFileName(proc)}: {commandLine}");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Not a process, or it ended while being read.
            }
        }

        return found;
    }

    private static SlurmJobRow? Job(IReadOnlyList<SlurmJobRow> rows, long id) => rows.FirstOrDefault(j => j.JobId == id);

    private static bool IsFinal(SlurmJobRow? job) => job is not null && FinalStates.Contains(job.State);

    private static string Describe(IReadOnlyList<SlurmJobRow> rows) =>
        rows.Count == 0 ? "no jobs" : string.Join("; ", rows.Select(j => $"{j.JobId} {j.Name} {j.State} ({j.Reason}) exit {j.ExitCode}"));
}

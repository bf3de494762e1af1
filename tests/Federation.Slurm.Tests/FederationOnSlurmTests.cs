using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Federation.Contracts;
using Federation.Server.Hosting;
using Federation.TestKit.Slurm;

namespace Federation.Slurm.Tests;

/// <summary>
/// Through the federation's REST API, regions run their jobs on real Slurm clusters (slurmrestd with JWT on loopback):
/// scripts run and end with their exit code and Slurm's reason, cancels reach Slurm, Slurm's GRES limits hold and its
/// queue is reported, pools come from Slurm's nodes, a job overflowed from one region runs on the other region's
/// Slurm, and a reclaimed lent job gets its checkpoint signal there. Each test has clusters of its own.
/// </summary>
public sealed class FederationOnSlurmTests
{
    private static readonly TimeSpan SlurmTimeout = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task A_script_runs_on_the_region_s_Slurm_and_ends_with_its_exit_code_and_Slurm_s_reason()
    {
        await using var cluster = await SlurmCluster.StartAsync(new SlurmClusterOptions { Name = "gwangyang", Gres = "h100:8" });
        await using var server = await SlurmServer.StartAsync(new Dictionary<string, RegionExecution> { ["gwangyang"] = SlurmServer.Slurm(cluster) });

        await server.SubmitAsync(SlurmServer.Job("ok", "gwangyang", "#!/bin/bash\necho \"$FEDERATION_JOB_ID as $(id -un) on $SLURM_JOB_GPUS\"\n", allowed: ["gwangyang"]));
        await server.SubmitAsync(SlurmServer.Job("fails", "gwangyang", "#!/bin/bash\necho failing\nexit 3\n", allowed: ["gwangyang"]));

        var ok = await server.WaitAsync("ok", j => j.State is JobState.Completed or JobState.Failed, "the script ends", SlurmTimeout);
        var fails = await server.WaitAsync("fails", j => j.State is JobState.Completed or JobState.Failed, "the script ends", SlurmTimeout);

        var slurm = await cluster.JobsAsync();
        var okRow = Assert.Single(slurm, r => r.Name == "ok");
        var failsRow = Assert.Single(slurm, r => r.Name == "fails");
        Assert.Equal((JobState.Completed, (int?)0, okRow.JobId.ToString(System.Globalization.CultureInfo.InvariantCulture)), (ok.State, ok.ExitCode, ok.BackendJobId));
        Assert.Equal((JobState.Failed, (int?)3, "NonZeroExitCode"), (fails.State, fails.ExitCode, fails.BackendReason));
        Assert.Equal(failsRow.JobId.ToString(System.Globalization.CultureInfo.InvariantCulture), fails.BackendJobId);
        Assert.Equal(("COMPLETED", "FAILED"), (okRow.State, failsRow.State));
        Assert.Equal($"federation:gwangyang:ok@{ok.StartedAt!.Value.UtcDateTime:yyyyMMdd'T'HHmmss.fffffff'Z'}", okRow.Comment);
        Assert.StartsWith($"failed in gwangyang: Slurm job {failsRow.JobId} FAILED (NonZeroExitCode), exit code 3", fails.Reason, StringComparison.Ordinal);
        Assert.Contains(ok.History, e => e.Kind == JobEventKinds.Backend && e.Message.StartsWith($"submitted to gwangyang's Slurm as job {okRow.JobId} (partition {cluster.Partition}, gres gpu:h100:2, time limit 3 min)", StringComparison.Ordinal));

        // The script ran as the job user (never root), with the federation's job id in its environment and the GPUs Slurm gave it.
        var output = await File.ReadAllTextAsync(Path.Combine(cluster.WorkDirectory, $"ok-{okRow.JobId}.out"));
        Assert.Matches(@"^ok as fedjobs on \d+,\d+\n$", output);
    }

    [Fact]
    public async Task A_token_file_renewed_while_the_server_runs_is_used_without_a_restart()
    {
        await using var cluster = await SlurmCluster.StartAsync(new SlurmClusterOptions { Name = "tokenfile" });
        var file = Path.Combine(cluster.Directory, "federation.token");
        await File.WriteAllTextAsync(file, "SLURM_JWT=not-a-token-slurm-accepts\n");
        var execution = SlurmServer.Slurm(cluster);
        execution.Slurm.Token = null;
        execution.Slurm.TokenFile = file;
        await using var server = await SlurmServer.StartAsync(new Dictionary<string, RegionExecution> { ["gwangyang"] = execution });

        await server.SubmitAsync(SlurmServer.Job("renewed", "gwangyang", "#!/bin/bash\ntrue\n", allowed: ["gwangyang"]));

        // Five polls with a token slurmrestd refuses: nothing reaches Slurm, and nothing is lost.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Empty(await cluster.JobsAsync());
        var waiting = await server.JobAsync("renewed");
        Assert.Equal((JobState.Running, (string?)null), (waiting.State, waiting.BackendJobId));

        // The token is renewed in the file (as scontrol token prints it): the next poll submits the job, once.
        await File.WriteAllTextAsync(file, $"SLURM_JWT={await cluster.TokenAsync(cluster.User, TimeSpan.FromHours(1))}\n");
        var job = await server.WaitAsync("renewed", j => j.State == JobState.Completed, "the job runs with the renewed token", SlurmTimeout);
        Assert.Equal(job.BackendJobId, Assert.Single(await cluster.JobsAsync()).JobId.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_cancel_reaches_Slurm()
    {
        await using var cluster = await SlurmCluster.StartAsync(new SlurmClusterOptions { Name = "cancel" });
        await using var server = await SlurmServer.StartAsync(new Dictionary<string, RegionExecution> { ["gwangyang"] = SlurmServer.Slurm(cluster) });
        await server.SubmitAsync(SlurmServer.Job("long", "gwangyang", "#!/bin/bash\nsleep 120\n", allowed: ["gwangyang"]));
        var slurmId = await WaitForSlurmAsync(cluster, "long", "RUNNING");

        using var response = await server.Client.DeleteAsync("api/jobs/long");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        await WaitForSlurmAsync(cluster, "long", "CANCELLED");
        var job = await server.JobAsync("long");
        Assert.Equal((JobState.Cancelled, slurmId.ToString(System.Globalization.CultureInfo.InvariantCulture)), (job.State, job.BackendJobId));
        Assert.Single(await cluster.JobsAsync(), r => r.Name == "long");
    }

    [Fact]
    public async Task A_cancel_while_Slurm_cannot_be_reached_is_carried_out_in_Slurm_once_it_can()
    {
        await using var cluster = await SlurmCluster.StartAsync(new SlurmClusterOptions { Name = "latecancel" });
        var file = Path.Combine(cluster.Directory, "federation.token");
        await File.WriteAllTextAsync(file, cluster.Token);
        var execution = SlurmServer.Slurm(cluster);
        execution.Slurm.Token = null;
        execution.Slurm.TokenFile = file;
        await using var server = await SlurmServer.StartAsync(new Dictionary<string, RegionExecution> { ["gwangyang"] = execution });
        await server.SubmitAsync(SlurmServer.Job("late", "gwangyang", "#!/bin/bash\nsleep 120\n", allowed: ["gwangyang"]));
        await WaitForSlurmAsync(cluster, "late", "RUNNING");

        // slurmrestd now refuses the server (its token is no longer valid): the cancel is the federation's at once.
        await File.WriteAllTextAsync(file, "revoked");
        using var response = await server.Client.DeleteAsync("api/jobs/late");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(JobState.Cancelled, (await server.JobAsync("late")).State);
        Assert.Equal("RUNNING", Assert.Single(await cluster.JobsAsync()).State);

        // Once Slurm can be reached again, the job is cancelled there too: it is not left running untracked.
        await File.WriteAllTextAsync(file, await cluster.TokenAsync(cluster.User, TimeSpan.FromHours(1)));
        await WaitForSlurmAsync(cluster, "late", "CANCELLED");
    }

    [Fact]
    public async Task Slurm_queues_what_its_gpus_cannot_hold_and_the_job_says_why_it_waits()
    {
        // The megaregion file gives gwangyang 384 H100; its Slurm has 4 (the pools are not read from Slurm here), so
        // the region starts three 2-GPU jobs and Slurm, authoritative for its hardware, runs two and queues the third.
        await using var cluster = await SlurmCluster.StartAsync(new SlurmClusterOptions { Name = "gres", Gres = "h100:4" });
        await using var server = await SlurmServer.StartAsync(new Dictionary<string, RegionExecution>
        {
            ["gwangyang"] = SlurmServer.Slurm(cluster, pendingReportAfter: TimeSpan.FromSeconds(1)),
        });

        for (var i = 1; i <= 3; i++)
        {
            await server.SubmitAsync(SlurmServer.Job($"g{i}", "gwangyang", "#!/bin/bash\nsleep 6\n", allowed: ["gwangyang"]));
        }

        var most = 0;
        var waited = false;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < SlurmTimeout)
        {
            var rows = (await cluster.JobsAsync()).Where(r => r.Name.StartsWith('g')).ToList();
            most = Math.Max(most, rows.Count(r => r.State == "RUNNING"));
            waited |= rows.Any(r => r.State == "PENDING" && r.Reason == "Resources");
            if (rows.Count == 3 && rows.All(r => r.State == "COMPLETED"))
            {
                break;
            }

            await Task.Delay(200);
        }

        Assert.Equal(2, most);
        Assert.True(waited, "one job waited in Slurm's queue for resources");
        var jobs = new List<JobView>();
        for (var i = 1; i <= 3; i++)
        {
            jobs.Add(await server.WaitAsync($"g{i}", j => j.State == JobState.Completed, "every job completes", SlurmTimeout));
        }

        // The one Slurm kept waiting says so in its history, with Slurm's reason.
        var reported = Assert.Single(jobs, j => j.History.Any(e => e.Kind == JobEventKinds.Backend && e.Message.Contains("pending (Resources)", StringComparison.Ordinal)));
        Assert.Contains(reported.History, e => e.Kind == JobEventKinds.Backend && e.Message.StartsWith("Slurm started job", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_region_s_pools_are_read_from_Slurm_s_nodes_and_follow_a_drained_node()
    {
        await using var cluster = await SlurmCluster.StartAsync(new SlurmClusterOptions { Name = "capacity", Gres = "h100:4" });
        await using var server = await SlurmServer.StartAsync(new Dictionary<string, RegionExecution>
        {
            ["gwangyang"] = SlurmServer.Slurm(cluster, capacityRefresh: TimeSpan.FromMilliseconds(300)),
        });

        await WaitForPoolAsync(server, 4);
        var node = cluster.NodeName;
        await cluster.ScontrolAsync("update", $"nodename={node}", "state=drain", "reason=maintenance");
        await WaitForPoolAsync(server, 0);

        // No H100 left in gwangyang as far as the federation knows: a job that may run elsewhere goes elsewhere.
        var job = await server.SubmitAsync(SlurmServer.Job("elsewhere", "gwangyang", "#!/bin/bash\ntrue\n"));
        Assert.NotEqual("gwangyang", job.Region);

        await cluster.ScontrolAsync("update", $"nodename={node}", "state=resume");
        await WaitForPoolAsync(server, 4);
    }

    [Fact]
    public async Task A_reclaimed_lent_job_gets_its_checkpoint_signal_in_Slurm_checkpoints_and_is_requeued_not_completed()
    {
        await using var cluster = await SlurmCluster.StartAsync(new SlurmClusterOptions { Name = "reclaim", Gres = "h100:4" });
        await using var server = await SlurmServer.StartAsync(
            new Dictionary<string, RegionExecution> { ["gwangyang"] = SlurmServer.Slurm(cluster, capacityRefresh: TimeSpan.FromMilliseconds(300)) },
            o => o.Reclaim = true);
        await WaitForPoolAsync(server, 4);

        // gwangyang lends its four H100 under a preemptible offer with 40 s of grace.
        var offer = new { accelerators = new[] { new { type = "H100", count = 4 } }, preemptible = true, reclaimGraceSeconds = 40 };
        using (var put = await server.Client.PutAsJsonAsync("api/regions/gwangyang/offer", offer, SlurmServer.Json))
        {
            Assert.True(put.IsSuccessStatusCode, $"PUT offer: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync()}");
        }

        // A gwangju job that may run only in gwangyang, trapping USR1: it writes its checkpoint and exits 0; run again, it
        // resumes from the checkpoint and completes.
        const string Script = """
            #!/bin/bash
            ckpt="checkpoint-$FEDERATION_JOB_ID"
            if [ -f "$ckpt" ]; then echo "resumed from $(cat "$ckpt")"; exit 0; fi
            trap 'echo "step $i" > "$ckpt"; echo checkpointed; exit 0' USR1
            touch "trapping-$FEDERATION_JOB_ID"
            for i in $(seq 1 3000); do sleep 0.1; done
            echo "ran to the end without a signal"
            """;
        var lent = await server.SubmitAsync(SlurmServer.Job("lent", "gwangju", Script, gpus: 4, allowed: ["gwangyang"]) with
        {
            Run = new JobRun { Script = Script + "\n", CheckpointSignal = "USR1" },
        });
        Assert.Equal(("gwangyang", JobState.Running), (lent.Region, lent.State));
        var firstSlurmId = await WaitForSlurmAsync(cluster, "lent", "RUNNING");

        // A signal that reaches Slurm before the batch script has set its trap would end it at once (or be lost before the
        // script starts): the own job comes once the script says it traps USR1.
        var trapping = Path.Combine(cluster.WorkDirectory, "trapping-lent");
        var waited = Stopwatch.StartNew();
        while (!File.Exists(trapping))
        {
            Assert.True(waited.Elapsed < SlurmTimeout, "the lent job's script never set its trap");
            await Task.Delay(100);
        }

        // gwangyang's own job needs the four H100: the lent job is signalled in Slurm, checkpoints and ends well inside its
        // grace period, and is preempted (not completed), then runs again after the own job and resumes.
        var reclaimedFrom = DateTimeOffset.UtcNow;
        await server.SubmitAsync(SlurmServer.Job("own", "gwangyang", "#!/bin/bash\nsleep 1\n", gpus: 4, allowed: ["gwangyang"]));
        var preempted = await server.WaitAsync("lent", j => j.History.Any(e => e.Kind == JobEventKinds.Preempted), "the lent job is preempted", SlurmTimeout);
        var reclaiming = Assert.Single(preempted.History, e => e.Kind == JobEventKinds.Reclaiming);
        var preemption = Assert.Single(preempted.History, e => e.Kind == JobEventKinds.Preempted);
        Assert.Equal(("gwangyang", "gwangyang"), (reclaiming.Region, preemption.Region));
        Assert.StartsWith("gwangyang takes back the accelerators it lent to this job for its own job own: checkpoint signal USR1 now", reclaiming.Message, StringComparison.Ordinal);
        Assert.StartsWith("preempted in gwangyang after ", preemption.Message, StringComparison.Ordinal);
        Assert.Contains("gwangyang took back the 4 H100 it lent to this job for its own job own; charged ", preemption.Message, StringComparison.Ordinal);
        var expected = $"checkpoint signal USR1 at {reclaiming.At:u}, checkpointed and ended at {preemption.At:u} (before its reclaim time {reclaiming.At.AddSeconds(40):u}: Slurm job {firstSlurmId} COMPLETED, exit code 0); placed again";
        Assert.True(preemption.Message.EndsWith(expected, StringComparison.Ordinal), $"{preemption.Message} | expected to end with: {expected}");
        Assert.True(preemption.At < reclaiming.At.AddSeconds(40), $"preempted at {preemption.At:o}, the grace period ran to {reclaiming.At.AddSeconds(40):o}");
        Assert.True(reclaiming.At >= reclaimedFrom.AddSeconds(-1), $"reclaim decided at {reclaiming.At:o}, the own job came at {reclaimedFrom:o}");
        Assert.Equal("step", (await File.ReadAllTextAsync(Path.Combine(cluster.WorkDirectory, "checkpoint-lent"))).Split(' ')[0]);

        var own = await server.WaitAsync("own", j => j.State == JobState.Completed, "the own job completes", SlurmTimeout);
        var done = await server.WaitAsync("lent", j => j.State is JobState.Completed or JobState.Failed, "the lent job runs again and ends", SlurmTimeout);
        Assert.Equal((JobState.Completed, "gwangyang"), (done.State, done.Region));
        Assert.True(done.StartedAt >= own.EndedAt, $"the lent job ran again from {done.StartedAt:o}, the own job ended at {own.EndedAt:o}");
        Assert.Equal(
            [JobEventKinds.Submitted, JobEventKinds.Overflowed, JobEventKinds.Started, JobEventKinds.Backend, JobEventKinds.Reclaiming, JobEventKinds.Preempted, JobEventKinds.Overflowed, JobEventKinds.Started, JobEventKinds.Backend, JobEventKinds.Completed],
            done.History.Select(e => e.Kind));

        // In Slurm: the first run completed on its own after the signal (exit 0, never cancelled), the second resumed.
        var runs = (await cluster.JobsAsync()).Where(r => r.Name == "lent").OrderBy(r => r.JobId).ToList();
        Assert.Equal([(firstSlurmId, "COMPLETED"), (runs[1].JobId, "COMPLETED")], runs.Select(r => (r.JobId, r.State)));
        Assert.EndsWith("checkpointed\n", await File.ReadAllTextAsync(Path.Combine(cluster.WorkDirectory, $"lent-{firstSlurmId}.out")), StringComparison.Ordinal);
        Assert.StartsWith("resumed from step ", await File.ReadAllTextAsync(Path.Combine(cluster.WorkDirectory, $"lent-{runs[1].JobId}.out")), StringComparison.Ordinal);
        Assert.Equal(runs[1].JobId.ToString(System.Globalization.CultureInfo.InvariantCulture), done.BackendJobId);
        Assert.Equal(1, (await server.RegionAsync("gwangyang")).Preemptions);
    }

    [Fact]
    public async Task A_job_without_a_script_is_never_placed_in_a_region_that_runs_jobs_on_Slurm()
    {
        await using var cluster = await SlurmCluster.StartAsync(new SlurmClusterOptions { Name = "noscript" });
        await using var server = await SlurmServer.StartAsync(new Dictionary<string, RegionExecution> { ["gwangyang"] = SlurmServer.Slurm(cluster) });

        var pinned = SlurmServer.Job("pinned", "gwangyang", "#!/bin/bash\n", allowed: ["gwangyang"]) with { Run = null };
        using var refused = await server.Client.PostAsJsonAsync("api/jobs", pinned, SlurmServer.Json);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("is required: the regions that could run the job run batch scripts on their Slurm", problem.GetProperty("errors").GetProperty("run")[0].GetString());

        var free = await server.SubmitAsync(SlurmServer.Job("free", "gwangyang", "#!/bin/bash\n") with { Run = null });
        Assert.NotEqual("gwangyang", free.Region);
        var candidate = Assert.Single(free.Placement!.Candidates, c => c.Region == "gwangyang");
        Assert.Equal("runs batch scripts on its Slurm and the job has no run.script", candidate.ExcludedBecause);
        Assert.Empty(await cluster.JobsAsync());
    }

    [Fact]
    public async Task A_job_overflowed_from_one_region_runs_on_the_other_region_s_Slurm()
    {
        await using var gwangyangSlurm = await SlurmCluster.StartAsync(new SlurmClusterOptions { Name = "gwangyang", Gres = "h100:4" });
        await using var gwangjuSlurm = await SlurmCluster.StartAsync(new SlurmClusterOptions { Name = "gwangju", Gres = "h100:4" });
        var refresh = TimeSpan.FromMilliseconds(300);
        await using var server = await SlurmServer.StartAsync(new Dictionary<string, RegionExecution>
        {
            ["gwangyang"] = SlurmServer.Slurm(gwangyangSlurm, refresh),
            ["gwangju"] = SlurmServer.Slurm(gwangjuSlurm, refresh, null, ("H100", "gpu:h100"), ("A100", "gpu:a100")),
        });
        await WaitForPoolAsync(server, 4, "gwangyang");
        await WaitForPoolAsync(server, 4, "gwangju");

        // gwangyang's four GPUs are taken by the first job; the second, allowed in gwangju, overflows there.
        string[] allowed = ["gwangyang", "gwangju"];
        var first = await server.SubmitAsync(SlurmServer.Job("first", "gwangyang", "#!/bin/bash\nsleep 8\n", gpus: 4, allowed: allowed));
        await WaitForSlurmAsync(gwangyangSlurm, "first", "RUNNING");

        // The router's view of the regions is at most 250 ms old: past that, it knows gwangyang is full.
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        var second = await server.SubmitAsync(SlurmServer.Job("second", "gwangyang", "#!/bin/bash\nhostname\n", gpus: 4, allowed: allowed));
        Assert.True(("gwangyang", "gwangju") == (first.Region, second.Region), $"first in {first.Region}, second in {second.Region}: {second.Reason}");

        var done = await server.WaitAsync("second", j => j.State == JobState.Completed, "the overflowed job completes", SlurmTimeout);
        var onGwangju = Assert.Single(await gwangjuSlurm.JobsAsync());
        Assert.Equal(("second", "COMPLETED", $"federation:gwangju:second@{done.StartedAt!.Value.UtcDateTime:yyyyMMdd'T'HHmmss.fffffff'Z'}"), (onGwangju.Name, onGwangju.State, onGwangju.Comment));
        Assert.Equal(onGwangju.JobId.ToString(System.Globalization.CultureInfo.InvariantCulture), done.BackendJobId);
        Assert.Equal("first", Assert.Single(await gwangyangSlurm.JobsAsync()).Name);
        await server.WaitAsync("first", j => j.State == JobState.Completed, "the first job completes", SlurmTimeout);
    }

    private static async Task<long> WaitForSlurmAsync(SlurmCluster cluster, string name, string state)
    {
        var clock = Stopwatch.StartNew();
        SlurmJobRow? row = null;
        while (clock.Elapsed < SlurmTimeout)
        {
            row = (await cluster.JobsAsync()).Where(r => r.Name == name).MaxBy(r => r.JobId);
            if (row?.State == state)
            {
                return row.JobId;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"Slurm job {name} never reached {state} (last: {row?.State ?? "not listed"})");
        return 0;
    }

    private static async Task WaitForPoolAsync(SlurmServer server, int h100, string region = "gwangyang")
    {
        var clock = Stopwatch.StartNew();
        var count = -1;
        while (clock.Elapsed < SlurmTimeout)
        {
            count = (await server.RegionAsync(region)).Pools.Single(p => p.Type == "H100").Count;
            if (count == h100)
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"{region}'s H100 pool stayed at {count}, not the {h100} its Slurm has");
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Federation.Contracts;
using Federation.TestKit;
using Federation.TestKit.Slurm;
using Xunit.Abstractions;

namespace Federation.CrashTests;

/// <summary>
/// The server as a separate process running a region's jobs on a real Slurm, killed with SIGKILL while they are being
/// submitted and run there, then started again: every job is re-attached to the Slurm job it already had, none is
/// submitted twice (Slurm's own job list is the proof), and every end is still reported.
/// </summary>
public sealed class SlurmCrashTests(ITestOutputHelper output)
{
    private const int Jobs = 8;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Kill_9_while_jobs_run_on_Slurm_re_attaches_every_job_and_submits_none_twice()
    {
        await using var cluster = await SlurmCluster.StartAsync(new SlurmClusterOptions { Name = "crash", Gres = "h100:8" });
        var file = Path.Combine(Path.GetTempPath(), $"federation-slurm-crash-{Guid.NewGuid():N}.db");
        var logDir = Path.Combine(Path.GetTempPath(), "federation-crash");
        Directory.CreateDirectory(logDir);
        var prefix = "Federation__Regions__gwangyang__";
        await using var server = new ServerProcess(
            ["--storage", "sqlite", "--connection", file],
            1,
            Path.Combine(logDir, $"slurm-kill-{DateTime.UtcNow:HHmmss}.log"),
            new Dictionary<string, string>
            {
                [prefix + "Executor"] = "slurm",
                [prefix + "Slurm__Url"] = cluster.RestUrl.ToString(),
                [prefix + "Slurm__User"] = cluster.User,
                [prefix + "Slurm__Token"] = cluster.Token,
                [prefix + "Slurm__Partition"] = cluster.Partition,
                [prefix + "Slurm__WorkingDirectory"] = cluster.WorkDirectory,
                [prefix + "Slurm__Gres__H100"] = "gpu:h100",
                [prefix + "Slurm__PollPeriod"] = "00:00:00.200",
                [prefix + "Slurm__CapacityRefresh"] = "00:00:00",
            });
        try
        {
            await server.StartAsync(TimeSpan.FromSeconds(60));
            using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(10) }.AsCoordinator();

            // Eight 2-GPU jobs on 8 GPUs: Slurm runs four and queues four. Killed as soon as Slurm has the first of them,
            // so some are submitted and some not yet, and some ids may not have reached their rows.
            for (var i = 0; i < Jobs; i++)
            {
                var job = new JobRequest
                {
                    Id = $"k{i}",
                    Project = "slurm-crash",
                    Owner = "kim",
                    HomeRegion = "gwangyang",
                    Accelerators = new AcceleratorRequest { Count = 2, Types = ["H100"] },
                    DurationHours = 0.05,
                    AllowedRegions = ["gwangyang"],
                    Run = new JobRun { Script = $"#!/bin/bash\nsleep {3 + (i % 3)}\necho done {i}\n" },
                };
                using var response = await http.PostAsJsonAsync("api/jobs", job, Workload.Json);
                Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            }

            var clock = Stopwatch.StartNew();
            while ((await cluster.JobsAsync()).Count == 0 && clock.Elapsed < Deadline)
            {
                await Task.Delay(20);
            }

            var before = await cluster.JobsAsync();
            server.Kill("while its jobs are being submitted to and run on Slurm");
            output.WriteLine($"killed with {before.Count} of {Jobs} jobs in Slurm ({string.Join(", ", before.Select(j => $"{j.Name}:{j.State}"))})");

            await server.StartAsync(TimeSpan.FromSeconds(60));
            var views = new Dictionary<string, JobView>();
            clock.Restart();
            while (clock.Elapsed < Deadline)
            {
                views.Clear();
                for (var i = 0; i < Jobs; i++)
                {
                    views[$"k{i}"] = (await http.GetFromJsonAsync<JobView>($"api/jobs/k{i}", Workload.Json))!;
                }

                if (views.Values.All(v => v.State is JobState.Completed or JobState.Failed or JobState.Cancelled))
                {
                    break;
                }

                await Task.Delay(250);
            }

            var slurm = await cluster.JobsAsync();
            output.WriteLine($"after the restart: {string.Join(", ", slurm.Select(j => $"{j.Name}={j.JobId}:{j.State}"))}");
            for (var i = 0; i < Jobs; i++)
            {
                var id = $"k{i}";
                var view = views[id];
                var row = Assert.Single(slurm, r => r.Name == id);
                Assert.Equal((JobState.Completed, (int?)0), (view.State, view.ExitCode));
                Assert.Equal(row.JobId.ToString(CultureInfo.InvariantCulture), view.BackendJobId);
                Assert.Equal("COMPLETED", row.State);
            }

            Assert.Equal(Jobs, slurm.Count);
        }
        finally
        {
            foreach (var f in new[] { file, file + "-wal", file + "-shm" })
            {
                File.Delete(f);
            }
        }
    }
}

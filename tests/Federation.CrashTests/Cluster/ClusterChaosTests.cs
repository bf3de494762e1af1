using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Federation.Contracts;
using Xunit.Abstractions;

namespace Federation.CrashTests.Cluster;

/// <summary>
/// The four silos under a steady submit load through all four APIs while, round after round, a random silo is killed
/// (SIGKILL) or hung (SIGSTOP, then resumed: declared dead meanwhile, it stops itself) and started again. At the end,
/// through the API: every acknowledged job exists once, ended once, and its history never has it running in two
/// regions (a second start needs a requeue in between, a start is in the region it was placed in); no region ran a job
/// its row did not name; every region's accounting is empty. The failover times are printed (docs/durability.md).
/// </summary>
public sealed class ClusterChaosTests(ITestOutputHelper output)
{
    /// <summary>Rounds of one silo lost and restarted; <c>FEDERATION_CHAOS_ROUNDS</c> overrides.</summary>
    private static int Rounds => int.TryParse(Environment.GetEnvironmentVariable("FEDERATION_CHAOS_ROUNDS"), CultureInfo.InvariantCulture, out var n) ? n : 20;

    /// <summary>New jobs per second over the four APIs.</summary>
    private const double Rate = 6;

    private static readonly TimeSpan Detection = TimeSpan.FromSeconds(30);

    /// <summary>How long the end of the run waits without a job ending before it calls the rest stuck.</summary>
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Four_silos_under_load_lose_a_random_silo_each_round_and_every_acknowledged_job_runs_and_ends_exactly_once()
    {
        var seed = Seeds.Next();
        var random = new Random(seed);
        output.WriteLine($"seed {seed} (FEDERATION_CRASH_SEED={seed} repeats it), {Rounds} rounds");
        await using var mega = await LocalMegaregion.StartAsync(nameof(Four_silos_under_load_lose_a_random_silo_each_round_and_every_acknowledged_job_runs_and_ends_exactly_once));
        var regions = LocalMegaregion.Regions;
        await Eventually.HoldsAsync(async ct => await mega.StatusesAsync("gwangju", ct) == AllUp(), Detection, "every region up");

        var load = new SubmitLoad(mega, new Random(random.Next()));
        using var stop = new CancellationTokenSource();
        var loading = load.RunAsync(Rate, stop.Token);
        var figures = new List<Round>();
        try
        {
            for (var round = 1; round <= Rounds; round++)
            {
                await RestartSelfStoppedAsync(mega, $"before round {round}");
                var victim = regions[random.Next(regions.Length)];
                var observer = regions[(Array.IndexOf(regions, victim) + 1 + random.Next(regions.Length - 1)) % regions.Length];
                var hang = round % 4 == 0;
                await Task.Delay(TimeSpan.FromSeconds(2 + random.NextDouble() * 3));
                var lost = Stopwatch.StartNew();
                if (hang)
                {
                    mega.Silo(victim).Pause($"chaos round {round}");
                }
                else
                {
                    mega.Silo(victim).Kill($"chaos round {round}");
                }

                var marked = await Eventually.HoldsAsync(
                    async ct => (await mega.ViewAsync(observer, ct)).Regions.Single(r => r.Id == victim).Status == RegionStatus.Unreachable,
                    Detection,
                    $"round {round}: {victim} marked unreachable through {observer}",
                    lost);

                // A job homed in the lost region, allowed anywhere its type is, submitted through a live silo.
                var probe = 0;
                var placed = await Eventually.HoldsAsync(
                    ct => load.ProbeAsync(observer, victim, $"probe-{round:D2}-{probe++:D2}", ct), Detection, $"round {round}: a job homed in {victim} placed through {observer}", lost);
                if (hang)
                {
                    mega.Silo(victim).Resume($"chaos round {round}");
                    if (!await mega.Silo(victim).WaitForExitAsync(Detection))
                    {
                        mega.Silo(victim).Kill($"chaos round {round}: still running {Detection.TotalSeconds:0} s after it resumed");
                    }
                }

                await mega.Silo(victim).StartAsync(LocalMegaregion.StartTimeout);
                var back = await Eventually.HoldsAsync(async ct => await mega.StatusesAsync(observer, ct) == AllUp(), Detection, $"round {round}: {victim} up again", lost);
                figures.Add(new Round(round, victim, hang, marked, placed, back));
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"round {round,2}: {(hang ? "SIGSTOP" : "kill -9"),-7} {victim,-9} unreachable after {marked.TotalSeconds,5:F1} s, submits placed after {placed.TotalSeconds,5:F1} s, back after {back.TotalSeconds,5:F1} s; {load.Acknowledged.Count} jobs acknowledged"));
            }
        }
        finally
        {
            await stop.CancelAsync();
            await loading;
        }

        // Every acknowledged job ends (they are seconds long; those pinned to a lost region run once it is back), for as
        // long as the queues keep draining: a liveness check, not a bound on how fast.
        await RestartSelfStoppedAsync(mega, "after the last round");
        var api = new FederationApi(mega.Api("gwangju"));
        try
        {
            var drained = await Eventually.DrainsAsync(
                async ct => await api.CountAsync(JobState.Running, ct) + await api.CountAsync(JobState.Queued, ct),
                Stall,
                "every job ended");
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"every job ended {drained.TotalSeconds:F0} s after the last round"));
        }
        catch (TimeoutException e)
        {
            // Which jobs did not end, with their histories, and where the regions think they are: what to look for in the
            // silos' logs (cluster-logs/ beside the test assembly).
            var unfinished = (await api.ListAllAsync(JobState.Running)).Concat(await api.ListAllAsync(JobState.Queued)).ToList();
            var regionViews = await api.RegionsAsync();
            throw new TimeoutException(
                $"seed {seed}: {e.Message}; {unfinished.Count} job(s) still queued or running:\n"
                + string.Join('\n', unfinished.Take(20).Select(j => $"{j.Id}: {Invariants.Render(j)}"))
                + "\nregions: " + string.Join("; ", regionViews.Select(r => $"{r.Id} running {r.RunningJobs} queued {r.QueuedJobs} on {r.HostSilo}{(r.Away ? " (away)" : "")}"))
                + LogLinesOf(mega, unfinished.Take(5).Select(j => j.Id)),
                e);
        }
        var jobs = await api.ListAllAsync();
        var violations = new List<string>(load.Violations);
        violations.AddRange(Invariants.ExactlyOnce(load.Submitted, load.Acknowledged.Keys.ToList(), jobs));
        foreach (var job in jobs)
        {
            violations.AddRange(Invariants.History(job).Select(v => $"{job.Id}: {v}: {Invariants.Render(job)}"));
            if (load.Acknowledged.ContainsKey(job.Id) && job.State != JobState.Completed)
            {
                violations.Add($"{job.Id} was acknowledged and ended {job.State}: {Invariants.Render(job)}");
            }
        }

        foreach (var region in regions)
        {
            violations.AddRange(Invariants.GhostRuns(mega.Silo(region).LogPath));
        }

        violations.AddRange(Invariants.Accounting(await api.RegionsAsync(), jobs));
        Report(figures, load, jobs);
        Assert.True(violations.Count == 0, $"seed {seed}: {violations.Count} violations:\n" + string.Join('\n', violations.Take(50)));
        Assert.Equal(Rounds, figures.Count);
    }

    /// <summary>
    /// Starts again a silo that stopped by itself: one declared dead by the others (it stalled for seconds on an
    /// overloaded machine, which the fast failure detection takes for a hang) learns it and stops, as a hung one does.
    /// </summary>
    private async Task RestartSelfStoppedAsync(LocalMegaregion mega, string when)
    {
        var restarted = false;
        foreach (var region in LocalMegaregion.Regions)
        {
            if (!mega.Silo(region).IsRunning)
            {
                output.WriteLine($"{when}: {region}'s silo had stopped by itself (declared dead: see {mega.Silo(region).LogPath}); starting it again");
                await mega.Silo(region).StartAsync(LocalMegaregion.StartTimeout);
                restarted = true;
            }
        }

        if (restarted)
        {
            await Eventually.HoldsAsync(async ct => await mega.StatusesAsync("gwangju", ct) == AllUp(), Detection, $"{when}: every region up again");
        }
    }

    /// <summary>The silos' log lines naming each job (the last few per job, over the four logs in time order).</summary>
    private static string LogLinesOf(LocalMegaregion mega, IEnumerable<string> jobIds)
    {
        var text = new StringBuilder();
        foreach (var id in jobIds)
        {
            var lines = new List<string>();
            foreach (var region in LocalMegaregion.Regions)
            {
                var path = mega.Silo(region).LogPath;
                if (!File.Exists(path))
                {
                    continue;
                }

                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var reader = new StreamReader(stream);
                while (reader.ReadLine() is { } line)
                {
                    if (line.Contains(id, StringComparison.Ordinal))
                    {
                        lines.Add($"{line[..Math.Min(12, line.Length)]} [{region}] {line[Math.Min(12, line.Length)..][..Math.Min(280, Math.Max(0, line.Length - 12))]}");
                    }
                }
            }

            text.Append(CultureInfo.InvariantCulture, $"\nlog lines of {id} ({lines.Count}):");
            foreach (var line in lines.Order(StringComparer.Ordinal).TakeLast(15))
            {
                text.Append("\n  ").Append(line);
            }
        }

        return text.ToString();
    }

    private static string AllUp() => string.Join(' ', LocalMegaregion.Regions.Select(r => r + ":up"));

    private void Report(List<Round> rounds, SubmitLoad load, List<JobView> jobs)
    {
        static string P(IEnumerable<TimeSpan> values)
        {
            var s = values.Select(v => v.TotalSeconds).Order().ToArray();
            return s.Length == 0 ? "-" : string.Create(CultureInfo.InvariantCulture, $"p50 {s[(s.Length - 1) / 2]:F1} s, max {s[^1]:F1} s (n={s.Length})");
        }

        foreach (var (name, hang) in new[] { ("kill -9", false), ("SIGSTOP", true) })
        {
            var of = rounds.Where(r => r.Hang == hang).ToList();
            output.WriteLine($"{name}: lost → unreachable {P(of.Select(r => r.Marked))}; lost → a job homed there placed {P(of.Select(r => r.Placed))}");
        }

        output.WriteLine($"jobs: {load.Submitted.Count} submitted, {load.Acknowledged.Count} acknowledged, {jobs.Count} stored, "
            + $"{jobs.Count(j => j.State == JobState.Completed)} completed; answers {string.Join(", ", load.Statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"))}");
    }

    private sealed record Round(int Number, string Victim, bool Hang, TimeSpan Marked, TimeSpan Placed, TimeSpan Back);

    /// <summary>
    /// Submits new jobs at a rate, round-robin over the four APIs; a submission that gets no answer (the silo is down, or
    /// the call failed) is sent again, same id and body, through the next silo until one acknowledges it.
    /// </summary>
    private sealed class SubmitLoad(LocalMegaregion mega, Random random)
    {
        private readonly ConcurrentQueue<string> _violations = new();
        private int _next;

        public ConcurrentDictionary<string, CrashJob> SubmittedJobs { get; } = new(StringComparer.Ordinal);

        public IReadOnlyDictionary<string, CrashJob> Submitted => SubmittedJobs;

        public ConcurrentDictionary<string, JobView> Acknowledged { get; } = new(StringComparer.Ordinal);

        public ConcurrentDictionary<string, int> Statuses { get; } = new(StringComparer.Ordinal);

        public IEnumerable<string> Violations => _violations;

        public async Task RunAsync(double rate, CancellationToken cancellationToken)
        {
            var clock = Stopwatch.StartNew();
            var inFlight = new List<Task>();
            var n = 0;
            while (!cancellationToken.IsCancellationRequested)
            {
                if (clock.Elapsed.TotalSeconds * rate < n)
                {
                    await Task.Delay(20, CancellationToken.None);
                    continue;
                }

                CrashJob job;
                lock (random)
                {
                    job = Workload.ClusterJob(random, $"chaos-{n:D5}");
                }

                n++;
                SubmittedJobs[job.Id] = job;
                inFlight.Add(SubmitUntilAcknowledgedAsync(job, cancellationToken));
                inFlight.RemoveAll(static t => t.IsCompleted);
            }

            await Task.WhenAll(inFlight);
        }

        /// <summary>One job homed in <paramref name="home"/>, allowed anywhere its type is, through <paramref name="through"/>: true when placed.</summary>
        public async Task<bool> ProbeAsync(string through, string home, string id, CancellationToken cancellationToken)
        {
            var type = home == "suncheon" ? "A100" : "H100";
            CrashJob job;
            lock (random)
            {
                job = Workload.ClusterJob(random, id);
            }

            // The same shape, homed in the lost region and never pinned there.
            var body = System.Text.Json.Nodes.JsonNode.Parse(job.Body)!.AsObject();
            body["homeRegion"] = home;
            body["accelerators"]!["types"] = new System.Text.Json.Nodes.JsonArray(type);
            body["allowedRegions"] = new System.Text.Json.Nodes.JsonArray();
            body["project"] = "crash-" + home;
            job = job with { Body = body.ToJsonString(), Type = type, HomeRegion = home, AllowedRegions = [] };
            SubmittedJobs[job.Id] = job;
            return await SubmitOnceAsync(job, through, first: true, cancellationToken);
        }

        private async Task SubmitUntilAcknowledgedAsync(CrashJob job, CancellationToken cancellationToken)
        {
            var start = Interlocked.Increment(ref _next);
            for (var attempt = 0; attempt < 200; attempt++)
            {
                var through = LocalMegaregion.Regions[(start + attempt) % LocalMegaregion.Regions.Length];
                if (await SubmitOnceAsync(job, through, attempt == 0, CancellationToken.None))
                {
                    return;
                }

                // Stopping: what is not acknowledged stays unacknowledged (it may exist or not).
                if (cancellationToken.IsCancellationRequested)
                {
                    return;
                }

                await Task.Delay(200, CancellationToken.None);
            }
        }

        private async Task<bool> SubmitOnceAsync(CrashJob job, string through, bool first, CancellationToken cancellationToken)
        {
            try
            {
                using var content = new StringContent(job.Body, Encoding.UTF8, "application/json");
                using var response = await mega.Api(through).PostAsync("api/jobs", content, cancellationToken);
                var status = (int)response.StatusCode;
                Statuses.AddOrUpdate(status.ToString(CultureInfo.InvariantCulture), 1, static (_, n) => n + 1);
                if (response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK)
                {
                    var view = (await response.Content.ReadFromJsonAsync<JobView>(Workload.Json, cancellationToken))!;
                    if (view.Id != job.Id || view.Region is null || view.State is not (JobState.Queued or JobState.Running or JobState.Completed))
                    {
                        _violations.Enqueue($"{job.Id}: acknowledged through {through} as {view.Id} {view.State} in {view.Region ?? "no region"}");
                    }

                    if (response.StatusCode == HttpStatusCode.OK && first)
                    {
                        _violations.Enqueue($"{job.Id}: its first submission answered 200 (it existed before it was sent)");
                    }

                    Acknowledged[job.Id] = view;
                    return true;
                }

                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    // The limit on changes per caller, which changed nothing: wait as told, then send again.
                    await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1), cancellationToken);
                    return false;
                }

                if (status is >= 400 and < 500)
                {
                    _violations.Enqueue($"{job.Id}: answered {status} through {through}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
                    return true;
                }

                return false;
            }
            catch (Exception e)
            {
                // No answer (a silo killed mid-request, whatever the client then throws): counted, and sent again.
                Statuses.AddOrUpdate(e.GetType().Name, 1, static (_, n) => n + 1);
                return false;
            }
        }
    }
}

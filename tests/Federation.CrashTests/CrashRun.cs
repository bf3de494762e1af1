using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Federation.Contracts;
using Federation.TestKit;
using Xunit.Abstractions;

namespace Federation.CrashTests;

/// <summary>What one crash run does. Defaults keep a run within about a minute on two cores.</summary>
internal sealed record CrashScenario
{
    public required string Name { get; init; }

    /// <summary>The server's storage flags (<c>--storage sqlite --connection file</c>).</summary>
    public required string[] StorageArgs { get; init; }

    public int Seed { get; init; }

    public int Jobs { get; init; } = 1200;

    /// <summary>Disruptions (by default kill -9 and restart), one per round.</summary>
    public int Rounds { get; init; } = 6;

    public int Clients { get; init; } = 12;

    /// <summary>Execution seconds per wall second: an hour of a job lasts a wall second at 3600.</summary>
    public double TimeScale { get; init; } = 3600;

    /// <summary>
    /// Jobs submitted per wall second at most, so submissions are in flight in every round: 1,200 jobs take 48 s to
    /// release, as long as six rounds of a wait and a restart of the server (3–5 s for the process and its silo).
    /// </summary>
    public double SubmitRate { get; init; } = 25;

    public double RoundMinSeconds { get; init; } = 1.5;

    public double RoundMaxSeconds { get; init; } = 4.0;

    /// <summary>The disruption of one round; null = kill -9 the server and restart it on the same store.</summary>
    public Func<CrashRun, int, Task>? Disrupt { get; init; }

    /// <summary>Long jobs submitted after the settle, for the accounting check at a quiescent moment (0 = skip).</summary>
    public int HoldJobs { get; init; } = 40;
}

/// <summary>
/// A crash run: the server as a process, concurrent clients submitting with client ids and resubmitting what
/// was not acknowledged, disruptions at seeded random moments, then a settle and the invariant checks.
/// </summary>
internal sealed class CrashRun : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly CrashScenario _scenario;
    private readonly ITestOutputHelper _output;
    private readonly Dictionary<string, CrashJob> _submitted = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, JobView> _acked = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _attempts = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<string> _violations = [];
    private readonly ConcurrentDictionary<string, int> _statuses = new(StringComparer.Ordinal);
    private readonly HashSet<string> _runningAtKill = new(StringComparer.Ordinal);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _slowestRefusalTicks;

    public CrashRun(CrashScenario scenario, ITestOutputHelper output)
    {
        _scenario = scenario;
        _output = output;
        Random = new Random(scenario.Seed);
        var logDir = Path.Combine(Path.GetTempPath(), "federation-crash");
        Directory.CreateDirectory(logDir);
        Server = new ServerProcess(scenario.StorageArgs, scenario.TimeScale, Path.Combine(logDir, $"{scenario.Name}-{scenario.Seed}-{DateTime.UtcNow:HHmmss}.log"));
        Http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromSeconds(2), ConnectTimeout = TimeSpan.FromSeconds(2) })
        {
            BaseAddress = Server.BaseAddress,
            Timeout = TimeSpan.FromSeconds(45),
        }.AsCoordinator();
        Api = new FederationApi(Http);
    }

    public ServerProcess Server { get; }

    public HttpClient Http { get; }

    public FederationApi Api { get; }

    public Random Random { get; }

    public int Acknowledged => _acked.Count;

    public void Log(string line)
    {
        var stamped = string.Create(CultureInfo.InvariantCulture, $"[{_clock.Elapsed.TotalSeconds,6:F1} s] {line}");
        _output.WriteLine(stamped);
        Server.Write("#### " + stamped);
    }

    /// <summary>Kills the server with SIGKILL and starts it again on the same store.</summary>
    public async Task KillAndRestartAsync(int round)
    {
        await NoteRunningAsync();
        Server.Kill($"round {round}");
        Log($"round {round}: killed -9 with {Acknowledged} acknowledged");
        await Task.Delay(Random.Next(0, 400));
        await Server.StartAsync(StartTimeout);
        Log($"round {round}: restarted");
    }

    /// <summary>Remembers which jobs the rows say are running just before a disruption (best effort: the store may be down).</summary>
    public async Task NoteRunningAsync()
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            foreach (var job in await Api.ListAllAsync(JobState.Running, cts.Token))
            {
                _runningAtKill.Add(job.Id);
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException)
        {
            Log($"could not list running jobs before the disruption: {e.Message}");
        }
    }

    public async Task RunAsync()
    {
        var s = _scenario;
        Log($"{s.Name}: seed {s.Seed} (set FEDERATION_CRASH_SEED={s.Seed} to repeat), {s.Jobs} jobs, {s.Rounds} rounds, {s.Clients} clients, time scale {s.TimeScale}; server log {Server.LogPath}");
        var jobs = Workload.Short(Random, $"c{s.Seed}", s.Jobs);
        foreach (var job in jobs)
        {
            _submitted.Add(job.Id, job);
        }

        await Server.StartAsync(StartTimeout);
        await SubmitAllAsync(jobs, s.SubmitRate, async () =>
        {
            for (var round = 1; round <= s.Rounds; round++)
            {
                var wait = s.RoundMinSeconds + (Random.NextDouble() * (s.RoundMaxSeconds - s.RoundMinSeconds));
                await Task.Delay(TimeSpan.FromSeconds(wait));
                await (s.Disrupt ?? ((r, n) => r.KillAndRestartAsync(n)))(this, round);
            }
        });
        Log($"all {jobs.Count} jobs acknowledged ({_attempts.Values.Sum()} attempts); statuses {Statuses()}; slowest non-acknowledgement {TimeSpan.FromTicks(Interlocked.Read(ref _slowestRefusalTicks)).TotalMilliseconds:F0} ms");

        await SettleAsync(TimeSpan.FromSeconds(60));
        var all = await Api.ListAllAsync();
        var regions = await Api.RegionsAsync();
        var failures = new List<string>(_violations);
        failures.AddRange(Invariants.ExactlyOnce(_submitted, [.. _acked.Keys], all));
        foreach (var job in all)
        {
            failures.AddRange(Invariants.History(job));
            if (job.State != JobState.Completed)
            {
                failures.Add($"{job.Id} did not complete: {Invariants.Render(job)}");
            }
        }

        foreach (var id in _runningAtKill)
        {
            var job = all.FirstOrDefault(j => j.Id == id);
            if (job is null || (job.State != JobState.Completed && !job.History.Any(e => e.Kind == "Requeued")))
            {
                failures.Add($"{id} was running at a disruption and neither completed nor was requeued: {(job is null ? "missing" : Invariants.Render(job))}");
            }
        }

        failures.AddRange(Invariants.Accounting(regions, all));
        failures.AddRange(await ResubmitAcknowledgedAsync(all));
        failures.AddRange(Invariants.AuditedOnce("job.submit", all, await Api.AuditAsync("job.submit")));
        Log($"checked {all.Count} jobs ({_runningAtKill.Count} running at a disruption, {all.Count(j => j.History.Any(e => e.Kind == "Overflowed"))} overflowed, {all.Count(j => j.History.Count(e => e.Kind == "Overflowed") > 1 || j.History.Any(e => e.Message.StartsWith("moved", StringComparison.Ordinal)))} moved, {all.Count(j => j.History.Any(e => e.Kind == "Requeued"))} requeued)");
        AssertNone(failures, "after the rounds");

        if (s.HoldJobs > 0)
        {
            await HoldPhaseAsync();
        }

        AssertNone(Invariants.GhostRuns(Server.LogPath), "in the server log");
    }

    /// <summary>
    /// Long jobs fill the regions and overflow; the server is killed once more; once nothing changes any more
    /// (two equal snapshots), each region's accounting must match the rows exactly. Then every job is cancelled
    /// and every region must be empty.
    /// </summary>
    private async Task HoldPhaseAsync()
    {
        var hold = Workload.Long(Random, $"h{_scenario.Seed}", _scenario.HoldJobs);
        foreach (var job in hold)
        {
            _submitted.Add(job.Id, job);
        }

        await SubmitAllAsync(hold, 200, async () =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Next(50, 400)));
            await KillAndRestartAsync(_scenario.Rounds + 1);
        });
        Log($"hold phase: {hold.Count} long jobs acknowledged");

        List<string> last = [];
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var before = await Api.RegionsAsync();
            var jobs = await Api.ListAllAsync();
            var after = await Api.RegionsAsync();
            var again = await Api.ListAllAsync();
            last = Invariants.Accounting(after, again);
            if (Same(before, after) && SameJobs(jobs, again) && last.Count == 0)
            {
                Log($"quiescent accounting holds: {string.Join("; ", after.Select(r => $"{r.Id} {r.RunningJobs} running/{r.QueuedJobs} queued, busy {string.Join("+", r.Pools.Select(p => p.Busy))}"))}");
                break;
            }

            if (deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                AssertNone(last.Count > 0 ? last : ["the regions never stopped changing for 30 s"], "at the quiescent moment");
            }

            await Task.Delay(300);
        }

        foreach (var job in hold)
        {
            var status = await SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, $"api/jobs/{job.Id}?reason=end%20of%20crash%20test"));
            if (status != HttpStatusCode.OK)
            {
                _violations.Add($"cancel {job.Id}: {(int)status}");
            }
        }

        var all = await Api.ListAllAsync();
        var regions = await Api.RegionsAsync();
        var failures = new List<string>(_violations);
        failures.AddRange(Invariants.ExactlyOnce(_submitted, [.. _acked.Keys], all));
        foreach (var job in all)
        {
            failures.AddRange(Invariants.History(job));
            if (!job.History.IsEmpty && job.State is not (JobState.Completed or JobState.Cancelled))
            {
                failures.Add($"{job.Id} is still {job.State} after the cancel: {Invariants.Render(job)}");
            }
        }

        failures.AddRange(Invariants.AuditedOnce("job.cancel", all.Where(j => j.State == JobState.Cancelled), await Api.AuditAsync("job.cancel")));
        foreach (var r in regions)
        {
            if (r.RunningJobs != 0 || r.QueuedJobs != 0 || r.Pools.Any(p => p.Busy != 0))
            {
                failures.Add($"{r.Id} still holds {r.RunningJobs} running, {r.QueuedJobs} queued, busy {string.Join("+", r.Pools.Select(p => p.Busy))} after every job ended");
            }
        }

        AssertNone(failures, "after cancelling the hold phase");
        Log("every region is empty after the cancel");
    }

    /// <summary>
    /// Submits every job through <see cref="CrashScenario.Clients"/> concurrent clients, at most
    /// <paramref name="rate"/> new jobs per second, resubmitting (same id, same body) whatever got no 200/201,
    /// while <paramref name="disruptions"/> runs; returns when both are done.
    /// </summary>
    private async Task SubmitAllAsync(List<CrashJob> jobs, double rate, Func<Task> disruptions)
    {
        var pending = new ConcurrentQueue<CrashJob>(jobs);
        var retry = new ConcurrentQueue<CrashJob>();
        var released = Stopwatch.StartNew();
        var next = 0;
        var done = 0;
        var disrupting = disruptions();
        var gate = new object();

        async Task ClientAsync()
        {
            while (Volatile.Read(ref done) < jobs.Count)
            {
                if (!retry.TryDequeue(out var job))
                {
                    lock (gate)
                    {
                        // New jobs are released at the rate, so submissions stay in flight across every round.
                        if (next < jobs.Count && released.Elapsed.TotalSeconds * rate >= next && pending.TryDequeue(out job))
                        {
                            next++;
                        }
                    }
                }

                if (job is null)
                {
                    await Task.Delay(10);
                    continue;
                }

                bool acknowledged;
                try
                {
                    acknowledged = await SubmitOnceAsync(job);
                }
                catch (Exception e)
                {
                    // Whatever else a request cut by a kill may throw: counted with the statuses and sent again, never
                    // dropped with this client (a job no client holds would never be acknowledged).
                    _statuses.AddOrUpdate(e.GetType().Name, 1, static (_, n) => n + 1);
                    acknowledged = false;
                }

                if (acknowledged)
                {
                    Interlocked.Increment(ref done);
                }
                else
                {
                    retry.Enqueue(job);
                    await Task.Delay(25);
                }
            }
        }

        var clients = Enumerable.Range(0, _scenario.Clients).Select(_ => Task.Run(ClientAsync)).ToArray();
        await disrupting;
        var all = Task.WhenAll(clients);
        if (await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(90))) != all)
        {
            AssertNone([$"only {done} of {jobs.Count} jobs acknowledged 90 s after the last disruption; statuses {Statuses()}"], "while submitting");
        }

        await all;
    }

    /// <summary>One POST; true when acknowledged (201 or 200 with the job).</summary>
    private async Task<bool> SubmitOnceAsync(CrashJob job)
    {
        var attempt = _attempts.AddOrUpdate(job.Id, 1, static (_, n) => n + 1);
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var content = new StringContent(job.Body, Encoding.UTF8, "application/json");
            using var response = await Http.PostAsync("api/jobs", content);
            var status = (int)response.StatusCode;
            _statuses.AddOrUpdate(status.ToString(CultureInfo.InvariantCulture), 1, static (_, n) => n + 1);
            if (response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK)
            {
                var view = await response.Content.ReadFromJsonAsync<JobView>(Workload.Json);
                if (view is null || view.Id != job.Id)
                {
                    _violations.Add($"{job.Id}: acknowledged with another job: {view?.Id}");
                }
                else if (view.State is not (JobState.Queued or JobState.Running or JobState.Completed) || view.Region is null)
                {
                    _violations.Add($"{job.Id}: acknowledged as {view.State} in {view.Region ?? "no region"}: {Invariants.Render(view)}");
                }

                if (response.StatusCode == HttpStatusCode.OK && attempt == 1)
                {
                    _violations.Add($"{job.Id}: the first submission answered 200 (the job existed before it was ever sent)");
                }

                _acked[job.Id] = view!;
                return true;
            }

            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                // The limit on changes per caller, which changed nothing: clients that send again every 25 ms through an
                // outage of a few seconds use up its burst. A client told so waits as told and sends again.
                NoteRefusal(started);
                await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
                return false;
            }

            if (status is >= 400 and < 500)
            {
                // A 4xx for a valid body resubmitted unchanged is a bug (409 would mean the stored body differs).
                _violations.Add($"{job.Id}: attempt {attempt} answered {status}: {await response.Content.ReadAsStringAsync()}");
                return true;
            }

            NoteRefusal(started);
            return false;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            _statuses.AddOrUpdate(e.GetType().Name, 1, static (_, n) => n + 1);
            NoteRefusal(started);
            return false;
        }
    }

    /// <summary>The same id and body again: 200 with the stored job, never 201 (it would be a second job).</summary>
    private async Task<List<string>> ResubmitAcknowledgedAsync(List<JobView> all)
    {
        var failures = new List<string>();
        foreach (var job in all.Where((_, i) => i % 20 == 0))
        {
            var status = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, "api/jobs") { Content = new StringContent(_submitted[job.Id].Body, Encoding.UTF8, "application/json") });
            if (status != HttpStatusCode.OK)
            {
                failures.Add($"{job.Id}: a resubmission of an acknowledged job answered {(int)status}");
            }
        }

        return failures;
    }

    /// <summary>A request of the checks, repeated while it meets a momentary 503 (about 10 s at most); the final status.</summary>
    private async Task<HttpStatusCode> SendAsync(Func<HttpRequestMessage> request)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var message = request();
            using var response = await Http.SendAsync(message);
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable || attempt >= 40)
            {
                return response.StatusCode;
            }

            await Task.Delay(250);
        }
    }

    /// <summary>Waits until no job is submitted, queued or running, or <paramref name="limit"/> passed.</summary>
    private async Task SettleAsync(TimeSpan limit)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < limit)
        {
            var active = await Api.CountAsync(JobState.Queued) + await Api.CountAsync(JobState.Running) + await Api.CountAsync(JobState.Submitted);
            if (active == 0)
            {
                Log($"settled after {waited.Elapsed.TotalSeconds:F1} s");
                return;
            }

            await Task.Delay(250);
        }

        Log($"not settled after {limit.TotalSeconds} s");
    }

    /// <summary>The slowest answer that was not an acknowledgement (503s during a store outage should be fast); reported, not asserted.</summary>
    private void NoteRefusal(long started)
    {
        var ticks = Stopwatch.GetElapsedTime(started).Ticks;
        long seen;
        while (ticks > (seen = Interlocked.Read(ref _slowestRefusalTicks)) && Interlocked.CompareExchange(ref _slowestRefusalTicks, ticks, seen) != seen)
        {
        }
    }

    private string Statuses() => string.Join(", ", _statuses.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}×{p.Value}"));

    private static bool Same(List<RegionView> a, List<RegionView> b) =>
        a.Count == b.Count && a.Zip(b).All(p => p.First.RunningJobs == p.Second.RunningJobs && p.First.QueuedJobs == p.Second.QueuedJobs
            && p.First.Pools.Select(x => x.Busy).SequenceEqual(p.Second.Pools.Select(x => x.Busy)));

    private static bool SameJobs(List<JobView> a, List<JobView> b) =>
        a.Count == b.Count && a.Zip(b).All(p => p.First.Id == p.Second.Id && p.First.State == p.Second.State && p.First.Region == p.Second.Region);

    private void AssertNone(IReadOnlyCollection<string> failures, string when)
    {
        if (failures.Count == 0)
        {
            return;
        }

        var text = $"{_scenario.Name} seed {_scenario.Seed}: {failures.Count} violation(s) {when} (server log {Server.LogPath}):\n  " + string.Join("\n  ", failures.Take(40));
        Log(text);
        Assert.Fail(text);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Http.Dispose();
    }
}

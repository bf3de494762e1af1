using System.Diagnostics;
using System.Globalization;
using Federation.Contracts;
using Federation.Grains.Routing;
using Federation.Scheduling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Federation.Benchmarks.GrainPlacement;

/// <summary>
/// Router decision latency in process, at a fixed rate. A silo with the grains is loaded with jobs
/// (every region busy, queues behind), then for <c>--seconds</c> decisions are issued on a fixed schedule
/// of <c>--rate</c> per second. <c>decision</c>: the router's decision on its cached copies (refreshed from
/// the live regions' estimates every 250 ms, as a router does; the refresh itself is not timed), each
/// decision mirrored into the chosen copy. <c>place</c>: <c>IRouterGrain.PlaceAsync</c> end to end
/// (decision + the region's admission), timed from the scheduled send time so a stall is not hidden.
/// Run: <c>dotnet run -c Release --project tests/Federation.Benchmarks -- router-latency [--seconds 10] [--rate 10000] [--mode decision|place|both]</c>.
/// </summary>
public sealed class RouterLatencyLoadGenerator : ILoadGenerator
{
    public string Verb => "router-latency";

    public string Description => "router decision latency at a fixed rate (p50/p99/max), decision-only and PlaceAsync";

    public string Usage => "router-latency [--seconds 10] [--rate 10000] [--mode decision|place|both]";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        int seconds, rate;
        string mode;
        try
        {
            seconds = LoadGeneratorArgs.Int(args, "--seconds", 10, min: 1);
            rate = LoadGeneratorArgs.Int(args, "--rate", 10_000, min: 1);
            mode = LoadGeneratorArgs.String(args, "--mode", "both");
            if (mode is not ("decision" or "place" or "both"))
            {
                throw new FormatException($"--mode must be decision, place or both (was '{mode}')");
            }

            LoadGeneratorArgs.RejectUnknown(args, "--seconds", "--rate", "--mode");
        }
        catch (FormatException e)
        {
            await Console.Error.WriteLineAsync($"router-latency: {e.Message}\n{LoadGeneratorArgs.UsageLine(Usage)}");
            return 2;
        }

        await using var silo = await PlacementSilo.StartAsync("memory", postgresConnection: null, cancellationToken);
        var mega = silo.Services.GetRequiredService<IOptions<Federation.Grains.Hosting.FederationGrainsOptions>>().Value.Megaregion;
        Console.WriteLine($"router-latency: rate {rate}/s for {seconds} s, storage {silo.Storage}, {Environment.ProcessorCount} cores");
        await PreloadAsync(silo, mega, cancellationToken);

        if (mode is "decision" or "both")
        {
            var decisions = await DecisionLoopAsync(silo, mega, rate, seconds, cancellationToken);
            Console.WriteLine($"decision (RegionDecider on cached copies): {decisions.Report()}");
        }

        if (mode is "place" or "both")
        {
            var placements = await PlaceLoopAsync(silo, rate, seconds, cancellationToken);
            Console.WriteLine($"PlaceAsync (decision + admission): {placements.Report()}");
        }

        return 0;
    }

    /// <summary>Fills every region to about its capacity with 1-16 accelerator jobs and leaves a queue of 200 per region.</summary>
    internal static async Task PreloadAsync(PlacementSilo silo, Megaregion mega, CancellationToken cancellationToken)
    {
        var rng = new Random(7);
        int[] sizes = [1, 1, 2, 4, 8, 16];
        var n = 0;
        var tasks = new List<Task>();
        foreach (var region in mega.Regions)
        {
            var demand = 0;
            while (demand < region.TotalAccelerators + 200 * 8)
            {
                var count = sizes[rng.Next(sizes.Length)];
                demand += count;
                var id = $"pre-{n++}";
                tasks.Add(silo.GrainFactory.GetGrain<IJobGrain>(id).SubmitAsync(Job(id, region.Id, count, 2 + rng.Next(20), [region.Id])));
                if (tasks.Count == 256)
                {
                    await Task.WhenAll(tasks);
                    tasks.Clear();
                }
            }
        }

        await Task.WhenAll(tasks);
        cancellationToken.ThrowIfCancellationRequested();
        Console.WriteLine($"preloaded {n} jobs");
    }

    internal static JobRequest Job(string id, string home, int count, double hours, System.Collections.Immutable.ImmutableArray<string> allowed) => new()
    {
        Id = id,
        Project = "bench",
        Owner = "load",
        HomeRegion = home,
        Accelerators = new AcceleratorRequest { Count = count },
        DurationHours = hours,
        Dataset = new DatasetRef { Region = home, SizeGb = 50 },
        AllowedRegions = allowed,
    };

    private static async Task<Percentiles> DecisionLoopAsync(PlacementSilo silo, Megaregion mega, int rate, int seconds, CancellationToken cancellationToken)
    {
        var decider = new RegionDecider(mega);
        var regions = new IRegionGrain[mega.Regions.Length];
        for (var i = 0; i < regions.Length; i++)
        {
            regions[i] = silo.GrainFactory.GetGrain<IRegionGrain>(mega.Regions[i].Id);
        }

        var total = rate * seconds;
        var samples = new Percentiles(total);
        var jobs = new JobSpec[64];
        var rng = new Random(3);
        int[] sizes = [1, 2, 4, 8, 16];
        for (var i = 0; i < jobs.Length; i++)
        {
            var home = mega.Regions[i % mega.Regions.Length].Id;
            jobs[i] = new JobSpec($"d{i}", "p", "u", home, sizes[rng.Next(sizes.Length)], [], 0, 3600 * (1 + rng.Next(10)), home, 100, [], 0);
        }

        var freq = Stopwatch.Frequency;
        var interval = freq / (double)rate;
        var refreshTicks = freq / 4;
        var nowS = Federation.Grains.Execution.ExecutionClock.ToSeconds(TimeProvider.System.GetUtcNow());
        await RefreshAsync(decider, regions, nowS);
        var start = Stopwatch.GetTimestamp();
        var lastRefresh = start;
        for (var i = 0; i < total && !cancellationToken.IsCancellationRequested; i++)
        {
            var due = start + (long)(i * interval);
            while (Stopwatch.GetTimestamp() < due)
            {
                Thread.SpinWait(20);
            }

            if (Stopwatch.GetTimestamp() - lastRefresh >= refreshTicks)
            {
                nowS = Federation.Grains.Execution.ExecutionClock.ToSeconds(TimeProvider.System.GetUtcNow());
                await RefreshAsync(decider, regions, nowS);
                lastRefresh = Stopwatch.GetTimestamp();
            }

            var job = jobs[i & 63];
            var t0 = Stopwatch.GetTimestamp();
            var chosen = decider.Decide(job, nowS, -1);
            if (chosen >= 0)
            {
                decider.Admitted(chosen, job, nowS, decider.Scores[chosen].TransferS);
            }

            samples.Add(Stopwatch.GetTimestamp() - t0);
        }

        return samples;
    }

    private static async Task RefreshAsync(RegionDecider decider, IRegionGrain[] regions, double nowS)
    {
        for (var i = 0; i < regions.Length; i++)
        {
            decider.Update(i, await regions[i].GetEstimateAsync(0), nowS, ResidencyPolicy.Empty);
        }
    }

    private static async Task<Percentiles> PlaceLoopAsync(PlacementSilo silo, int rate, int seconds, CancellationToken cancellationToken)
    {
        var router = silo.GrainFactory.GetGrain<IRouterGrain>(0);
        var total = rate * seconds;
        var samples = new Percentiles(total);
        var tasks = new Task[total];
        var freq = Stopwatch.Frequency;
        var interval = freq / (double)rate;
        string[] homes = ["gwangju", "suncheon", "gwangyang", "daegu"];
        var requests = new JobRequest[64];
        for (var i = 0; i < requests.Length; i++)
        {
            requests[i] = Job($"r{i}", homes[i & 3], 1 + (i % 8), 1, []);
        }

        // Sends are released by a 1 ms timer rather than a spin loop, which would take one of the two
        // cores from the silo; each is timed from the moment it was due.
        var now = TimeProvider.System.GetUtcNow();
        var start = Stopwatch.GetTimestamp();
        var sent = 0;
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(1));
        while (sent < total && !cancellationToken.IsCancellationRequested)
        {
            var elapsedTicks = Stopwatch.GetTimestamp() - start;
            var dueCount = Math.Min(total, (int)(elapsedTicks / interval) + 1);
            for (; sent < dueCount; sent++)
            {
                var due = start + (long)(sent * interval);
                tasks[sent] = TimeOneAsync(router, $"place-{sent}", requests[sent & 63], now, due, samples);
            }

            await tick.WaitForNextTickAsync(cancellationToken);
        }

        await Task.WhenAll(tasks.AsSpan(0, sent).ToArray());
        var elapsed = (Stopwatch.GetTimestamp() - start) / (double)freq;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"PlaceAsync: {total} placements in {elapsed:F2} s ({total / elapsed:F0}/s offered {rate}/s), {s_timedOut} timed out"));
        return samples;
    }

    private static int s_timedOut;

    private static async Task TimeOneAsync(IRouterGrain router, string id, JobRequest job, DateTimeOffset submittedAt, long due, Percentiles samples)
    {
        try
        {
            await router.PlaceAsync(id, job, submittedAt, null);
        }
        catch (TimeoutException)
        {
            // Offered more than the silo places: the backlog outgrows the 30 s call timeout. Counted, not timed.
            Interlocked.Increment(ref s_timedOut);
            return;
        }

        var took = Stopwatch.GetTimestamp() - due;
        lock (samples)
        {
            samples.Add(took);
        }
    }
}

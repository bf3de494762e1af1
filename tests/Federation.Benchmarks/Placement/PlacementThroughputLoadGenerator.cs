using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Federation.Contracts;
using Federation.Grains.Diagnostics;
using Federation.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Benchmarks.GrainPlacement;

/// <summary>
/// Sustained placements in one silo: <c>--concurrency</c> clients each submit jobs back to back through
/// <c>IJobGrain.SubmitAsync</c> (the whole path: job activation and state read, the router's decision,
/// the region's admission, the job row written before the answer) until <c>--jobs</c> have been placed.
/// Prints jobs/s, CPU and bytes allocated per job, GC counts and pauses, and the submit latency percentiles. Jobs ask
/// for 1-8 accelerators for 1-10 h with 50 GB of data in their home region, homes spread over the four regions, so
/// regions fill, queue and overflow.
/// Run: <c>dotnet run -c Release --project tests/Federation.Benchmarks -- placement-throughput --storage memory|sqlite|postgres</c>
/// (<see cref="Usage"/>; postgres: the server in <c>--connection</c>, by default <c>FEDERATION_TEST_POSTGRES</c>, in a
/// schema of the run's own). The targets it measures are in DESIGN.md §8.
/// </summary>
public sealed class PlacementThroughputLoadGenerator : ILoadGenerator
{
    public string Verb => "placement-throughput";

    public string Description => "sustained job placements per second in one silo (memory, SQLite or PostgreSQL state) with latency percentiles";

    public string Usage =>
        "placement-throughput [--storage memory|sqlite|postgres] [--connection <Npgsql connection string, default $FEDERATION_TEST_POSTGRES>]\n" +
        "                     [--jobs 200000 (memory) | 50000] [--concurrency 256] [--warmup 30000 (memory) | 5000]";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        string storage;
        string? connection;
        int jobs, concurrency, warmup;
        try
        {
            storage = LoadGeneratorArgs.String(args, "--storage", "memory");
            if (storage is not ("memory" or "sqlite" or "postgres"))
            {
                throw new FormatException($"--storage must be memory, sqlite or postgres (was '{storage}')");
            }

            connection = LoadGeneratorArgs.Value(args, "--connection");
            jobs = LoadGeneratorArgs.Int(args, "--jobs", storage == "memory" ? 200_000 : 50_000, min: 1);
            concurrency = LoadGeneratorArgs.Int(args, "--concurrency", 256, min: 1);
            warmup = LoadGeneratorArgs.Int(args, "--warmup", storage == "memory" ? 30_000 : 5_000, min: 0);
            LoadGeneratorArgs.RejectUnknown(args, "--storage", "--connection", "--jobs", "--concurrency", "--warmup");
        }
        catch (FormatException e)
        {
            await Console.Error.WriteLineAsync($"placement-throughput: {e.Message}\n{LoadGeneratorArgs.UsageLine(Usage)}");
            return 2;
        }

        PlacementSilo silo;
        try
        {
            silo = await PlacementSilo.StartAsync(storage, connection, cancellationToken);
        }
        catch (FormatException e)
        {
            await Console.Error.WriteLineAsync($"placement-throughput: {e.Message}");
            return 2;
        }

        await using var _ = silo;
        Console.WriteLine($"placement-throughput: {jobs} jobs after {warmup} warm-up jobs, {concurrency} concurrent clients, storage {silo.Storage}, {Environment.ProcessorCount} cores, {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC");

        // Warm-up: activations of the regions, the router and the code paths, then a pause so that the tiered JIT's
        // background compiler has replaced the hot path's first-tier and instrumented code with optimized code: the
        // steady state of a long-running silo, which is what the figure is about.
        if (warmup > 0)
        {
            await RunClientsAsync(silo, "warm", warmup, concurrency, new Percentiles(warmup + 16), cancellationToken);
        }

        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);

        var samples = new Percentiles(jobs);
        long refreshes = 0;
        long refusals = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name is GrainsInstrumentNames.SnapshotRefreshes or GrainsInstrumentNames.PlacementRefusals)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            if (instrument.Name == GrainsInstrumentNames.SnapshotRefreshes)
            {
                Interlocked.Add(ref refreshes, value);
            }
            else
            {
                Interlocked.Add(ref refusals, value);
            }
        });
        listener.Start();
        var gcBefore = GC.CollectionCount(0);
        var gen1Before = GC.CollectionCount(1);
        var gen2Before = GC.CollectionCount(2);
        var pauseBefore = GC.GetTotalPauseDuration();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var start = Stopwatch.GetTimestamp();
        await RunClientsAsync(silo, "job", jobs, concurrency, samples, cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds * 1000 / jobs;
        var allocated = (GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore) / (double)jobs;
        var pause = (GC.GetTotalPauseDuration() - pauseBefore).TotalMilliseconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"placed {jobs} jobs in {elapsed:F2} s: {jobs / elapsed:F0} jobs/s (gen0 GCs {GC.CollectionCount(0) - gcBefore}, router snapshot refreshes {Interlocked.Read(ref refreshes)}, admissions refused {Interlocked.Read(ref refusals)})"));

        // Load-insensitive figures: CPU and allocation per job do not depend on what else the machine runs.
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"per job: {cpu:F1} us CPU (process, all threads), {allocated:F0} B allocated; GC: gen1 {GC.CollectionCount(1) - gen1Before}, gen2 {GC.CollectionCount(2) - gen2Before}, paused {pause:F0} ms ({100 * pause / (elapsed * 1000):F1} % of the run), heap {GC.GetGCMemoryInfo().HeapSizeBytes / (1024 * 1024)} MB, {GcHeapCount()} GC heaps, {ThreadPool.ThreadCount} pool threads"));
        Console.WriteLine($"submit latency: {samples.Report()}");
        var mega = await silo.GrainFactory.GetGrain<IMegaregionGrain>(IMegaregionGrain.Key).GetAsync();
        foreach (var r in mega.Regions)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {r.Id,-10} capacity {r.Capacity,5} busy {r.Busy,5} queued jobs {r.QueuedJobs,7}"));
        }

        foreach (var f in mega.Flows)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  flow {f.From} -> {f.To}: {f.Jobs} jobs, {f.DataMovedGb:F0} GB"));
        }

        return 0;
    }

    private static async Task RunClientsAsync(PlacementSilo silo, string prefix, int jobs, int concurrency, Percentiles samples, CancellationToken cancellationToken)
    {
        var next = -1;
        string[] homes = ["gwangju", "suncheon", "gwangyang", "daegu"];
        var references = silo.Services.GetRequiredService<GrainReferences>();
        var clients = new Task[concurrency];
        for (var c = 0; c < concurrency; c++)
        {
            clients[c] = Task.Run(
                async () =>
                {
                    var local = new Percentiles(jobs / concurrency + 16);
                    int i;
                    while ((i = Interlocked.Increment(ref next)) < jobs && !cancellationToken.IsCancellationRequested)
                    {
                        var id = $"{prefix}-{i}";
                        var job = RouterLatencyLoadGenerator.Job(id, homes[i & 3], 1 + (i % 8), 1 + (i % 10), []);
                        var t0 = Stopwatch.GetTimestamp();
                        var result = await references.Job(id).SubmitAsync(job);
                        local.Add(Stopwatch.GetTimestamp() - t0);
                        if (!result.Created)
                        {
                            throw new InvalidOperationException($"job {id} was not created: {result.Conflict}");
                        }
                    }

                    lock (samples)
                    {
                        samples.Merge(local);
                    }
                },
                cancellationToken);
        }

        await Task.WhenAll(clients);
    }

    /// <summary>The server GC's heap count now (it adapts with DATAS), or "1" for workstation GC.</summary>
    private static string GcHeapCount() =>
        GC.GetConfigurationVariables().TryGetValue("HeapCount", out var count) ? Convert.ToString(count, CultureInfo.InvariantCulture) ?? "?" : "?";
}

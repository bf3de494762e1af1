using System.Diagnostics;
using System.Globalization;

namespace Federation.Benchmarks.Ping;

/// <summary>
/// <c>ping</c>: Orleans local grain calls per second with <c>--callers</c> callers, each on its own grain (or all on one
/// <c>[StatelessWorker]</c> grain), each making exactly <c>--calls</c> calls after <c>--warmup</c> warm-up calls:
/// count-bounded, so every caller does the same work and the run ends when the last one is done (the spread of the
/// callers' finishing times is printed: a wide one means the thread pool served them unevenly). Prints calls/s and,
/// independent of what else the machine runs, bytes allocated and CPU per call. <c>--call all</c> measures every kind
/// of call in turn on one silo and gives each as a ratio to the plain ping.
/// </summary>
public sealed class PingLoadGenerator : ILoadGenerator
{
    private static readonly PingCall[] All = [PingCall.Ping, PingCall.Task, PingCall.Record, PingCall.ImmutableRecord, PingCall.Worker];

    public string Verb => "ping";

    public string Description => "Orleans local grain calls/s, 64 callers on 64 grains, count-bounded; bytes and CPU per call";

    public string Usage => "ping [--callers 64] [--calls 20000] [--warmup 2000] [--call all|ping|task|record|immutable|worker]";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        int callers, calls, warmup;
        PingCall[] kinds;
        try
        {
            callers = LoadGeneratorArgs.Int(args, "--callers", 64, min: 1);
            calls = LoadGeneratorArgs.Int(args, "--calls", 20_000, min: 1);
            warmup = LoadGeneratorArgs.Int(args, "--warmup", 2_000, min: 0);
            kinds = LoadGeneratorArgs.String(args, "--call", "all") switch
            {
                "all" => All,
                "ping" => [PingCall.Ping],
                "task" => [PingCall.Task],
                "record" => [PingCall.Record],
                "immutable" => [PingCall.ImmutableRecord],
                "worker" => [PingCall.Worker],
                var other => throw new FormatException($"--call must be all, ping, task, record, immutable or worker (was '{other}')"),
            };
            LoadGeneratorArgs.RejectUnknown(args, "--callers", "--calls", "--warmup", "--call");
        }
        catch (FormatException e)
        {
            await Console.Error.WriteLineAsync($"ping: {e.Message}\n{LoadGeneratorArgs.UsageLine(Usage)}");
            return 2;
        }

        await using var silo = await PingSilo.StartAsync(cancellationToken);
        var grains = new IPingGrain[callers];
        for (var c = 0; c < callers; c++)
        {
            grains[c] = silo.GrainFactory.GetGrain<IPingGrain>(c);
        }

        var worker = silo.GrainFactory.GetGrain<IWorkerPingGrain>(0);
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"ping: {callers} callers, each on its own grain (worker: all on one [StatelessWorker] grain), {calls} calls each after {warmup} warm-up calls each; {Environment.ProcessorCount} cores, {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC"));
        // Every kind is warmed up before any is measured, then a pause lets the tiered JIT's background compiler
        // replace the first-tier code of the call path, so the first kind measured is not the one that paid for it.
        if (warmup > 0)
        {
            foreach (var kind in kinds)
            {
                await RunCallersAsync(kind, grains, worker, warmup, new long[callers]);
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }

        double? pingRate = null;
        foreach (var kind in kinds)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var finished = new long[callers];
            var gen0 = GC.CollectionCount(0);
            var gen1 = GC.CollectionCount(1);
            var gen2 = GC.CollectionCount(2);
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var start = Stopwatch.GetTimestamp();
            await RunCallersAsync(kind, grains, worker, calls, finished);
            var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds * 1000;
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            var total = (long)callers * calls;
            var rate = total / elapsed;
            if (kind == PingCall.Ping)
            {
                pingRate = rate;
            }

            Array.Sort(finished);
            var ratio = pingRate is { } p ? string.Create(CultureInfo.InvariantCulture, $" ({rate / p:F2}x ping)") : "";
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{Name(kind),-17} {total} calls in {elapsed:F2} s: {rate:F0} calls/s{ratio}; per call {allocated / (double)total:F0} B allocated, {cpu / total:F2} us CPU (process); GC gen0 {GC.CollectionCount(0) - gen0} gen1 {GC.CollectionCount(1) - gen1} gen2 {GC.CollectionCount(2) - gen2}; callers done after {Seconds(finished[0], start):F2}-{Seconds(finished[^1], start):F2} s"));
        }

        return 0;
    }

    private static string Name(PingCall kind) => kind switch
    {
        PingCall.Ping => "ping",
        PingCall.Task => "task",
        PingCall.Record => "record",
        PingCall.ImmutableRecord => "immutable-record",
        _ => "worker",
    };

    private static double Seconds(long timestamp, long start) => Stopwatch.GetElapsedTime(start, timestamp).TotalSeconds;

    private static async Task RunCallersAsync(PingCall kind, IPingGrain[] grains, IWorkerPingGrain worker, int calls, long[] finished)
    {
        var callers = new Task[grains.Length];
        for (var c = 0; c < callers.Length; c++)
        {
            var index = c;
            callers[c] = Task.Run(async () =>
            {
                await PingCalls.RunAsync(kind, grains[index], worker, calls);
                finished[index] = Stopwatch.GetTimestamp();
            });
        }

        await Task.WhenAll(callers);
    }
}

using BenchmarkDotNet.Attributes;

namespace Federation.Benchmarks.Ping;

/// <summary>
/// One caller, one grain, awaiting each call (latency of the whole local call path). The baseline is
/// the same method called directly on an instance, so the ratio is the runtime's overhead.
/// </summary>
[MemoryDiagnoser]
public class LocalPingBenchmarks
{
    private const int Calls = 10_000;
    private PingSilo _silo = null!;
    private IPingGrain _grain = null!;
    private IPingGrain _direct = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _silo = await PingSilo.StartAsync();
        _grain = _silo.GrainFactory.GetGrain<IPingGrain>(0);
        await _grain.Ping(0);
        _direct = new DirectPing();
    }

    [GlobalCleanup]
    public async Task CleanupAsync() => await _silo.DisposeAsync();

    [Benchmark(Baseline = true, OperationsPerInvoke = Calls)]
    public async Task<int> DirectInterfaceCall()
    {
        var value = 0;
        for (var i = 0; i < Calls; i++)
        {
            value = await _direct.Ping(value);
        }

        return value;
    }

    [Benchmark(OperationsPerInvoke = Calls)]
    public async Task<int> GrainPingValueTask()
    {
        var value = 0;
        for (var i = 0; i < Calls; i++)
        {
            value = await _grain.Ping(value);
        }

        return value;
    }

    [Benchmark(OperationsPerInvoke = Calls)]
    public async Task<int> GrainPingTask()
    {
        var value = 0;
        for (var i = 0; i < Calls; i++)
        {
            value = await _grain.PingTask(value);
        }

        return value;
    }

    /// <summary>The method body without the runtime, as the floor.</summary>
    private sealed class DirectPing : IPingGrain
    {
        public ValueTask<int> Ping(int value) => new(value + 1);

        public Task<int> PingTask(int value) => Task.FromResult(value + 1);
    }
}

/// <summary>
/// Many callers on both cores, each pinging its own grain in a loop: throughput. Reported per call
/// (OperationsPerInvoke), so calls/s = 1 / mean.
/// </summary>
[MemoryDiagnoser]
public class ConcurrentPingBenchmarks
{
    private const int CallsPerCaller = 2_000;
    private PingSilo _silo = null!;
    private IPingGrain[] _grains = null!;
    private IWorkerPingGrain _worker = null!;

    [Params(64)]
    public int Callers { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _silo = await PingSilo.StartAsync();
        _grains = Enumerable.Range(0, Callers).Select(i => _silo.GrainFactory.GetGrain<IPingGrain>(i)).ToArray();
        foreach (var grain in _grains)
        {
            await grain.Ping(0);
        }

        _worker = _silo.GrainFactory.GetGrain<IWorkerPingGrain>(0);
        await Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => _worker.Ping(0).AsTask()));
    }

    [GlobalCleanup]
    public async Task CleanupAsync() => await _silo.DisposeAsync();

    [Benchmark(Baseline = true, OperationsPerInvoke = 64 * CallsPerCaller)]
    public Task ManyCallersManyGrains()
    {
        var callers = new Task[_grains.Length];
        for (var c = 0; c < callers.Length; c++)
        {
            var grain = _grains[c];
            callers[c] = Task.Run(() => PingLoopAsync(grain));
        }

        return Task.WhenAll(callers);
    }

    [Benchmark(OperationsPerInvoke = 64 * CallsPerCaller)]
    public Task ManyCallersOneStatelessWorker()
    {
        var callers = new Task[Callers];
        for (var c = 0; c < callers.Length; c++)
        {
            callers[c] = Task.Run(WorkerLoopAsync);
        }

        return Task.WhenAll(callers);
    }

    private static async Task PingLoopAsync(IPingGrain grain)
    {
        var value = 0;
        for (var i = 0; i < CallsPerCaller; i++)
        {
            value = await grain.Ping(value);
        }
    }

    private async Task WorkerLoopAsync()
    {
        var value = 0;
        for (var i = 0; i < CallsPerCaller; i++)
        {
            value = await _worker.Ping(value);
        }
    }
}

using System.ComponentModel;
using BenchmarkDotNet.Attributes;

namespace Federation.Benchmarks.Ping;

/// <summary>
/// One caller, one grain, awaiting each call: the latency of Orleans' local call path. The baseline is the same method
/// called directly on an instance, so the ratio is the runtime's cost per call; the record arguments show what Orleans'
/// deep copy of a local call's argument costs, and what <c>[Immutable]</c> saves.
/// Run: <c>dotnet run -c Release --project tests/Federation.Benchmarks -- --filter '*LocalPingBenchmarks*'</c>.
/// </summary>
[Description("one caller, one grain: Orleans' local call path against a direct call; record arguments deep-copied and [Immutable]")]
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

    [Benchmark(OperationsPerInvoke = Calls)]
    public async Task<int> GrainPingRecord()
    {
        var value = 0;
        var job = PingJob.Sample;
        for (var i = 0; i < Calls; i++)
        {
            value = await _grain.PingRecord(value, job);
        }

        return value;
    }

    [Benchmark(OperationsPerInvoke = Calls)]
    public async Task<int> GrainPingImmutableRecord()
    {
        var value = 0;
        var job = ImmutablePingJob.Sample;
        for (var i = 0; i < Calls; i++)
        {
            value = await _grain.PingImmutableRecord(value, job);
        }

        return value;
    }

    /// <summary>The method bodies without the runtime, as the floor.</summary>
    private sealed class DirectPing : IPingGrain
    {
        public ValueTask<int> Ping(int value) => new(value + 1);

        public Task<int> PingTask(int value) => Task.FromResult(value + 1);

        public ValueTask<int> PingRecord(int value, PingJob job) => new(value + 1);

        public ValueTask<int> PingImmutableRecord(int value, ImmutablePingJob job) => new(value + 1);
    }
}

/// <summary>
/// 64 callers on both cores, each calling its own grain in a count-bounded loop (as the project's reference figure was
/// measured: every caller makes the same number of calls, so none finishes early on a lucky schedule). Reported per call
/// (<c>OperationsPerInvoke</c>), so calls/s = 1 / mean. The baseline is the plain ping; the others add a record argument
/// (deep-copied, then <c>[Immutable]</c>) or put every caller on one <c>[StatelessWorker]</c> grain.
/// Run: <c>dotnet run -c Release --project tests/Federation.Benchmarks -- --filter '*ConcurrentPingBenchmarks*'</c>;
/// the <c>ping</c> load generator measures the same loops for longer and prints calls/s.
/// </summary>
[Description("64 callers on 64 grains (or on one [StatelessWorker]), 2,000 calls each, per call; the ping load generator runs the same loops longer")]
[MemoryDiagnoser]
public class ConcurrentPingBenchmarks
{
    private const int Callers = 64;
    private const int CallsPerCaller = 2_000;
    private readonly Task[] _callers = new Task[Callers];
    private PingSilo _silo = null!;
    private IPingGrain[] _grains = null!;
    private IWorkerPingGrain _worker = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _silo = await PingSilo.StartAsync();
        _grains = new IPingGrain[Callers];
        var warmUp = new Task[Callers];
        _worker = _silo.GrainFactory.GetGrain<IWorkerPingGrain>(0);
        for (var c = 0; c < Callers; c++)
        {
            _grains[c] = _silo.GrainFactory.GetGrain<IPingGrain>(c);
            warmUp[c] = PingCalls.RunAsync(PingCall.Ping, _grains[c], _worker, 100);
        }

        await Task.WhenAll(warmUp);
        for (var c = 0; c < Callers; c++)
        {
            warmUp[c] = PingCalls.RunAsync(PingCall.Worker, _grains[c], _worker, 100);
        }

        await Task.WhenAll(warmUp);
    }

    [GlobalCleanup]
    public async Task CleanupAsync() => await _silo.DisposeAsync();

    [Benchmark(Baseline = true, OperationsPerInvoke = Callers * CallsPerCaller)]
    public Task ManyCallersManyGrains() => RunAsync(PingCall.Ping);

    [Benchmark(OperationsPerInvoke = Callers * CallsPerCaller)]
    public Task ManyCallersManyGrainsRecord() => RunAsync(PingCall.Record);

    [Benchmark(OperationsPerInvoke = Callers * CallsPerCaller)]
    public Task ManyCallersManyGrainsImmutableRecord() => RunAsync(PingCall.ImmutableRecord);

    [Benchmark(OperationsPerInvoke = Callers * CallsPerCaller)]
    public Task ManyCallersOneStatelessWorker() => RunAsync(PingCall.Worker);

    private Task RunAsync(PingCall call)
    {
        for (var c = 0; c < Callers; c++)
        {
            _callers[c] = PingCalls.StartCaller(call, _grains[c], _worker, CallsPerCaller);
        }

        return Task.WhenAll(_callers);
    }
}

using System.ComponentModel;
using BenchmarkDotNet.Attributes;
using Federation.Scheduling;
using Federation.Simulator;

namespace Federation.Benchmarks.Simulation;

/// <summary>
/// The simulator engine on 100,000 synthetic Venus-like jobs (sizes 1–32, log-normal durations, Poisson arrivals)
/// across the four regions, per policy; <c>Isolated</c> is the baseline. The 1,000,000-job timing of docs/simulation.md
/// comes from the simulator's own CLI (<c>--synthetic 1000000</c>), not from here.
/// Run: <c>dotnet run -c Release --project tests/Federation.Benchmarks -- --filter '*SimulationBenchmarks*'</c>.
/// </summary>
[Description("the simulator on 100,000 synthetic jobs, per policy ([Params] Policy)")]
[MemoryDiagnoser]
public class SimulationBenchmarks
{
    private const int Jobs = 100_000;
    private Workload _workload = null!;

    [Params(SimPolicy.Isolated, SimPolicy.EarliestStart, SimPolicy.EarliestStartRebalance, SimPolicy.Pooled)]
    public SimPolicy Policy { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(3);
        int[] sizes = [1, 1, 1, 1, 1, 2, 4, 8, 8, 16, 32];
        var trace = new List<TraceJob>(Jobs);
        var t = 0.0;
        for (var i = 0; i < Jobs; i++)
        {
            t += -Math.Log(1 - rng.NextDouble()) * 160;
            var duration = Math.Min(1_000_000, Math.Exp(5.6 + (2.0 * Normal(rng))));
            trace.Add(new TraceJob($"b{i}", Math.Floor(t), sizes[rng.Next(sizes.Length)], Math.Round(duration), "", $"u{rng.Next(95)}", "", double.NaN));
        }

        _workload = WorkloadBuilder.Build(MegaregionLoader.LoadDefault(), trace, new WorkloadOptions { Seed = 1 });
    }

    [Benchmark]
    public long Run() => SimulationEngine.Run(_workload, Policy, new EngineOptions(), null, CancellationToken.None).Events;

    private static double Normal(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}

using System.ComponentModel;
using BenchmarkDotNet.Attributes;
using Federation.Grains.Routing;
using Federation.Scheduling;

namespace Federation.Benchmarks.GrainPlacement;

/// <summary>
/// The router's decision on its cached copies of the four regions of the default megaregion, each about
/// 90 % busy with 20 queued gangs (the same load as <c>PlacementBenchmarks</c>). <c>PureDecide</c> is the
/// Scheduling policy alone (baseline); <c>RouterDecide</c> adds what the router applies on top (draining
/// and leaving regions); <c>RouterDecideAndMirror</c> also mirrors the admission in the chosen copy and
/// takes it out again, as happens between two snapshot refreshes. All three must allocate nothing.
/// Run: <c>dotnet run -c Release --project tests/Federation.Benchmarks -- --filter '*RouterDecisionBenchmarks*'</c>.
/// </summary>
[Description("the router's in-process decision (RegionDecider) over four loaded regions; allocates nothing")]
[MemoryDiagnoser]
public class RouterDecisionBenchmarks
{
    private readonly CandidateScore[] _scores = new CandidateScore[4];
    private readonly Random _rng = new(1);
    private Megaregion _mega = null!;
    private RegionDecider _decider = null!;
    private RegionScheduler[] _regions = null!;
    private JobSpec _job = null!;

    [GlobalSetup]
    public void Setup()
    {
        _mega = MegaregionLoader.LoadDefault();
        _regions = LoadedRegions.Build(_mega, 0.9, 20, seed: 7);
        _decider = new RegionDecider(_mega);
        for (var r = 0; r < _regions.Length; r++)
        {
            _decider.SetCopy(r, _regions[r], draining: false);
        }

        _job = new JobSpec("bench", "p", "u", "gwangju", 8, [], 0, 7200, "gwangju", 500, [], 0);
    }

    [Benchmark(Baseline = true)]
    public int PureDecide() => Placement.Decide(PlacementPolicy.EarliestStart, _job, _mega, _regions, 0, _scores, _rng);

    [Benchmark]
    public int RouterDecide() => _decider.Decide(_job, 0, -1);

    [Benchmark]
    public int RouterDecideAndMirror()
    {
        var chosen = _decider.Decide(_job, 0, -1);
        if (chosen >= 0)
        {
            var copy = _regions[chosen];
            copy.EnqueueChecked(-1, _job, 0, copy.IsExternal(_job), 1);
            copy.TryRemoveQueued(-1);
        }

        return chosen;
    }
}

/// <summary>Regions filled to a target utilization with a queue behind, deterministic by seed.</summary>
internal static class LoadedRegions
{
    public static RegionScheduler[] Build(Megaregion mega, double utilization, int queued, int seed)
    {
        var regions = new RegionScheduler[mega.Regions.Length];
        var rng = new Random(seed);
        var started = new List<StartedJob>();
        int[] sizes = [1, 1, 1, 1, 2, 4, 8, 8, 16];
        long t = 0;
        for (var r = 0; r < regions.Length; r++)
        {
            var region = mega.Regions[r];
            regions[r] = new RegionScheduler(region);
            while (regions[r].Busy < region.TotalAccelerators * utilization)
            {
                var job = new JobSpec($"f{t}", "p", "u", region.Id, sizes[rng.Next(sizes.Length)], [], 0, 600 + rng.Next(50_000), region.Id, 100, [], 0);
                regions[r].Enqueue(t++, job, 0);
                regions[r].Schedule(0, started);
            }

            for (var q = 0; q < queued; q++)
            {
                var job = new JobSpec($"q{t}", "p", "u", region.Id, sizes[rng.Next(sizes.Length)] * 4, [], 0, 600 + rng.Next(50_000), region.Id, 100, [], 0);
                regions[r].Enqueue(t++, job, 0);
            }

            regions[r].Schedule(0, started);
        }

        return regions;
    }
}

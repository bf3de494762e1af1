using System.ComponentModel;
using BenchmarkDotNet.Attributes;
using Federation.Scheduling;

namespace Federation.Benchmarks.Scheduling;

/// <summary>
/// One placement decision over the four regions of the default megaregion (scaled to Venus' 968 accelerators),
/// each region busy and with a queue. <c>Isolated</c> is the baseline (constraint checks only); <c>EarliestStart</c>
/// adds a start estimate per region from the cached availability profile; <c>EarliestStart_AfterChange</c> first
/// changes one region (a job starts and completes there), so one profile is rebuilt, as after every event in the
/// simulator. Run: <c>dotnet run -c Release --project tests/Federation.Benchmarks -- --filter '*PlacementBenchmarks*'</c>.
/// </summary>
[Description("one Scheduling placement decision over four busy regions, per policy")]
[MemoryDiagnoser]
public class PlacementBenchmarks
{
    private readonly List<StartedJob> _started = new(16);
    private readonly CandidateScore[] _scores = new CandidateScore[4];
    private readonly Random _rng = new(1);
    private Megaregion _mega = null!;
    private RegionScheduler[] _regions = null!;
    private JobSpec _job = null!;
    private JobSpec _churn = null!;
    private long _ticket = 1_000_000;

    [GlobalSetup]
    public void Setup()
    {
        _mega = Federation.Simulator.WorkloadBuilder.ScaleToTotal(MegaregionLoader.LoadDefault(), 968);
        _regions = new RegionScheduler[_mega.Regions.Length];
        var rng = new Random(7);
        int[] sizes = [1, 1, 1, 1, 2, 4, 8, 8, 16];
        long t = 0;
        for (var r = 0; r < _regions.Length; r++)
        {
            var region = _mega.Regions[r];
            _regions[r] = new RegionScheduler(region);

            // Fill to about 90 %, then queue 20 more jobs.
            while (_regions[r].Busy < region.TotalAccelerators * 0.9)
            {
                var job = new JobSpec($"f{t}", "p", "u", region.Id, sizes[rng.Next(sizes.Length)], [], 0, 600 + rng.Next(50_000), region.Id, 100, [], 0);
                _regions[r].Enqueue(t++, job, 0);
                _regions[r].Schedule(0, _started);
            }

            for (var q = 0; q < 20; q++)
            {
                var job = new JobSpec($"q{t}", "p", "u", region.Id, sizes[rng.Next(sizes.Length)] * 4, [], 0, 600 + rng.Next(50_000), region.Id, 100, [], 0);
                _regions[r].Enqueue(t++, job, 0);
            }

            _regions[r].Schedule(0, _started);
        }

        _job = new JobSpec("bench", "p", "u", "gwangju", 8, [], 0, 7200, "gwangju", 500, [], 0);
        _churn = new JobSpec("churn", "p", "u", "daegu", 1, [], 0, 1, "daegu", 1, [], 10);
    }

    [Benchmark(Baseline = true)]
    public int Isolated() => Placement.Decide(PlacementPolicy.Isolated, _job, _mega, _regions, 0, _scores, _rng);

    [Benchmark]
    public int LeastLoaded() => Placement.Decide(PlacementPolicy.LeastLoaded, _job, _mega, _regions, 0, _scores, _rng);

    [Benchmark]
    public int EarliestStart() => Placement.Decide(PlacementPolicy.EarliestStart, _job, _mega, _regions, 0, _scores, _rng);

    [Benchmark]
    public int EarliestStart_AfterChange()
    {
        var daegu = _regions[3];
        var ticket = _ticket++;
        daegu.Enqueue(ticket, _churn, 0);
        daegu.TryRemoveQueued(ticket);
        return Placement.Decide(PlacementPolicy.EarliestStart, _job, _mega, _regions, 0, _scores, _rng);
    }
}

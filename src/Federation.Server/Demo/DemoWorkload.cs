using Federation.Contracts;
using Federation.Grains.Hosting;
using Federation.Scheduling;
using Federation.Server.Hosting;

namespace Federation.Server.Demo;

/// <summary>
/// <c>--demo</c>: a steady synthetic workload so a newcomer sees jobs arrive, queue, overflow and finish.
/// Jobs arrive at a fixed wall-clock rate; half come from Suncheon (the smallest region) with large
/// gangs so it saturates and overflows into its neighbours; datasets sometimes live in another region so
/// transfer time shows in the placement reasons. Durations are minutes to hours of simulated time, so at
/// the demo's default time scale (600x) they finish within seconds to a minute.
/// </summary>
internal sealed class DemoWorkload : BackgroundService
{
    private static readonly int[] GangSizes = [1, 2, 4, 8, 8, 16, 32, 64, 128];

    private readonly GrainReferences _grains;
    private readonly Megaregion _megaregion;
    private readonly ServerSettings _settings;
    private readonly ILogger<DemoWorkload> _logger;
    private readonly TimeProvider _wallClock;

    public DemoWorkload(GrainReferences grains, Megaregion megaregion, ServerSettings settings, ILogger<DemoWorkload> logger)
    {
        _grains = grains;
        _megaregion = megaregion;
        _settings = settings;
        _logger = logger;
        _wallClock = TimeProvider.System;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var random = new Random(_settings.Options.DemoSeed);
        var runId = _wallClock.GetUtcNow().ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1 / _settings.Options.DemoJobsPerSecond), _wallClock);
        var n = 0;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var request = NextJob(random, $"demo-{runId}-{++n:D6}");
            try
            {
                var result = await _grains.Job(request.Id!).SubmitAsync(request);
                if (result.Job is { } job)
                {
                    Log.DemoSubmitted(_logger, job.Id, request.HomeRegion, request.Accelerators.Count,
                        request.Accelerators.Types.IsEmpty ? "any" : string.Join('|', request.Accelerators.Types),
                        request.DurationHours, job.State.ToString(), job.Region);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.DemoFailed(_logger, e, request.Id!);
            }
        }
    }

    /// <summary>One synthetic job; everything is drawn from <paramref name="random"/> so a seed replays the same jobs.</summary>
    internal JobRequest NextJob(Random random, string id)
    {
        var regions = _megaregion.Regions;
        var suncheon = _megaregion.IndexOf("suncheon");
        var home = suncheon >= 0 && random.NextDouble() < 0.5 ? regions[suncheon] : regions[random.Next(regions.Length)];
        var pool = home.Pools[random.Next(home.Pools.Length)];
        var count = Math.Min(GangSizes[random.Next(GangSizes.Length)], pool.Count);
        var anyType = random.NextDouble() < 0.5;
        var dataset = random.NextDouble() < 0.3 ? regions[random.Next(regions.Length)].Id : home.Id;
        return new JobRequest
        {
            Id = id,
            Project = $"demo-{(char)('a' + random.Next(4))}",
            Owner = "demo",
            HomeRegion = home.Id,
            Accelerators = new AcceleratorRequest { Count = count, Types = anyType ? [] : [pool.Type] },
            DurationHours = Math.Round(0.1 + (-Math.Log(1 - random.NextDouble()) * 1.5), 2),
            Dataset = new DatasetRef { Region = dataset, SizeGb = Math.Round(Math.Exp(random.NextDouble() * 8), 1) },
            Priority = random.Next(3),
        };
    }
}

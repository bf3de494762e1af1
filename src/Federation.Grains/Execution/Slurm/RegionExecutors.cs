using System.Collections.Immutable;
using Federation.Grains.Cluster;
using Federation.Grains.Hosting;
using Federation.Grains.Jobs;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;

namespace Federation.Grains.Execution.Slurm;

/// <summary>
/// The silo's executor when some regions run their jobs on Slurm: each such region's jobs go to its
/// <see cref="SlurmRegionExecutor"/>, every other region's to the simulated executor. At the silo's start the Slurm
/// regions hosted here begin reading their pools from Slurm's nodes (when <see cref="SlurmOptions.CapacityRefresh"/> is
/// set); at its stop every loop ends.
/// </summary>
public sealed class RegionExecutors : IJobExecutor, ILifecycleParticipant<ISiloLifecycle>
{
    private readonly SimulatedJobExecutor _simulated;
    private readonly ImmutableDictionary<string, SlurmRegionExecutor> _slurm;
    private readonly GrainReferences _grains;
    private readonly RegionSilos _silos;

    public RegionExecutors(
        SimulatedJobExecutor simulated,
        SlurmRegions regions,
        IJobRowReader rows,
        GrainReferences grains,
        ExecutionClock clock,
        TimeProvider time,
        RegionSilos silos,
        ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(regions);
        ArgumentNullException.ThrowIfNull(loggers);
        _simulated = simulated;
        _grains = grains;
        _silos = silos;
        var logger = loggers.CreateLogger<SlurmRegionExecutor>();
        _slurm = regions.Options.ToImmutableDictionary(
            static r => r.Key,
            r => new SlurmRegionExecutor(r.Key, r.Value, new SlurmRestClient(r.Value), rows, grains, clock, time, logger),
            StringComparer.Ordinal);
    }

    /// <summary>The Slurm executor of <paramref name="region"/>, or null when the region's jobs are simulated.</summary>
    public SlurmRegionExecutor? SlurmOf(string region) => _slurm.GetValueOrDefault(region);

    public Task StartAsync(ExecutionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _slurm.TryGetValue(request.RegionId, out var slurm)
            ? slurm.StartAsync(request, cancellationToken)
            : _simulated.StartAsync(request, cancellationToken);
    }

    public Task<bool> StopAsync(string regionId, string jobId, CancellationToken cancellationToken = default) =>
        _slurm.TryGetValue(regionId, out var slurm)
            ? slurm.StopAsync(regionId, jobId, cancellationToken)
            : _simulated.StopAsync(regionId, jobId, cancellationToken);

    public Task<bool> PreemptAsync(string regionId, string jobId, TimeSpan grace, CancellationToken cancellationToken = default) =>
        _slurm.TryGetValue(regionId, out var slurm)
            ? slurm.PreemptAsync(regionId, jobId, grace, cancellationToken)
            : _simulated.PreemptAsync(regionId, jobId, grace, cancellationToken);

    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        lifecycle.Subscribe(nameof(RegionExecutors), ServiceLifecycleStage.Active, OnStartAsync, OnStopAsync);
    }

    private Task OnStartAsync(CancellationToken cancellationToken)
    {
        foreach (var (region, executor) in _slurm)
        {
            if (_silos.IsHomeHere(region))
            {
                var grain = _grains.Region(region);
                executor.OnCapacity = counts => grain.SetCapacityAsync(counts);
                executor.EnsureLoop();
            }
        }

        return Task.CompletedTask;
    }

    private async Task OnStopAsync(CancellationToken cancellationToken)
    {
        foreach (var executor in _slurm.Values)
        {
            await executor.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>The regions that run their jobs on Slurm, with how each reaches it.</summary>
public sealed class SlurmRegions(IReadOnlyDictionary<string, SlurmOptions> options)
{
    public IReadOnlyDictionary<string, SlurmOptions> Options { get; } = options;
}

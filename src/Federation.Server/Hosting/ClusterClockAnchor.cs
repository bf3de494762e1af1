using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Runtime;
using Orleans.Storage;

namespace Federation.Server.Hosting;

/// <summary>
/// One simulated time for every silo of a cluster. The first silo to start on a store writes the anchor row: a wall
/// instant, the simulated time at that instant (the wall clock, or a later high-water mark left by an embedded server
/// on the same store, <see cref="ExecutionClockKeeper"/>) and the time scale. Every silo, the first included and
/// every restart, runs its execution clock from that row: simulated now = simulated origin + (wall now − wall origin) ×
/// scale. So silos agree (within their wall clocks' skew) and time never goes back across restarts; while the whole
/// cluster is down it goes on, as the wall clock does. A silo asking for another time scale than the row's refuses to
/// start: two speeds of time in one cluster would order events differently on different silos.
/// </summary>
public sealed class ClusterClockAnchor : ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>The anchor's row, beside the embedded keeper's mark.</summary>
    public static readonly GrainId RecordId = GrainId.Create("execution-clock", "cluster-anchor");

    private readonly IGrainStorage _storage;
    private readonly ScaledTimeProvider _clock;
    private readonly TimeProvider _wall;
    private readonly ILogger _logger;

    public ClusterClockAnchor(IGrainStorage storage, ScaledTimeProvider clock, TimeProvider wall, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(wall);
        ArgumentNullException.ThrowIfNull(logger);
        _storage = storage;
        _clock = clock;
        _wall = wall;
        _logger = logger;
    }

    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        lifecycle.Subscribe(nameof(ClusterClockAnchor), ExecutionClockKeeper.LifecycleStage, StartAsync, static _ => Task.CompletedTask);
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var state = new GrainState<ClusterClockRecord>(new ClusterClockRecord());
        await _storage.ReadStateAsync(ExecutionClockKeeper.StateName, RecordId, state, cancellationToken).ConfigureAwait(false);
        if (!state.RecordExists)
        {
            var mark = new GrainState<ExecutionClockRecord>(new ExecutionClockRecord());
            await _storage.ReadStateAsync(ExecutionClockKeeper.StateName, ExecutionClockKeeper.RecordId, mark, cancellationToken).ConfigureAwait(false);
            var wallNow = _wall.GetUtcNow();
            var simulated = mark.RecordExists && mark.State is { } m && m.HighWaterMark > wallNow ? m.HighWaterMark : wallNow;
            state.State = new ClusterClockRecord { WallOrigin = wallNow, SimulatedOrigin = simulated, TimeScale = _clock.Scale };
            try
            {
                await _storage.WriteStateAsync(ExecutionClockKeeper.StateName, RecordId, state, cancellationToken).ConfigureAwait(false);
                Log.ClusterClockCreated(_logger, simulated, _clock.Scale);
            }
            catch (InconsistentStateException)
            {
                // Another silo wrote it first: take theirs.
                state = new GrainState<ClusterClockRecord>(new ClusterClockRecord());
                await _storage.ReadStateAsync(ExecutionClockKeeper.StateName, RecordId, state, cancellationToken).ConfigureAwait(false);
            }
        }

        var row = state.State ?? throw new InvalidOperationException("the cluster's clock anchor row is empty");
        if (row.TimeScale != _clock.Scale)
        {
            throw new OptionsValidationException(FederationServerOptions.SectionName, typeof(FederationServerOptions),
            [
                $"Federation:TimeScale (--time-scale) is {_clock.Scale}, but the cluster's simulated time runs at {row.TimeScale} "
                + $"(set when its first silo started, {row.WallOrigin:O}): start every silo of the cluster with --time-scale {row.TimeScale}.",
            ]);
        }

        _clock.AnchorAt(row.WallOrigin, row.SimulatedOrigin);
        Log.ClusterClockJoined(_logger, _clock.GetUtcNow(), row.TimeScale);
    }
}

/// <summary>The cluster's clock anchor: simulated time <see cref="SimulatedOrigin"/> at wall time <see cref="WallOrigin"/>.</summary>
[GenerateSerializer, Alias("federation.ClusterClockRecord")]
public sealed class ClusterClockRecord
{
    [Id(0)]
    public DateTimeOffset WallOrigin { get; set; }

    [Id(1)]
    public DateTimeOffset SimulatedOrigin { get; set; }

    [Id(2)]
    public double TimeScale { get; set; }
}

using System.Collections.Immutable;
using System.Globalization;
using Orleans;
using Orleans.Runtime;
using Federation.Contracts;
using Federation.Grains.Cluster;
using Federation.Grains.Diagnostics;
using Federation.Grains.Execution;
using Federation.Grains.Hosting;
using Federation.Grains.Model;
using Federation.Grains.Residency;
using Federation.Scheduling;
using Federation.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Federation.Grains.Aggregation;

/// <summary>
/// The aggregated view (regions push their load one-way; each silo reports its jobs' flows one-way, summed once a
/// second) and the rebalancer.
/// It calls regions (estimates) and jobs (moves), both awaited; neither ever awaits it, so no cycle.
/// Flow counters are written at most once per <see cref="FlowWriteInterval"/>: they are statistics, and
/// each moved job's own row already records where it went.
/// </summary>
[KeepAlive]
public sealed class MegaregionGrain : Grain, IMegaregionGrain
{
    /// <summary>How often changed flow counters are written.</summary>
    public static readonly TimeSpan FlowWriteInterval = TimeSpan.FromSeconds(1);

    /// <summary>How long a call to one region is waited for (a hung silo is declared dead only after seconds).</summary>
    private static readonly TimeSpan RegionWait = TimeSpan.FromSeconds(2);

    private readonly IPersistentState<MegaregionState> _state;
    private readonly ExecutionClock _clock;
    private readonly FederationGrainsOptions _options;
    private readonly Megaregion _model;
    private readonly ILogger<MegaregionGrain> _logger;
    private readonly GrainReferences _grains;
    private readonly RegionSilos _silos;
    private readonly ResidencyPolicies _residency;
    private readonly RegionLoad?[] _loads;
    private readonly List<RebalanceMove> _moves = new();
    private bool _flowsDirty;
    private IDisposable? _rebalanceAlarm;

    public MegaregionGrain(
        [PersistentState(MegaregionState.StateName, StorageNames.GrainState)] IPersistentState<MegaregionState> state,
        ExecutionClock clock,
        IOptions<FederationGrainsOptions> options,
        GrainReferences grains,
        RegionSilos silos,
        ResidencyPolicies residency,
        ILogger<MegaregionGrain> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _state = state;
        _clock = clock;
        _options = options.Value;
        _model = _options.Megaregion;
        _logger = logger;
        _grains = grains;
        _silos = silos;
        _residency = residency;
        _loads = new RegionLoad?[_model.Regions.Length];
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        this.RegisterGrainTimer(static (g, _) => g.WriteFlowsIfDirtyAsync(), this, FlowWriteInterval, FlowWriteInterval);
        ArmRebalancer();
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _rebalanceAlarm?.Dispose();
        await WriteFlowsIfDirtyAsync();
    }

    public async Task<MegaregionView> GetAsync()
    {
        // A region that has not reported yet (e.g. just after a restart) is asked once, if a silo of its own is alive and
        // answers in time; else it shows its capacity and nothing more until it reports.
        for (var i = 0; i < _loads.Length; i++)
        {
            if (_loads[i] is null && _silos.IsReachable(_model.Regions[i].Id))
            {
                try
                {
                    _loads[i] = await _grains.Region(i).GetLoadAsync().WaitAsync(RegionWait);
                }
                catch (Exception ex) when (ex is TimeoutException or SiloUnavailableException or OrleansMessageRejectionException)
                {
                    GrainsLog.RefreshFailed(_logger, ex, _model.Regions[i].Id);
                }
            }
        }

        var regions = ImmutableArray.CreateBuilder<RegionLoad>(_loads.Length);
        int capacity = 0, busy = 0;
        long demand = 0;
        for (var i = 0; i < _loads.Length; i++)
        {
            var id = _model.Regions[i].Id;
            var silos = _silos.ActiveSilosOf(id);
            var load = (_loads[i] ?? new RegionLoad { Id = id, Capacity = _model.Regions[i].TotalAccelerators }) with
            {
                Status = _silos.PerRegion && silos.IsEmpty ? RegionStatus.Unreachable : RegionStatus.Up,
                Silos = silos.IsEmpty ? [] : ImmutableArray.CreateRange(silos, static s => s.ToParsableString()),
            };
            regions.Add(load);
            capacity += load.Capacity;
            busy += load.Busy;
            demand += load.QueuedDemand;
        }

        var flows = ImmutableArray.CreateBuilder<OverflowFlow>(_state.State.Flows.Count);
        foreach (var f in _state.State.Flows.Values)
        {
            flows.Add(new OverflowFlow { From = f.From, To = f.To, Jobs = f.Jobs, DataMovedGb = f.DataMovedGb });
        }

        flows.Sort(static (a, b) => string.CompareOrdinal(a.From + ">" + a.To, b.From + ">" + b.To));
        return new MegaregionView
        {
            At = _clock.Now,
            Regions = regions.MoveToImmutable(),
            Flows = flows.ToImmutable(),
            TotalCapacity = capacity,
            TotalBusy = busy,
            TotalQueuedDemand = demand,
            Utilization = capacity == 0 ? 0 : (double)busy / capacity,
        };
    }

    public Task ReportLoadAsync(RegionLoad load)
    {
        ArgumentNullException.ThrowIfNull(load);
        var i = _model.IndexOf(load.Id);
        if (i >= 0)
        {
            _loads[i] = load;
        }

        return Task.CompletedTask;
    }

    public Task ReportFlowsAsync(ImmutableArray<OverflowFlow> flows)
    {
        foreach (var f in flows.IsDefault ? [] : flows)
        {
            var key = f.From + ">" + f.To;
            if (!_state.State.Flows.TryGetValue(key, out var flow))
            {
                flow = new FlowCounter { From = f.From, To = f.To };
                _state.State.Flows.Add(key, flow);
            }

            flow.Jobs += f.Jobs;
            flow.DataMovedGb += f.DataMovedGb;
            _flowsDirty = true;
        }

        return Task.CompletedTask;
    }

    public async Task<int> RebalanceAsync()
    {
        try
        {
            return await RebalanceRoundAsync();
        }
        finally
        {
            // The next round is armed whatever this one met (a region that did not answer must not stop the rebalancer).
            ArmRebalancer();
        }
    }

    private async Task<int> RebalanceRoundAsync()
    {
        var nowS = _clock.NowSeconds;
        var options = new RebalancerOptions { ThresholdS = _options.RebalanceThresholdSeconds };
        var estimates = new RegionEstimate[_model.Regions.Length];
        var copies = new RegionScheduler[estimates.Length];
        for (var i = 0; i < estimates.Length; i++)
        {
            estimates[i] = await _grains.Region(i).GetEstimateAsync(options.CandidatesPerRegion).WaitAsync(RegionWait);
            copies[i] = EstimatorCopy.Build(_model.Regions[i], estimates[i], nowS, _residency.Current.Policy, _options.Scheduler);
        }

        _moves.Clear();
        Rebalancer.Plan(_model, copies, nowS, options, _moves, stackalloc double[copies.Length]);
        var moved = 0;
        foreach (var move in _moves)
        {
            // Tickets of a copy are slot index + 1; only tail slots carry a job id.
            var slot = estimates[move.FromRegion].Queued[(int)move.Ticket - 1];
            // Nothing moves into a region whose silos are all down: it would wait there, not start.
            if (slot.JobId is null || estimates[move.ToRegion].Draining || !_silos.IsReachable(_model.Regions[move.ToRegion].Id))
            {
                continue;
            }

            var from = _model.Regions[move.FromRegion].Id;
            var to = _model.Regions[move.ToRegion].Id;
            var reason = string.Create(
                CultureInfo.InvariantCulture,
                $"rebalancer: expected start {move.NewStartS - nowS:F0} s in {to} (after {move.TransferS:F1} s of data transfer) instead of {move.CurrentStartS - nowS:F0} s in {from}, better by more than the {options.ThresholdS:F0} s threshold");
            try
            {
                if (await _grains.Job(slot.JobId).TryMoveAsync(from, to, reason))
                {
                    moved++;
                }
            }
            catch (Exception ex)
            {
                GrainsLog.MoveFailed(_logger, ex, slot.JobId);
            }
        }

        if (_moves.Count > 0)
        {
            GrainsLog.Rebalanced(_logger, moved, _moves.Count);
        }

        return moved;
    }

    private void ArmRebalancer()
    {
        if (_options.RebalanceInterval <= TimeSpan.Zero)
        {
            return;
        }

        _rebalanceAlarm?.Dispose();
        _rebalanceAlarm = _clock.At(
            _clock.Now + _options.RebalanceInterval,
            static g => g.RebalanceAsync(),
            _grains.Megaregion);
    }

    private async Task WriteFlowsIfDirtyAsync()
    {
        if (!_flowsDirty)
        {
            return;
        }

        _flowsDirty = false;
        await _state.WriteStateAsync();
    }
}

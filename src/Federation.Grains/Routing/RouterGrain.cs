using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Orleans;
using Orleans.Runtime;
using Orleans.Concurrency;
using Federation.Contracts;
using Federation.Grains.Cluster;
using Federation.Grains.Diagnostics;
using Federation.Grains.Execution;
using Federation.Grains.Hosting;
using Federation.Grains.Model;
using Federation.Grains.Residency;
using Federation.Scheduling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Federation.Grains.Routing;

/// <summary>
/// Placement. Each activation keeps its own copy of every region's scheduler, rebuilt from the regions'
/// estimates every <see cref="FederationGrainsOptions.SnapshotRefresh"/> by a timer, and updated locally
/// after each admission so that decisions between two refreshes see one another. The decision itself
/// (<see cref="Placement.Decide"/>, earliest start) makes no remote call; then the chosen region is asked
/// to admit, and on refusal the next best is. Reentrant: a decision and its mirroring into the copy run
/// without an await between them, so decisions interleaving at the admission call each see a whole state,
/// and an activation is not idle while a region answers.
/// </summary>
[StatelessWorker]
[Reentrant]
public sealed class RouterGrain : Grain, IRouterGrain
{
    private static readonly string PolicyName = nameof(PlacementPolicy.EarliestStart);

    /// <summary>How long a refresh waits for one region's estimate (a hung silo is not declared dead for seconds).</summary>
    private static readonly TimeSpan EstimateWait = TimeSpan.FromSeconds(2);

    private readonly ExecutionClock _clock;
    private readonly TimeProvider _runtimeTime;
    private readonly FederationGrainsOptions _options;
    private readonly GrainsInstruments _instruments;
    private readonly ILogger<RouterGrain> _logger;
    private readonly Megaregion _megaregion;
    private readonly RegionDecider _decider;
    private readonly GrainReferences _grains;
    private readonly RegionSilos _silos;
    private readonly Projects.ProjectStandings _standings;
    private readonly ResidencyPolicies _residency;

    private long _refreshedAt;
    private bool _refreshed;
    private Task? _refreshing;

    public RouterGrain(
        ExecutionClock clock,
        TimeProvider runtimeTime,
        IOptions<FederationGrainsOptions> options,
        GrainsInstruments instruments,
        GrainReferences grains,
        RegionSilos silos,
        Projects.ProjectStandings standings,
        ResidencyPolicies residency,
        ILogger<RouterGrain> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _clock = clock;
        _runtimeTime = runtimeTime;
        _options = options.Value;
        _instruments = instruments;
        _logger = logger;
        _megaregion = _options.Megaregion;
        _decider = new RegionDecider(_megaregion, _options.Scheduler);
        _grains = grains;
        _silos = silos;
        _standings = standings;
        _residency = residency;
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await RefreshAsync();
        this.RegisterGrainTimer(static (g, _) => g.RefreshOnceAsync(), this, _options.SnapshotRefresh, _options.SnapshotRefresh);
    }

    /// <summary>Places one job; its duration, whatever the outcome, goes to <see cref="GrainsInstruments.PlacementDuration"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<PlacementOutcome> PlaceAsync(string jobId, JobRequest job, DateTimeOffset submittedAt, string? excludeRegion)
    {
        ArgumentNullException.ThrowIfNull(job);
        var started = _runtimeTime.GetTimestamp();
        try
        {
            return await PlaceCoreAsync(jobId, job, submittedAt, excludeRegion);
        }
        finally
        {
            _instruments.PlacementDuration.Record(_runtimeTime.GetElapsedTime(started).TotalSeconds);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<PlacementOutcome> PlaceCoreAsync(string jobId, JobRequest job, DateTimeOffset submittedAt, string? excludeRegion)
    {
        // The timer keeps the copies fresh; this only catches an activation whose timer could not run.
        if (!_refreshed || _runtimeTime.GetElapsedTime(_refreshedAt) > _options.SnapshotRefresh)
        {
            await RefreshOnceAsync();
        }

        // The class as this silo knows it: a region the copy still allows but the class no longer does refuses the
        // admission (regions have every change before it answers), and the next best is tried.
        var spec = DomainMapping.ToSpec(jobId, job, _residency.Current.Policy);
        var now = _clock.Now;

        // From the silo's cache of the project's allocations: no call to the project per job.
        var (standing, standingReason) = await _standings.DecideAsync(job, now);
        var over = standing == AllocationStanding.OverAllocation;
        if (over)
        {
            spec = spec with { OverAllocation = true };
        }

        var nowS = ExecutionClock.ToSeconds(now);
        var exclude = excludeRegion is null ? -1 : _megaregion.IndexOf(excludeRegion);
        var chosen = _decider.Decide(spec, nowS, exclude);
        Exception? unreachable = null;
        while (chosen >= 0)
        {
            var score = _decider.Scores[chosen];
            var regionId = _megaregion.Regions[chosen].Id;
            AdmitResult admit;
            try
            {
                admit = await _grains.Region(chosen).TryAdmitAsync(new AdmitRequest
                {
                    JobId = jobId,
                    Job = job,
                    SubmittedAt = submittedAt,
                    DataReadyAt = spec.DatasetSizeGb > 0 ? now + TimeSpan.FromSeconds(score.TransferS) : now,
                    OverAllocation = over,
                });
            }
            catch (Exception ex) when (ex is SiloUnavailableException or TimeoutException or OrleansMessageRejectionException)
            {
                // The region's silo died or hangs. If the admission reached it, it holds only a reservation: a region
                // runs a job only once a committed row names it, and its deadline check drops a reservation whose row
                // names another region. So the next best region may take the job.
                GrainsLog.AdmitUnreachable(_logger, regionId, ex.GetType().Name);
                admit = Refused(DescribeUnreachable(regionId, ex));
                unreachable = ex;
            }

            if (admit.Admitted)
            {
                _decider.Admitted(chosen, spec, nowS, score.TransferS);
                _instruments.Placed(regionId);
                return new PlacementOutcome
                {
                    Placed = true,
                    Region = regionId,
                    State = admit.State,
                    Decision = Decision(chosen, nowS, _decider.IsUnreachable(chosen) ? QueuedUnreachable(regionId) : null),
                    ExpectedStart = admit.ExpectedStart ?? ExecutionClock.FromSeconds(score.ExpectedStartS),
                    TransferSeconds = score.TransferS,
                    AcceleratorType = admit.AcceleratorType,
                    Standing = standingReason,
                    OverAllocation = over,
                    Residency = admit.Residency,
                };
            }

            // The copy was stale: refresh at the next decision, and try the next best region now.
            _instruments.Refused(regionId);
            _refreshed = false;
            _decider.Refused(chosen, "refused: " + (admit.RefusedBecause ?? "no reason given"));
            chosen = _decider.NextBest();
        }

        // No region took it, and one that might have could not be asked: that is the cluster's momentary trouble, not the
        // job's. The caller fails (a submit answers 503 and nothing is stored; the client retries with the same id)
        // instead of the job failing for good.
        if (unreachable is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(unreachable);
        }

        return new PlacementOutcome
        {
            Placed = false,
            State = JobState.Failed,
            Decision = Decision(-1, nowS, null),
        };
    }

    /// <summary>The note on a job queued in a region that cannot be reached.</summary>
    internal static string QueuedUnreachable(string region) =>
        $"{region} is unreachable (no silo of {region} is alive) and no other region may run the job: it waits in {region}'s queue until a silo of {region} returns";

    private static AdmitResult Refused(string because) => new() { Admitted = false, RefusedBecause = because };

    private static string DescribeUnreachable(string region, Exception ex) =>
        ex is TimeoutException ? $"{region} did not answer in time" : $"{region}'s silo is unavailable";

    /// <summary>
    /// The decision in numbers, one score per region: no text is built here (the job renders its reason when it is
    /// read), so a placement allocates one small array and no strings.
    /// </summary>
    private PlacementDecision Decision(int chosen, double nowS, string? note)
    {
        var scores = _decider.Scores;
        var candidates = new RegionScore[scores.Length];
        for (var r = 0; r < scores.Length; r++)
        {
            var c = scores[r];
            var start = c.ExpectedStartS - nowS;
            candidates[r] = new RegionScore
            {
                Region = _megaregion.Regions[r].Id,
                ExcludedBecause = c.Failure == ConstraintFailure.None ? null : HardConstraints.Describe(c.Failure),
                NotUsedBecause = c.Failure == ConstraintFailure.None ? _decider.NotUsedBecause(r) : null,
                ExpectedStartDelaySeconds = double.IsFinite(start) ? start : null,
                TransferSeconds = c.TransferS,
                PenaltySeconds = c.PenaltyS,
            };
        }

        return new PlacementDecision
        {
            Policy = PolicyName,
            ChosenRegion = chosen >= 0 ? _megaregion.Regions[chosen].Id : null,
            Candidates = ImmutableCollectionsMarshal.AsImmutableArray(candidates),
            Note = note,
        };
    }

    /// <summary>
    /// One refresh shared by every decision that finds the copies stale: the router is reentrant, so
    /// without this each placement arriving while a refresh awaits the regions would start its own
    /// (hundreds of concurrent callers rebuilding the same copies).
    /// </summary>
    private Task RefreshOnceAsync()
    {
        if (_refreshing is { IsCompleted: false } inFlight)
        {
            return inFlight;
        }

        var refresh = RefreshAsync();
        _refreshing = refresh.IsCompleted ? null : refresh;
        return refresh;
    }

    private async Task RefreshAsync()
    {
        // A region with no live silo is not asked (it would be activated away from home for nothing); the copy it had is
        // kept, for a job that only it may run. A silo that hangs is not waited for beyond EstimateWait.
        var tasks = new Task<RegionEstimate>?[_megaregion.Regions.Length];
        for (var i = 0; i < tasks.Length; i++)
        {
            var reachable = _silos.IsReachable(_megaregion.Regions[i].Id);
            _decider.SetReachable(i, reachable);
            tasks[i] = reachable ? _grains.Region(i).GetEstimateAsync(0) : null;
        }

        var nowS = _clock.NowSeconds;
        var residency = _residency.Current.Policy;
        for (var i = 0; i < tasks.Length; i++)
        {
            if (tasks[i] is not { } task)
            {
                continue;
            }

            try
            {
                _decider.Update(i, await task.WaitAsync(EstimateWait), nowS, residency);
            }
            catch (Exception ex)
            {
                GrainsLog.RefreshFailed(_logger, ex, _megaregion.Regions[i].Id);
            }
        }

        _refreshedAt = _runtimeTime.GetTimestamp();
        _refreshed = true;
        _instruments.SnapshotRefreshes.Add(1);
    }
}

using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Federation.Actors;
using Federation.Actors.Concurrency;
using Federation.Contracts;
using Federation.Grains.Diagnostics;
using Federation.Grains.Execution;
using Federation.Grains.Hosting;
using Federation.Grains.Model;
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
    private readonly ExecutionClock _clock;
    private readonly TimeProvider _runtimeTime;
    private readonly FederationGrainsOptions _options;
    private readonly GrainsInstruments _instruments;
    private readonly ILogger<RouterGrain> _logger;
    private readonly Megaregion _megaregion;
    private readonly RegionDecider _decider;
    private readonly IRegionGrain[] _regionGrains;

    // One buffer for every reason this activation writes: a reason is built within one turn, with no
    // await, so two decisions never share it at once (growing a new builder per job was ~20 % of the
    // bytes a placement allocated).
    private readonly StringBuilder _reason = new(1024);
    private long _refreshedAt;
    private bool _refreshed;
    private Task? _refreshing;

    public RouterGrain(
        ExecutionClock clock,
        TimeProvider runtimeTime,
        IOptions<FederationGrainsOptions> options,
        GrainsInstruments instruments,
        ILogger<RouterGrain> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _clock = clock;
        _runtimeTime = runtimeTime;
        _options = options.Value;
        _instruments = instruments;
        _logger = logger;
        _megaregion = _options.Megaregion;
        _decider = new RegionDecider(_megaregion);
        _regionGrains = new IRegionGrain[_megaregion.Regions.Length];
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        for (var i = 0; i < _regionGrains.Length; i++)
        {
            _regionGrains[i] = GrainFactory.GetGrain<IRegionGrain>(_megaregion.Regions[i].Id);
        }

        await RefreshAsync();
        _ = RegisterGrainTimer(static (g, _) => g.RefreshOnceAsync(), this, _options.SnapshotRefresh, _options.SnapshotRefresh);
    }

    public async Task<PlacementOutcome> PlaceAsync(string jobId, JobRequest job, DateTimeOffset submittedAt, string? excludeRegion)
    {
        ArgumentNullException.ThrowIfNull(job);

        // The timer keeps the copies fresh; this only catches an activation whose timer could not run.
        if (!_refreshed || _runtimeTime.GetElapsedTime(_refreshedAt) > _options.SnapshotRefresh)
        {
            await RefreshOnceAsync();
        }

        var spec = DomainMapping.ToSpec(jobId, job);
        var now = _clock.Now;
        var nowS = ExecutionClock.ToSeconds(now);
        var exclude = excludeRegion is null ? -1 : _megaregion.IndexOf(excludeRegion);
        var chosen = _decider.Decide(spec, nowS, exclude);
        var home = _megaregion.IndexOf(job.HomeRegion);
        while (chosen >= 0)
        {
            var score = _decider.Scores[chosen];
            var regionId = _megaregion.Regions[chosen].Id;
            var admit = await _regionGrains[chosen].TryAdmitAsync(new AdmitRequest
            {
                JobId = jobId,
                Job = job,
                SubmittedAt = submittedAt,
                DataReadyAt = spec.DatasetSizeGb > 0 ? now + TimeSpan.FromSeconds(score.TransferS) : now,
            });
            if (admit.Admitted)
            {
                _decider.Admitted(chosen, spec, nowS, score.TransferS);
                _instruments.Placements.Add(1);
                var reason = Reason(spec, chosen, home, nowS);
                return new PlacementOutcome
                {
                    Placed = true,
                    Region = regionId,
                    State = admit.State,
                    Reason = reason,
                    Explanation = Explanation(chosen, exclude, nowS),
                    ExpectedStart = admit.ExpectedStart ?? ExecutionClock.FromSeconds(score.ExpectedStartS),
                    TransferSeconds = score.TransferS,
                };
            }

            // The copy was stale: refresh at the next decision, and try the next best region now.
            _instruments.PlacementRefusals.Add(1);
            _refreshed = false;
            _decider.Refused(chosen, "refused: " + (admit.RefusedBecause ?? "no reason given"));
            chosen = _decider.NextBest();
        }

        var failed = _reason.Clear().Append("no region can run the job: ");
        Placement.AppendExplanation(failed, _megaregion, _decider.Scores, -1, nowS);
        _decider.AppendExclusions(failed);
        return new PlacementOutcome
        {
            Placed = false,
            State = JobState.Failed,
            Reason = failed.ToString(),
            Explanation = Explanation(-1, exclude, nowS),
        };
    }

    private string Reason(JobSpec spec, int chosen, int home, double nowS)
    {
        var s = _decider.Scores[chosen];
        var region = _megaregion.Regions[chosen].Id;
        var sb = _reason.Clear();
        if (chosen != home && home >= 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"overflow from {spec.HomeRegion} to {region}: expected start in {s.ExpectedStartS - nowS:F0} s there");
            var homeScore = _decider.Scores[home];
            if (homeScore.Failure != ConstraintFailure.None)
            {
                sb.Append(", ").Append(spec.HomeRegion).Append(" excluded (").Append(_decider.Excluded(home)).Append(')');
            }
            else if (!double.IsNaN(homeScore.ExpectedStartS))
            {
                sb.Append(CultureInfo.InvariantCulture, $" vs {homeScore.ExpectedStartS - nowS:F0} s in {spec.HomeRegion}");
            }

            if (s.TransferS > 0)
            {
                sb.Append(CultureInfo.InvariantCulture, $", counting {s.TransferS:F1} s to move {spec.DatasetSizeGb:0.##} GB of data from {spec.DatasetRegion}. ");
            }
            else
            {
                sb.Append(", no data to move. ");
            }
        }
        else
        {
            sb.Append(CultureInfo.InvariantCulture, $"placed in {region}: expected start in {s.ExpectedStartS - nowS:F0} s");
            if (s.TransferS > 0)
            {
                sb.Append(CultureInfo.InvariantCulture, $", counting {s.TransferS:F1} s to move {spec.DatasetSizeGb:0.##} GB of data from {spec.DatasetRegion}. ");
            }
            else
            {
                sb.Append(". ");
            }
        }

        Placement.AppendExplanation(sb.Append("Candidates: "), _megaregion, _decider.Scores, chosen, nowS);
        _decider.AppendExclusions(sb);
        return sb.ToString();
    }

    private PlacementExplanation Explanation(int chosen, int exclude, double nowS)
    {
        var scores = _decider.Scores;
        var candidates = ImmutableArray.CreateBuilder<CandidateRegion>(scores.Length);
        for (var r = 0; r < scores.Length; r++)
        {
            var c = scores[r];
            var eligible = c.Failure == ConstraintFailure.None && !double.IsPositiveInfinity(c.Score);
            candidates.Add(new CandidateRegion
            {
                Region = _megaregion.Regions[r].Id,
                Eligible = eligible,
                ExcludedBecause = eligible ? null : _decider.Excluded(r),
                ExpectedStartDelaySeconds = double.IsNaN(c.ExpectedStartS) || double.IsInfinity(c.ExpectedStartS) ? null : c.ExpectedStartS - nowS,
                TransferSeconds = double.IsInfinity(c.TransferS) ? -1 : c.TransferS,
                PenaltySeconds = c.PenaltyS,
                Score = eligible ? c.Score : null,
            });
        }

        return new PlacementExplanation
        {
            Policy = nameof(PlacementPolicy.EarliestStart),
            ChosenRegion = chosen >= 0 ? _megaregion.Regions[chosen].Id : null,
            Candidates = candidates.MoveToImmutable(),
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
        var tasks = new Task<RegionEstimate>[_regionGrains.Length];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = _regionGrains[i].GetEstimateAsync(0);
        }

        var nowS = _clock.NowSeconds;
        for (var i = 0; i < tasks.Length; i++)
        {
            try
            {
                _decider.Update(i, await tasks[i], nowS);
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

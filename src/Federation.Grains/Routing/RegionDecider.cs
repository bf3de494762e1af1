using Federation.Contracts;
using Federation.Grains.Model;
using Federation.Scheduling;

namespace Federation.Grains.Routing;

/// <summary>
/// A router's decision state: one scheduler copy per region and the scores of the last decision. The
/// decision runs <see cref="Placement.Decide"/> (earliest start) over the copies and then applies what
/// the copies cannot know: a draining region, a region being moved away from, a region that just
/// refused, a region whose silos are all down. A region that cannot be reached is chosen only for a job that no
/// reachable region may run (the job then waits in its queue until the region is back). No allocation on this path beyond what <see cref="Placement.Decide"/> does (none).
/// </summary>
internal sealed class RegionDecider
{
    private readonly Megaregion _megaregion;
    private readonly RegionScheduler[] _copies;
    private readonly bool[] _draining;
    private readonly bool[] _unreachable;
    private readonly double[] _heldScores;
    private readonly string?[] _excluded;
    private readonly CandidateScore[] _scores;
    private readonly List<StartedJob> _started = new();
    private readonly Random _random = new(17);
    private long _localTicket = long.MinValue / 2;

    private readonly SchedulerOptions? _options;

    /// <param name="options">The options the regions schedule with (reclaim), so that the copies estimate as they do.</param>
    public RegionDecider(Megaregion megaregion, SchedulerOptions? options = null)
    {
        _megaregion = megaregion;
        _options = options;
        var n = megaregion.Regions.Length;
        _copies = new RegionScheduler[n];
        _draining = new bool[n];
        _unreachable = new bool[n];
        _heldScores = new double[n];
        _excluded = new string?[n];
        _scores = new CandidateScore[n];
        for (var i = 0; i < n; i++)
        {
            _copies[i] = new RegionScheduler(megaregion.Regions[i], options);
        }
    }

    public CandidateScore[] Scores => _scores;

    public IReadOnlyList<RegionScheduler> Copies => _copies;

    public void Update(int region, RegionEstimate estimate, double nowS, ResidencyPolicy residency) =>
        SetCopy(region, EstimatorCopy.Build(_megaregion.Regions[region], estimate, nowS, residency, _options), estimate.Draining);

    /// <summary>Replaces a region's copy (benchmarks build copies directly).</summary>
    public void SetCopy(int region, RegionScheduler copy, bool draining)
    {
        _copies[region] = copy;
        _draining[region] = draining;
    }

    /// <summary>Marks a region reachable (a silo of its own is alive) or not.</summary>
    public void SetReachable(int region, bool reachable) => _unreachable[region] = !reachable;

    /// <summary>Whether the region was marked unreachable.</summary>
    public bool IsUnreachable(int region) => _unreachable[region];

    /// <summary>The reason an unreachable region is set aside.</summary>
    public static string UnreachableReason(string region) => $"unreachable: no silo of {region} is alive";

    /// <summary>Scores every region and returns the best admissible one, or -1.</summary>
    public int Decide(JobSpec job, double nowS, int excludeRegion)
    {
        var chosen = Placement.Decide(PlacementPolicy.EarliestStart, job, _megaregion, _copies, nowS, _scores, _random);
        var any = false;
        var bestUnreachable = -1;
        for (var r = 0; r < _scores.Length; r++)
        {
            _excluded[r] = null;
            if (_scores[r].Failure != ConstraintFailure.None)
            {
                continue;
            }

            if (r == excludeRegion)
            {
                Exclude(r, "the job is leaving it");
            }
            else if (_draining[r])
            {
                Exclude(r, "draining");
            }
            else if (_unreachable[r])
            {
                _heldScores[r] = _scores[r].Score;
                if (bestUnreachable < 0 || _heldScores[r] < _heldScores[bestUnreachable])
                {
                    bestUnreachable = r;
                }

                Exclude(r, UnreachableReason(_megaregion.Regions[r].Id));
            }
            else
            {
                any = true;
            }
        }

        if (!any)
        {
            if (bestUnreachable < 0)
            {
                return -1;
            }

            // Only regions out of reach may run it: it waits in the best one's queue.
            _excluded[bestUnreachable] = null;
            _scores[bestUnreachable] = _scores[bestUnreachable] with { Score = _heldScores[bestUnreachable] };
            return bestUnreachable;
        }

        return chosen >= 0 && !double.IsPositiveInfinity(_scores[chosen].Score) ? chosen : NextBest();
    }

    /// <summary>The best region not yet excluded or refused (ties: home region, then lower index, as Placement does).</summary>
    public int NextBest()
    {
        var best = -1;
        for (var r = 0; r < _scores.Length; r++)
        {
            var s = _scores[r].Score;
            if (double.IsPositiveInfinity(s) || _excluded[r] is not null)
            {
                continue;
            }

            if (best < 0 || s < _scores[best].Score)
            {
                best = r;
            }
        }

        return best;
    }

    public void Refused(int region, string because) => Exclude(region, because);

    /// <summary>Why the router set aside a region that met the hard constraints (draining, refused, left), or null.</summary>
    public string? NotUsedBecause(int region) => _excluded[region];

    /// <summary>Mirrors an admission in the region's copy, so the next decisions see the job until the next refresh.</summary>
    public void Admitted(int region, JobSpec job, double nowS, double transferS)
    {
        var copy = _copies[region];
        if (copy.Check(job, nowS, out var mask) != ConstraintFailure.None)
        {
            return;
        }

        // Behind a deep queue only the spread-out work grows: no profile rebuild on the next decision.
        if (copy.TryEnqueueBehindEstimate(_localTicket, job, nowS, copy.IsExternal(job), mask))
        {
            _localTicket++;
            return;
        }

        copy.EnqueueChecked(_localTicket++, job, nowS, copy.IsExternal(job), mask);
        if (transferS <= 0)
        {
            _started.Clear();
            copy.Schedule(nowS, _started);
        }
    }

    private void Exclude(int region, string because)
    {
        _excluded[region] = because;
        var s = _scores[region];
        _scores[region] = s with { Score = double.PositiveInfinity };
    }
}

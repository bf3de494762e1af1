using System.Globalization;
using System.Text;

namespace Federation.Scheduling;

/// <summary>Placement policies. All respect the hard constraints.</summary>
public enum PlacementPolicy
{
    /// <summary>Every job stays in its home region: no federation.</summary>
    Isolated,

    /// <summary>A uniformly random feasible region.</summary>
    Random,

    /// <summary>The feasible region with the lowest (busy + queued demand) / capacity.</summary>
    LeastLoaded,

    /// <summary>The feasible region with the lowest expected start delay + data transfer time + penalties.</summary>
    EarliestStart,
}

/// <summary>One region's evaluation for one job: what a placement explanation shows.</summary>
/// <param name="RegionIndex">Index in <see cref="Megaregion.Regions"/>.</param>
/// <param name="Failure">The hard constraint that excluded the region, or <see cref="ConstraintFailure.None"/>.</param>
/// <param name="ExpectedStartS">Expected start (absolute, seconds) once the data has arrived; NaN when not estimated.</param>
/// <param name="TransferS">Data transfer time from the dataset's region.</param>
/// <param name="PenaltyS">Policy penalty, seconds.</param>
/// <param name="Score">Lower is better; +infinity when excluded.</param>
public readonly record struct CandidateScore(
    int RegionIndex,
    ConstraintFailure Failure,
    double ExpectedStartS,
    double TransferS,
    double PenaltyS,
    double Score);

/// <summary>Policy parameters.</summary>
public sealed record PlacementOptions
{
    /// <summary>Default for <see cref="ExternalPenaltyS"/>.</summary>
    public const double DefaultExternalPenaltyS = 0;

    /// <summary>Seconds added to the score of a region other than the job's home (a preference for staying home).</summary>
    public double ExternalPenaltyS { get; init; } = DefaultExternalPenaltyS;

    public static PlacementOptions Default { get; } = new();
}

/// <summary>
/// Placement: scores each region for a job (lower is better) under the hard constraints and picks the
/// best. The score of the earliest-start policy is <c>expected start delay + penalty</c>, where the start
/// delay is counted from now and already includes the data transfer (a job queues in a region only once
/// its dataset is there). A region that reclaims lent capacity (<see cref="RegionScheduler.ReclaimsLentCapacity"/>)
/// adds its offer's grace period to the penalty of jobs from elsewhere. Ties go to the home region, then to the lower region index.
/// </summary>
public static class Placement
{
    /// <summary>
    /// Scores every region into <paramref name="scores"/> (length = number of regions) and returns the
    /// index of the chosen region, or -1 when no region is feasible.
    /// </summary>
    public static int Decide(
        PlacementPolicy policy,
        JobSpec job,
        Megaregion megaregion,
        IReadOnlyList<RegionScheduler> regions,
        double nowS,
        Span<CandidateScore> scores,
        Random rng,
        PlacementOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(megaregion);
        ArgumentNullException.ThrowIfNull(regions);
        ArgumentNullException.ThrowIfNull(rng);
        options ??= PlacementOptions.Default;
        var home = megaregion.IndexOf(job.HomeRegion);
        var dataset = megaregion.IndexOf(job.DatasetRegion);
        var feasible = 0;
        for (var r = 0; r < regions.Count; r++)
        {
            var sched = regions[r];
            var transfer = dataset < 0 ? double.PositiveInfinity : megaregion.TransferTimeS(dataset, r, job.DatasetSizeGb);
            var failure = sched.Check(job, nowS, out var mask);
            if (failure == ConstraintFailure.None && double.IsPositiveInfinity(transfer))
            {
                failure = ConstraintFailure.NoLink;
            }

            if (failure != ConstraintFailure.None)
            {
                scores[r] = new CandidateScore(r, failure, double.NaN, transfer, 0, double.PositiveInfinity);
                continue;
            }

            var external = r != home;
            var penalty = external ? options.ExternalPenaltyS : 0;

            // Where lent capacity is reclaimed, a job from elsewhere may be preempted (it loses at least the grace
            // period), while its home can reclaim for it within its own: placing it away must win by more than that.
            if (external && sched.ReclaimsLentCapacity)
            {
                penalty += sched.Region.Offer.ReclaimGraceS;
            }

            double score;
            var start = double.NaN;
            switch (policy)
            {
                case PlacementPolicy.Isolated:
                    score = external ? double.PositiveInfinity : 0;
                    break;
                case PlacementPolicy.Random:
                    score = 0;
                    break;
                case PlacementPolicy.LeastLoaded:
                    score = sched.Load;
                    break;
                case PlacementPolicy.EarliestStart:
                    start = sched.EstimateStart(job, nowS + transfer, nowS, external, mask);
                    score = start - nowS + penalty;
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(policy), policy, "unknown policy");
            }

            if (!double.IsPositiveInfinity(score))
            {
                feasible++;
            }

            scores[r] = new CandidateScore(r, failure, start, transfer, penalty, score);
        }

        if (feasible == 0)
        {
            return -1;
        }

        if (policy == PlacementPolicy.Random)
        {
            var pick = rng.Next(feasible);
            for (var r = 0; r < regions.Count; r++)
            {
                if (!double.IsPositiveInfinity(scores[r].Score) && pick-- == 0)
                {
                    return r;
                }
            }
        }

        var best = -1;
        for (var r = 0; r < regions.Count; r++)
        {
            var s = scores[r].Score;
            if (double.IsPositiveInfinity(s))
            {
                continue;
            }

            if (best < 0 || s < scores[best].Score || (s == scores[best].Score && r == home))
            {
                best = r;
            }
        }

        return best;
    }

    /// <summary>The reason for a placement in words: per region its expected start, transfer time, penalty, or the excluding constraint.</summary>
    public static string Explain(Megaregion megaregion, ReadOnlySpan<CandidateScore> scores, int chosen, double nowS) =>
        AppendExplanation(new StringBuilder(256), megaregion, scores, chosen, nowS).ToString();

    /// <summary>
    /// <see cref="Explain"/> appended to a caller's builder, so a caller that explains every decision
    /// (the router) reuses one buffer instead of growing a new builder per job.
    /// </summary>
    public static StringBuilder AppendExplanation(StringBuilder sb, Megaregion megaregion, ReadOnlySpan<CandidateScore> scores, int chosen, double nowS)
    {
        ArgumentNullException.ThrowIfNull(sb);
        ArgumentNullException.ThrowIfNull(megaregion);
        if (chosen >= 0)
        {
            sb.Append("placed in ").Append(megaregion.Regions[chosen].Id);
        }
        else
        {
            sb.Append("no feasible region");
        }

        foreach (var c in scores)
        {
            AppendCandidate(
                sb,
                megaregion.Regions[c.RegionIndex].Id,
                c.Failure == ConstraintFailure.None ? null : HardConstraints.Describe(c.Failure),
                c.ExpectedStartS - nowS,
                c.Score,
                c.TransferS,
                c.PenaltyS);
        }

        return sb;
    }

    /// <summary>
    /// One candidate of an explanation: <c>; region: excluded (why)</c> or <c>; region: expected start in N s, transfer
    /// T s, penalty P s</c> (the score instead of the start when the policy estimates none). Callers that keep scores in
    /// another form (a job's stored decision) render them with the same words.
    /// </summary>
    public static StringBuilder AppendCandidate(StringBuilder sb, string region, string? excludedBecause, double startDelayS, double score, double transferS, double penaltyS)
    {
        ArgumentNullException.ThrowIfNull(sb);
        sb.Append("; ").Append(region).Append(": ");
        if (excludedBecause is not null)
        {
            return sb.Append("excluded (").Append(excludedBecause).Append(')');
        }

        if (!double.IsNaN(startDelayS))
        {
            sb.Append(CultureInfo.InvariantCulture, $"expected start in {startDelayS:F0} s");
        }
        else
        {
            sb.Append(CultureInfo.InvariantCulture, $"score {score:G4}");
        }

        return sb.Append(CultureInfo.InvariantCulture, $", transfer {transferS:F1} s, penalty {penaltyS:F0} s");
    }
}

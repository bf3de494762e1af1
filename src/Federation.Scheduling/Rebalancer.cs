namespace Federation.Scheduling;

/// <summary>One planned move of a queued job.</summary>
public readonly record struct RebalanceMove(
    long Ticket,
    JobSpec Job,
    int FromRegion,
    int ToRegion,
    double CurrentStartS,
    double NewStartS,
    double TransferS);

/// <summary>Rebalancer parameters.</summary>
public sealed record RebalancerOptions
{
    /// <summary>Default for <see cref="ThresholdS"/>.</summary>
    public const double DefaultThresholdS = 300;

    /// <summary>Default for <see cref="CandidatesPerRegion"/>.</summary>
    public const int DefaultCandidatesPerRegion = 32;

    /// <summary>A job moves only if its expected start (after data movement) improves by more than this.</summary>
    public double ThresholdS { get; init; } = DefaultThresholdS;

    /// <summary>How many queued jobs per region one round considers, from the tail of the queue (the longest expected waits).</summary>
    public int CandidatesPerRegion { get; init; } = DefaultCandidatesPerRegion;

    public static RebalancerOptions Default { get; } = new();
}

/// <summary>
/// Picks queued jobs to move to a region where (expected start + data transfer) is earlier by more than
/// a threshold. Pure with respect to the regions' scheduling state: it only reads estimates; the caller
/// applies the moves. Within one round, work already planned into a target region is spread over that
/// region's capacity before estimating the next move there, so one round does not pile every job onto
/// the same region. A job appears in at most one move.
/// </summary>
public static class Rebalancer
{
    public static int Plan(
        Megaregion megaregion,
        IReadOnlyList<RegionScheduler> regions,
        double nowS,
        RebalancerOptions options,
        List<RebalanceMove> moves,
        Span<double> plannedWorkScratch)
    {
        ArgumentNullException.ThrowIfNull(megaregion);
        ArgumentNullException.ThrowIfNull(regions);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(moves);
        var before = moves.Count;
        plannedWorkScratch[..regions.Count].Clear();
        for (var from = 0; from < regions.Count; from++)
        {
            var src = regions[from];
            var n = src.QueuedCount;
            var stop = Math.Max(0, n - options.CandidatesPerRegion);
            for (var i = n - 1; i >= stop; i--)
            {
                var q = src.QueuedAt(i);
                var current = src.EstimateQueuedStart(i, nowS);
                var job = q.Job;
                var dataset = megaregion.IndexOf(job.DatasetRegion);
                var best = -1;
                var bestStart = double.PositiveInfinity;
                var bestTransfer = 0.0;
                for (var to = 0; to < regions.Count; to++)
                {
                    if (to == from)
                    {
                        continue;
                    }

                    var dst = regions[to];
                    if (dst.Check(job, nowS, out var mask) != ConstraintFailure.None)
                    {
                        continue;
                    }

                    var transfer = dataset < 0 ? double.PositiveInfinity : megaregion.TransferTimeS(dataset, to, job.DatasetSizeGb);
                    if (double.IsPositiveInfinity(transfer))
                    {
                        continue;
                    }

                    var start = dst.EstimateStart(job, nowS + transfer, nowS, dst.IsExternal(job), mask) + (plannedWorkScratch[to] / dst.Capacity);
                    if (start < bestStart)
                    {
                        bestStart = start;
                        best = to;
                        bestTransfer = transfer;
                    }
                }

                if (best >= 0 && current - bestStart > options.ThresholdS && !Contains(moves, before, q.Ticket))
                {
                    plannedWorkScratch[best] += job.AcceleratorCount * job.EstimatedDurationS;
                    moves.Add(new RebalanceMove(q.Ticket, job, from, best, current, bestStart, bestTransfer));
                }
            }
        }

        return moves.Count - before;
    }

    private static bool Contains(List<RebalanceMove> moves, int from, long ticket)
    {
        for (var i = from; i < moves.Count; i++)
        {
            if (moves[i].Ticket == ticket)
            {
                return true;
            }
        }

        return false;
    }
}

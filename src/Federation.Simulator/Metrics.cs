using Federation.Scheduling;

namespace Federation.Simulator;

/// <summary>The metrics of one policy (issue 5, item 4).</summary>
public sealed class PolicySummary
{
    public required string Name { get; init; }

    public required double MeanWaitS { get; init; }

    public required double P50WaitS { get; init; }

    public required double P95WaitS { get; init; }

    public required double P99WaitS { get; init; }

    public required double MeanJctS { get; init; }

    /// <summary>Busy accelerator-seconds over capacity × horizon, per region id (horizon = the trace's submit span).</summary>
    public required IReadOnlyList<KeyValuePair<string, double>> Utilization { get; init; }

    /// <summary>Jobs that ran outside their home region.</summary>
    public required int OverflowJobs { get; init; }

    public required double DataMovedTB { get; init; }

    public required int Violations { get; init; }

    /// <summary>Jobs that never started (0 unless a constraint made a job unplaceable).</summary>
    public required int UnfinishedJobs { get; init; }

    public required int RebalanceMoves { get; init; }

    /// <summary>(isolated − policy) / (isolated − pooled) on mean wait; NaN when either baseline was not run.</summary>
    public double GapClosure { get; set; } = double.NaN;

    /// <summary>Lent jobs preempted by their lender (reclaim), in all.</summary>
    public int Preemptions { get; init; }

    /// <summary>Preemptions by the region that took its accelerators back, per region id.</summary>
    public IReadOnlyList<KeyValuePair<string, int>> PreemptionsByRegion { get; init; } = [];

    /// <summary>Wait of the jobs of each home region (in megaregion order).</summary>
    public IReadOnlyList<HomeRegionWait> HomeRegions { get; init; } = [];

    /// <summary>Waits sorted ascending (for the CDF chart).</summary>
    public required double[] SortedWaitsS { get; init; }

    /// <summary>Jobs by [home region, region run in] (for the flows chart).</summary>
    public required int[,] Flows { get; init; }
}

/// <summary>
/// The wait of the jobs whose home is one region, under one policy, and its difference against the same jobs under
/// <c>isolated</c> (NaN until <see cref="Metrics.SetHomeDifferences"/> ran with an isolated run).
/// </summary>
public sealed class HomeRegionWait
{
    public required string Region { get; init; }

    /// <summary>Jobs of this home region that started.</summary>
    public required int Jobs { get; init; }

    public required double MeanWaitS { get; init; }

    public required double P95WaitS { get; init; }

    /// <summary>Mean wait minus the isolated mean wait of the same home region, seconds.</summary>
    public double MeanDiffS { get; set; } = double.NaN;

    /// <summary><see cref="MeanDiffS"/> as a percentage of the isolated mean wait (NaN when that is 0).</summary>
    public double MeanDiffPct { get; set; } = double.NaN;
}

/// <summary>Computes metrics and independently re-checks every placement against the hard constraints and capacities.</summary>
public static class Metrics
{
    public static PolicySummary Summarize(Workload workload, PolicyResult result)
    {
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(result);
        var jobs = workload.Jobs;
        var mega = result.Megaregion;
        var waits = new double[jobs.Length];
        var count = 0;
        double sumWait = 0, sumJct = 0, moved = 0;
        int overflow = 0, unfinished = 0, moves = 0;
        var home = workload.Megaregion.Regions.Length;
        var flows = new int[home, mega.Regions.Length];
        for (var j = 0; j < jobs.Length; j++)
        {
            moves += result.Moves[j];
            moved += result.DataMovedGb[j];
            var r = result.Region[j];
            if (r < 0)
            {
                unfinished++;
                continue;
            }

            // Time not running between submission and end: before the first start, and requeued after each preemption.
            var w = result.StartS[j] - jobs[j].SubmitS + result.SuspendedS[j];
            waits[count++] = w;
            sumWait += w;
            sumJct += result.EndS[j] - jobs[j].SubmitS;
            flows[jobs[j].Home, r]++;
            if (result.Policy != SimPolicy.Pooled && r != jobs[j].Home)
            {
                overflow++;
            }
        }

        var homeWaits = HomeWaits(workload, result);
        Array.Resize(ref waits, count);
        Array.Sort(waits);
        var preemptions = 0;
        var byRegion = new List<KeyValuePair<string, int>>();
        for (var r = 0; r < mega.Regions.Length; r++)
        {
            preemptions += result.PreemptionsByRegion[r];
            byRegion.Add(new(mega.Regions[r].Id, result.PreemptionsByRegion[r]));
        }

        var util = new List<KeyValuePair<string, double>>();
        for (var r = 0; r < mega.Regions.Length; r++)
        {
            var busy = 0.0;
            foreach (var b in result.BusyAcceleratorS[r])
            {
                busy += b;
            }

            util.Add(new(mega.Regions[r].Id, busy / (mega.Regions[r].TotalAccelerators * result.BucketS * result.BusyAcceleratorS[r].Length)));
        }

        return new PolicySummary
        {
            Name = SimPolicies.Name(result.Policy),
            MeanWaitS = count > 0 ? sumWait / count : double.NaN,
            P50WaitS = Percentile(waits, 0.50),
            P95WaitS = Percentile(waits, 0.95),
            P99WaitS = Percentile(waits, 0.99),
            MeanJctS = count > 0 ? sumJct / count : double.NaN,
            Utilization = util,
            OverflowJobs = overflow,
            DataMovedTB = moved / 1000.0,
            Violations = CountViolations(workload, result),
            UnfinishedJobs = unfinished,
            RebalanceMoves = moves,
            SortedWaitsS = waits,
            Flows = flows,
            Preemptions = preemptions,
            PreemptionsByRegion = byRegion,
            HomeRegions = homeWaits,
        };
    }

    /// <summary>Mean and p95 wait of the started jobs of each home region.</summary>
    private static HomeRegionWait[] HomeWaits(Workload workload, PolicyResult result)
    {
        var jobs = workload.Jobs;
        var homes = workload.Megaregion.Regions;
        var counts = new int[homes.Length];
        for (var j = 0; j < jobs.Length; j++)
        {
            if (result.Region[j] >= 0)
            {
                counts[jobs[j].Home]++;
            }
        }

        var waits = new double[homes.Length][];
        for (var h = 0; h < homes.Length; h++)
        {
            waits[h] = new double[counts[h]];
            counts[h] = 0;
        }

        var sums = new double[homes.Length];
        for (var j = 0; j < jobs.Length; j++)
        {
            if (result.Region[j] < 0)
            {
                continue;
            }

            var h = jobs[j].Home;
            var w = result.StartS[j] - jobs[j].SubmitS + result.SuspendedS[j];
            waits[h][counts[h]++] = w;
            sums[h] += w;
        }

        var list = new HomeRegionWait[homes.Length];
        for (var h = 0; h < homes.Length; h++)
        {
            Array.Sort(waits[h]);
            list[h] = new HomeRegionWait
            {
                Region = homes[h].Id,
                Jobs = counts[h],
                MeanWaitS = counts[h] > 0 ? sums[h] / counts[h] : double.NaN,
                P95WaitS = Percentile(waits[h], 0.95),
            };
        }

        return list;
    }

    /// <summary>Fills each home region's difference against <c>isolated</c> in every policy, when isolated ran.</summary>
    public static void SetHomeDifferences(IReadOnlyList<PolicySummary> summaries)
    {
        ArgumentNullException.ThrowIfNull(summaries);
        PolicySummary? iso = null;
        foreach (var s in summaries)
        {
            if (s.Name == SimPolicies.Name(SimPolicy.Isolated))
            {
                iso = s;
            }
        }

        if (iso is null)
        {
            return;
        }

        foreach (var s in summaries)
        {
            // The pooled bound has no home regions of its own; its jobs still have homes, so it is compared too.
            for (var h = 0; h < s.HomeRegions.Count && h < iso.HomeRegions.Count; h++)
            {
                var baseline = iso.HomeRegions[h].MeanWaitS;
                var diff = s.HomeRegions[h].MeanWaitS - baseline;
                s.HomeRegions[h].MeanDiffS = diff;
                s.HomeRegions[h].MeanDiffPct = baseline > 0 ? 100 * diff / baseline : double.NaN;
            }
        }
    }

    /// <summary>
    /// Whether every home region's mean wait under <paramref name="policy"/> is within the lender criterion of issue 16:
    /// at most max(<paramref name="relative"/> × isolated, isolated + <paramref name="absoluteS"/>). Also returns the
    /// worst home region's excess over its isolated mean, seconds.
    /// </summary>
    public static bool LendersUnharmed(PolicySummary policy, PolicySummary isolated, double relative, double absoluteS, out double worstDiffS, out string worstRegion)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(isolated);
        var ok = true;
        worstDiffS = double.NegativeInfinity;
        worstRegion = "";
        for (var h = 0; h < policy.HomeRegions.Count; h++)
        {
            var iso = isolated.HomeRegions[h].MeanWaitS;
            var mean = policy.HomeRegions[h].MeanWaitS;
            ok &= mean <= Math.Max(relative * iso, iso + absoluteS);
            if (mean - iso > worstDiffS)
            {
                worstDiffS = mean - iso;
                worstRegion = policy.HomeRegions[h].Region;
            }
        }

        return ok;
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    public static double Percentile(double[] sorted, double q)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(q * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    /// <summary>
    /// Violations: a job in a region its allowed regions exclude; on a pool of a type it does not accept, with too
    /// little memory, or smaller than its gang; an external job beyond the offer's size or window; a start before
    /// its submission plus data transfer; and any moment a pool runs more accelerators than it has, or more external
    /// accelerators than it offers. The pooled lower bound is only checked for capacity and start times.
    /// </summary>
    public static int CountViolations(Workload workload, PolicyResult result)
    {
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(result);
        var jobs = workload.Jobs;
        var mega = result.Megaregion;
        var pooled = result.Policy == SimPolicy.Pooled;
        var violations = 0;
        var perPool = new List<(double T, int Delta, bool External)>[mega.Regions.Length][];
        for (var r = 0; r < perPool.Length; r++)
        {
            perPool[r] = new List<(double, int, bool)>[mega.Regions[r].Pools.Length];
            for (var p = 0; p < perPool[r].Length; p++)
            {
                perPool[r][p] = [];
            }
        }

        for (var j = 0; j < jobs.Length; j++)
        {
            var r = result.Region[j];
            if (r < 0)
            {
                continue;
            }

            var spec = jobs[j].Spec;
            var region = mega.Regions[r];
            var pool = region.Pools[result.Pool[j]];
            var transfer = pooled ? 0 : mega.TransferTimeS(jobs[j].Dataset, r, spec.DatasetSizeGb);
            var bad = result.LastStartS[j] < jobs[j].SubmitS + transfer - 1e-6 || spec.AcceleratorCount > pool.Count;
            var external = !pooled && r != jobs[j].Home;
            if (!pooled)
            {
                bad |= !spec.MayRunIn(region.Id) || !spec.Accepts(pool.Type) || pool.MemoryGb < spec.MinMemoryGb;
                if (external)
                {
                    bad |= spec.AcceleratorCount > region.Offer.CountFor(pool.Type) || !region.Offer.Admits(result.LastStartS[j], spec.EstimatedDurationS);
                }
            }

            if (bad)
            {
                violations++;
            }

            var list = perPool[r][result.Pool[j]];
            list.Add((result.LastStartS[j], spec.AcceleratorCount, external));
            list.Add((result.EndS[j], -spec.AcceleratorCount, external));
        }

        // Stretches cut short by a preemption: the same checks, and they hold their accelerators until the reclaim.
        foreach (var seg in result.PreemptedSegments)
        {
            var spec = jobs[seg.Job].Spec;
            var region = mega.Regions[seg.Region];
            var pool = region.Pools[seg.Pool];
            var external = seg.Region != jobs[seg.Job].Home;
            var bad = seg.StartS < jobs[seg.Job].SubmitS + mega.TransferTimeS(jobs[seg.Job].Dataset, seg.Region, spec.DatasetSizeGb) - 1e-6 ||
                !spec.MayRunIn(region.Id) || !spec.Accepts(pool.Type) || pool.MemoryGb < spec.MinMemoryGb ||
                (external && (spec.AcceleratorCount > region.Offer.CountFor(pool.Type) || !region.Offer.Preemptible || !region.Offer.Admits(seg.StartS, 0))) ||
                !external;
            if (bad)
            {
                violations++;
            }

            var list = perPool[seg.Region][seg.Pool];
            list.Add((seg.StartS, spec.AcceleratorCount, external));
            list.Add((seg.EndS, -spec.AcceleratorCount, external));
        }

        for (var r = 0; r < perPool.Length; r++)
        {
            for (var p = 0; p < perPool[r].Length; p++)
            {
                var list = perPool[r][p];

                // Ends before starts at the same instant: a pool handed over at time t is not double-booked.
                list.Sort((a, b) => a.T != b.T ? a.T.CompareTo(b.T) : a.Delta.CompareTo(b.Delta));
                var cap = mega.Regions[r].Pools[p].Count;
                var offered = mega.Regions[r].Offer.CountFor(mega.Regions[r].Pools[p].Type);
                int busy = 0, ext = 0;
                foreach (var (_, delta, external) in list)
                {
                    busy += delta;
                    if (external)
                    {
                        ext += delta;
                    }

                    if (busy > cap || (!pooled && ext > offered))
                    {
                        violations++;
                    }
                }
            }
        }

        return violations;
    }

    /// <summary>Fills <see cref="PolicySummary.GapClosure"/> of every policy from the isolated and pooled baselines, when both ran.</summary>
    public static void SetGapClosure(IReadOnlyList<PolicySummary> summaries)
    {
        ArgumentNullException.ThrowIfNull(summaries);
        PolicySummary? iso = null, pool = null;
        foreach (var s in summaries)
        {
            if (s.Name == SimPolicies.Name(SimPolicy.Isolated))
            {
                iso = s;
            }
            else if (s.Name == SimPolicies.Name(SimPolicy.Pooled))
            {
                pool = s;
            }
        }

        if (iso is null || pool is null)
        {
            return;
        }

        var gap = iso.MeanWaitS - pool.MeanWaitS;
        foreach (var s in summaries)
        {
            s.GapClosure = gap > 0 ? (iso.MeanWaitS - s.MeanWaitS) / gap : double.NaN;
        }
    }
}

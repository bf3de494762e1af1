using System.Collections.Immutable;
using Federation.Scheduling;

namespace Federation.Simulator;

/// <summary>How a trace becomes a workload on a megaregion.</summary>
public sealed record WorkloadOptions
{
    /// <summary>Venus' mean busy GPUs over its installed GPUs (740 / 968, traces/README.md): the busy-ness auto capacity reproduces.</summary>
    public const double VenusUtilization = 740.0 / 968.0;

    /// <summary>Default median dataset size, GB.</summary>
    public const double DefaultMedianDatasetGb = 100;

    /// <summary>Default log-normal sigma of dataset sizes.</summary>
    public const double DefaultDatasetSigma = 1.5;

    /// <summary>Default share of jobs whose data must stay in their home region.</summary>
    public const double DefaultResidencyFraction = 0.05;

    public long Seed { get; init; } = 1;

    /// <summary>Arrival-rate multiplier: submit times are divided by it (durations unchanged).</summary>
    public double LoadScale { get; init; } = 1;

    /// <summary>Pool-count multiplier, or null for auto (see <see cref="WorkloadBuilder"/>).</summary>
    public double? CapacityScale { get; init; }

    /// <summary>Offered load / capacity that auto capacity aims for.</summary>
    public double TargetUtilization { get; init; } = VenusUtilization;

    public double MedianDatasetGb { get; init; } = DefaultMedianDatasetGb;

    public double DatasetSigma { get; init; } = DefaultDatasetSigma;

    public double ResidencyFraction { get; init; } = DefaultResidencyFraction;

    /// <summary>
    /// The scheduler's duration estimate = actual duration × this factor (1 = exact). Users typically over-request
    /// (factor &gt; 1); jobs still run their actual duration, so reservations and start estimates go stale.
    /// </summary>
    public double EstimateFactor { get; init; } = 1;
}

/// <summary>A job ready for simulation.</summary>
public sealed class SimJob(JobSpec spec, double submitS, double durationS, int home, int dataset, int originalGpus)
{
    public JobSpec Spec { get; } = spec;

    public double SubmitS { get; } = submitS;

    /// <summary>Actual run time (the trace's); the scheduler sees <see cref="JobSpec.EstimatedDurationS"/>.</summary>
    public double DurationS { get; } = durationS;

    public int Home { get; } = home;

    public int Dataset { get; } = dataset;

    public int OriginalGpus { get; } = originalGpus;
}

/// <summary>The scaled megaregion and its jobs.</summary>
public sealed record Workload(
    Megaregion Megaregion,
    SimJob[] Jobs,
    double OfferedLoadAccelerators,
    string CapacityMode,
    int RehomedJobs,
    int ClampedJobs,
    int ResidencyJobs,
    double HorizonS);

/// <summary>
/// Builds a workload from a trace:
/// <list type="bullet">
/// <item>Load scale x divides every submit time by x.</item>
/// <item>Capacity: a number x multiplies every pool (and offer) count, rounded, at least 1. <c>auto</c> sets the
/// megaregion total to round(L / u), where L is the trace's offered load at load scale 1 (sum of gpus × duration
/// over the submit span) and u = <see cref="WorkloadOptions.TargetUtilization"/> (Venus: 740/968, so Venus
/// gets 968); the total is split over the pools in proportion to their counts (largest remainder), and each
/// offer keeps its share of its pool.</item>
/// <item>Home region: an optional <c>home_region</c> column wins; else by tenant (a hash of tenant and seed picks a
/// region with probability proportional to its accelerators), so a tenant's jobs share a home. A job larger than
/// every pool of its home moves to the next region (in region order) with a pool large enough; a job larger than
/// every pool of the megaregion is clamped to the largest pool (both counted in the summary). A job with a
/// <c>gpu_type</c> is sized against the pools of that type only; a type no pool has is an error.</item>
/// <item>Dataset: in the home region; size from the <c>dataset_gb</c> column, else log-normal with median
/// <see cref="WorkloadOptions.MedianDatasetGb"/> and sigma <see cref="WorkloadOptions.DatasetSigma"/>, clipped to
/// [1 GB, 20 TB], drawn from a hash of job id and seed.</item>
/// <item>Residency: a share <see cref="WorkloadOptions.ResidencyFraction"/> of jobs (by the same hash) may run only at home.</item>
/// <item>Types: the trace's <c>gpu_type</c> when present, else any type; no memory minimum; priority 0.</item>
/// <item>Estimated duration = actual duration × <see cref="WorkloadOptions.EstimateFactor"/> (default 1: exact; the trace has no user estimates).</item>
/// </list>
/// </summary>
public static class WorkloadBuilder
{
    public static Workload Build(Megaregion baseMegaregion, IReadOnlyList<TraceJob> trace, WorkloadOptions options)
    {
        ArgumentNullException.ThrowIfNull(baseMegaregion);
        ArgumentNullException.ThrowIfNull(trace);
        ArgumentNullException.ThrowIfNull(options);
        if (trace.Count == 0)
        {
            throw new ArgumentException("the trace has no jobs", nameof(trace));
        }

        var span = Math.Max(1.0, trace[^1].SubmitS - trace[0].SubmitS);
        var work = 0.0;
        foreach (var t in trace)
        {
            work += t.Gpus * t.DurationS;
        }

        var offered = work / span;
        Megaregion mega;
        string mode;
        if (options.CapacityScale is { } x)
        {
            mega = Scale(baseMegaregion, r => Math.Max(1, (int)Math.Round(r * x, MidpointRounding.AwayFromZero)), x);
            mode = $"x{x}";
        }
        else
        {
            var total = Math.Max(baseMegaregion.Regions.Length, (int)Math.Round(offered / options.TargetUtilization));
            mega = ScaleToTotal(baseMegaregion, total);
            mode = $"auto (offered load {offered:F1} accelerators / utilization {options.TargetUtilization:F4})";
        }

        var regions = mega.Regions;
        var n = regions.Length;
        var share = new double[n];
        var maxPool = new int[n];
        var totalAcc = (double)mega.TotalAccelerators;
        var globalMax = 0;
        var globalMaxRegion = 0;
        for (var r = 0; r < n; r++)
        {
            share[r] = regions[r].TotalAccelerators / totalAcc;
            foreach (var p in regions[r].Pools)
            {
                maxPool[r] = Math.Max(maxPool[r], p.Count);
            }

            if (maxPool[r] > globalMax)
            {
                globalMax = maxPool[r];
                globalMaxRegion = r;
            }
        }

        var jobs = new SimJob[trace.Count];
        int rehomed = 0, clamped = 0, residency = 0;
        var t0 = trace[0].SubmitS;
        var allowedCache = new ImmutableArray<string>[n];
        for (var r = 0; r < n; r++)
        {
            allowedCache[r] = [regions[r].Id];
        }

        var typeCache = new Dictionary<string, ImmutableArray<string>>(StringComparer.Ordinal);
        var typedMax = new int[n];
        for (var i = 0; i < trace.Count; i++)
        {
            var t = trace[i];
            int home;
            if (t.HomeRegion.Length > 0)
            {
                home = mega.IndexOf(t.HomeRegion);
                if (home < 0)
                {
                    throw new TraceFormatException($"job {t.JobId}: home_region '{t.HomeRegion}' is not a region of the megaregion");
                }
            }
            else
            {
                var u = DeterministicRandom.Unit(DeterministicRandom.Hash(t.Tenant.Length > 0 ? t.Tenant : t.JobId, options.Seed));
                home = n - 1;
                var acc = 0.0;
                for (var r = 0; r < n; r++)
                {
                    acc += share[r];
                    if (u < acc)
                    {
                        home = r;
                        break;
                    }
                }
            }

            // A typed job can only use pools of its type: size it against those.
            var caps = maxPool;
            var capMax = globalMax;
            var capMaxRegion = globalMaxRegion;
            if (t.GpuType.Length > 0)
            {
                caps = typedMax;
                capMax = 0;
                for (var r = 0; r < n; r++)
                {
                    caps[r] = 0;
                    foreach (var p in regions[r].Pools)
                    {
                        if (string.Equals(p.Type, t.GpuType, StringComparison.Ordinal))
                        {
                            caps[r] = Math.Max(caps[r], p.Count);
                        }
                    }

                    if (caps[r] > capMax)
                    {
                        capMax = caps[r];
                        capMaxRegion = r;
                    }
                }

                if (capMax == 0)
                {
                    throw new TraceFormatException($"job {t.JobId}: gpu_type '{t.GpuType}' is not the type of any pool of the megaregion");
                }
            }

            var gpus = t.Gpus;
            if (gpus > capMax)
            {
                gpus = capMax;
                home = capMaxRegion;
                clamped++;
            }
            else if (gpus > caps[home])
            {
                for (var k = 1; k < n; k++)
                {
                    var r = (home + k) % n;
                    if (caps[r] >= gpus)
                    {
                        home = r;
                        break;
                    }
                }

                rehomed++;
            }

            var h = DeterministicRandom.Hash(t.JobId, options.Seed ^ 0x5EED);
            var size = t.DatasetGb;
            if (double.IsNaN(size))
            {
                var z = DeterministicRandom.Normal(DeterministicRandom.Mix(h), DeterministicRandom.Mix(h + 1));
                size = Math.Clamp(options.MedianDatasetGb * Math.Exp(options.DatasetSigma * z), 1, 20_000);
            }

            var resident = DeterministicRandom.Unit(DeterministicRandom.Mix(h + 2)) < options.ResidencyFraction;
            if (resident)
            {
                residency++;
            }

            ImmutableArray<string> types = [];
            if (t.GpuType.Length > 0 && !typeCache.TryGetValue(t.GpuType, out types))
            {
                types = [t.GpuType];
                typeCache[t.GpuType] = types;
            }

            var submit = (t.SubmitS - t0) / options.LoadScale;
            var spec = new JobSpec(
                t.JobId,
                t.Tenant,
                t.Tenant,
                regions[home].Id,
                gpus,
                types,
                0,
                t.DurationS * options.EstimateFactor,
                regions[home].Id,
                size,
                resident ? allowedCache[home] : [],
                0);
            jobs[i] = new SimJob(spec, submit, t.DurationS, home, home, t.Gpus);
        }

        return new Workload(mega, jobs, offered, mode, rehomed, clamped, residency, span / options.LoadScale);
    }

    /// <summary>Scales every pool to a total of <paramref name="total"/> accelerators by largest remainder.</summary>
    public static Megaregion ScaleToTotal(Megaregion m, int total)
    {
        ArgumentNullException.ThrowIfNull(m);
        var baseTotal = (double)m.TotalAccelerators;
        var quotas = new List<(int Region, int Pool, double Quota)>();
        for (var r = 0; r < m.Regions.Length; r++)
        {
            for (var p = 0; p < m.Regions[r].Pools.Length; p++)
            {
                quotas.Add((r, p, m.Regions[r].Pools[p].Count * total / baseTotal));
            }
        }

        var counts = new int[quotas.Count];
        var assigned = 0;
        for (var i = 0; i < quotas.Count; i++)
        {
            counts[i] = (int)Math.Floor(quotas[i].Quota);
            assigned += counts[i];
        }

        var order = new int[quotas.Count];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) =>
        {
            var c = (quotas[b].Quota - Math.Floor(quotas[b].Quota)).CompareTo(quotas[a].Quota - Math.Floor(quotas[a].Quota));
            return c != 0 ? c : a.CompareTo(b);
        });
        for (var k = 0; assigned < total; k = (k + 1) % order.Length)
        {
            counts[order[k]]++;
            assigned++;
        }

        var idx = 0;
        var regions = ImmutableArray.CreateBuilder<Region>();
        foreach (var region in m.Regions)
        {
            var pools = ImmutableArray.CreateBuilder<AcceleratorPool>();
            var offers = ImmutableArray.CreateBuilder<OfferedAccelerators>();
            foreach (var p in region.Pools)
            {
                var c = Math.Max(1, counts[idx++]);
                pools.Add(p with { Count = c });
                var offered = region.Offer.CountFor(p.Type);
                if (offered > 0)
                {
                    offers.Add(new OfferedAccelerators(p.Type, (int)Math.Round(offered * (double)c / p.Count, MidpointRounding.AwayFromZero)));
                }
            }

            regions.Add(region with { Pools = pools.ToImmutable(), Offer = region.Offer with { Accelerators = offers.ToImmutable() } });
        }

        return new Megaregion(regions.ToImmutable(), m.Links);
    }

    private static Megaregion Scale(Megaregion m, Func<int, int> scale, double x)
    {
        var regions = ImmutableArray.CreateBuilder<Region>();
        foreach (var region in m.Regions)
        {
            var pools = ImmutableArray.CreateBuilder<AcceleratorPool>();
            var offers = ImmutableArray.CreateBuilder<OfferedAccelerators>();
            foreach (var p in region.Pools)
            {
                var c = scale(p.Count);
                pools.Add(p with { Count = c });
                var offered = region.Offer.CountFor(p.Type);
                if (offered > 0)
                {
                    offers.Add(new OfferedAccelerators(p.Type, Math.Min(c, (int)Math.Round(offered * x, MidpointRounding.AwayFromZero))));
                }
            }

            regions.Add(region with { Pools = pools.ToImmutable(), Offer = region.Offer with { Accelerators = offers.ToImmutable() } });
        }

        return new Megaregion(regions.ToImmutable(), m.Links);
    }
}

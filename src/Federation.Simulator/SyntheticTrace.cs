namespace Federation.Simulator;

/// <summary>
/// Synthetic traces, deterministic for a seed. <see cref="Resample"/> stretches a source trace to any length for speed
/// runs: each job resamples (gpus, duration, gpu type, tenant, and any home/dataset overrides) of a uniformly chosen row
/// of the source, with Poisson arrivals at the source's mean arrival rate. <see cref="Generate"/> needs no source: it
/// draws jobs from a model of the SenseTime Helios cluster Venus (the project's reference trace, which is not shipped
/// with the code), so a what-if run has a trace wherever the simulator runs.
/// </summary>
public static class SyntheticTrace
{
    /// <summary>Mean seconds between submissions of <see cref="Generate"/>: Venus' 22.3 jobs an hour.</summary>
    public const double VenusMeanGapS = 3600 / 22.3;

    /// <summary>Median run time of <see cref="Generate"/>, seconds (Venus p50).</summary>
    public const double VenusMedianDurationS = 277;

    /// <summary>Log-normal sigma of the run time: Venus' p90 of 18,370 s over its median.</summary>
    public const double VenusDurationSigma = 3.27;

    /// <summary>Longest generated run time, seconds (Venus' longest job, about 23 days).</summary>
    public const double MaxDurationS = 1_964_673;

    /// <summary>Tenants of <see cref="Generate"/> (Venus had 95 users).</summary>
    public const int Tenants = 95;

    // Venus' gang sizes and their shares (1: 55.0 %, 2: 5.0 %, 4: 6.0 %, 8: 22.1 %, 16: 5.4 %, 32: 2.3 %, the rest larger).
    private static readonly (int Gpus, double Cumulative)[] GangSizes =
        [(1, 0.550), (2, 0.600), (4, 0.660), (8, 0.881), (16, 0.935), (32, 0.958), (64, 0.990), (128, 1.0)];

    /// <summary>
    /// <paramref name="count"/> jobs with Poisson arrivals at <see cref="VenusMeanGapS"/>, Venus' gang sizes, log-normal
    /// run times (median <see cref="VenusMedianDurationS"/>, sigma <see cref="VenusDurationSigma"/>, at most
    /// <see cref="MaxDurationS"/>), any accelerator type, and tenants skewed like a real cluster's users (a few submit most).
    /// </summary>
    public static List<TraceJob> Generate(int count, long seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var jobs = new List<TraceJob>(count);
        var state = DeterministicRandom.Mix((ulong)seed ^ 0x4745_4E45UL);
        var t = 0.0;
        for (var i = 0; i < count; i++)
        {
            state = DeterministicRandom.Mix(state);
            t += -VenusMeanGapS * Math.Log(1.0 - DeterministicRandom.Unit(state));
            state = DeterministicRandom.Mix(state);
            var u = DeterministicRandom.Unit(state);
            var gpus = GangSizes[^1].Gpus;
            foreach (var (size, cumulative) in GangSizes)
            {
                if (u < cumulative)
                {
                    gpus = size;
                    break;
                }
            }

            var a = state = DeterministicRandom.Mix(state);
            var b = state = DeterministicRandom.Mix(state);
            var duration = Math.Min(MaxDurationS, Math.Max(1, Math.Round(VenusMedianDurationS * Math.Exp(VenusDurationSigma * DeterministicRandom.Normal(a, b)))));
            state = DeterministicRandom.Mix(state);
            var tenant = (int)(Tenants * Math.Pow(DeterministicRandom.Unit(state), 2));
            jobs.Add(new TraceJob($"gen-{i:D7}", Math.Floor(t), gpus, duration, "", $"u{tenant}", "", double.NaN));
        }

        return jobs;
    }

    public static List<TraceJob> Resample(IReadOnlyList<TraceJob> source, int count, long seed)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.Count < 2)
        {
            throw new ArgumentException("the source trace needs at least two jobs", nameof(source));
        }

        var meanGap = (source[^1].SubmitS - source[0].SubmitS) / (source.Count - 1);
        var jobs = new List<TraceJob>(count);
        var state = DeterministicRandom.Mix((ulong)seed ^ 0x5157_4E54UL);
        var t = 0.0;
        for (var i = 0; i < count; i++)
        {
            state = DeterministicRandom.Mix(state);
            var pick = source[(int)(DeterministicRandom.Unit(state) * source.Count)];
            state = DeterministicRandom.Mix(state);
            t += -meanGap * Math.Log(1.0 - DeterministicRandom.Unit(state));
            jobs.Add(pick with { JobId = $"syn-{i:D7}", SubmitS = Math.Floor(t) });
        }

        return jobs;
    }
}

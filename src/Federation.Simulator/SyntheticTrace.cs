namespace Federation.Simulator;

/// <summary>
/// A synthetic trace of any length for speed runs: each job resamples (gpus, duration, gpu type, tenant, and any
/// home/dataset overrides) of a uniformly chosen row of a source trace, with Poisson arrivals at the source's mean
/// arrival rate. Deterministic for a seed.
/// </summary>
public static class SyntheticTrace
{
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

using System.Collections.Immutable;
using Federation.Scheduling;

namespace Federation.Simulator.Tests;

/// <summary>M/M/c workloads for the simulator engine, and the Erlang C formula they are checked against.</summary>
internal static class QueueingModels
{
    /// <summary>Erlang C: the probability an arrival waits in an M/M/c queue with offered load a = λ/μ.</summary>
    public static double ErlangC(int c, double a)
    {
        // Erlang B by the stable recursion, then C = B / (1 − ρ(1 − B)).
        var b = 1.0;
        for (var k = 1; k <= c; k++)
        {
            b = a * b / (k + (a * b));
        }

        var rho = a / c;
        return b / (1 - (rho * (1 - b)));
    }

    /// <summary>Mean wait in queue of M/M/c: C(c, a) / (cμ − λ).</summary>
    public static double MeanWait(int c, double lambda, double mu) => ErlangC(c, lambda / mu) / ((c * mu) - lambda);

    /// <summary>A megaregion of <paramref name="regions"/> regions with one pool of <paramref name="servers"/> one-accelerator servers each.</summary>
    public static Megaregion Pools(int regions, int servers)
    {
        var list = ImmutableArray.CreateBuilder<Region>();
        for (var r = 0; r < regions; r++)
        {
            list.Add(new Region($"r{r}", $"r{r}", [new AcceleratorPool("gpu", servers, 1, 80)], 0, true, SpareCapacityOffer.None));
        }

        return new Megaregion(list.ToImmutable(), []);
    }

    /// <summary>
    /// Poisson arrivals of rate <paramref name="lambda"/> (1/s), exponential durations of rate <paramref name="mu"/>,
    /// one accelerator each, each home drawn uniformly at random (a Bernoulli split of a Poisson stream is Poisson,
    /// of rate λ / regions; a round-robin split would not be), no datasets. Deterministic for the seed.
    /// </summary>
    public static Workload Poisson(Megaregion m, int jobs, double lambda, double mu, int seed)
    {
        var rng = new Random(seed);
        var homes = new Random(seed + 1_000_003);
        var list = new SimJob[jobs];
        var t = 0.0;
        var n = m.Regions.Length;
        for (var i = 0; i < jobs; i++)
        {
            t += -Math.Log(1 - rng.NextDouble()) / lambda;
            var d = -Math.Log(1 - rng.NextDouble()) / mu;
            var home = homes.Next(n);
            var id = m.Regions[home].Id;
            var spec = new JobSpec($"j{i}", "p", "u", id, 1, [], 0, d, id, 0, [], 0);
            list[i] = new SimJob(spec, t, d, home, home, 1);
        }

        return new Workload(m, list, lambda / mu, "test", 0, 0, 0, t);
    }

    /// <summary>Mean wait and its standard error by batch means (20 batches), skipping a warm-up share of the jobs.</summary>
    public static (double Mean, double StdErr) MeanWaitWithError(Workload w, PolicyResult r, double warmupShare)
    {
        var skip = (int)(w.Jobs.Length * warmupShare);
        const int Batches = 20;
        var per = (w.Jobs.Length - skip) / Batches;
        var means = new double[Batches];
        for (var b = 0; b < Batches; b++)
        {
            var sum = 0.0;
            for (var k = 0; k < per; k++)
            {
                var j = skip + (b * per) + k;
                sum += r.StartS[j] - w.Jobs[j].SubmitS;
            }

            means[b] = sum / per;
        }

        var mean = means.Average();
        var variance = means.Sum(x => (x - mean) * (x - mean)) / (Batches - 1);
        return (mean, Math.Sqrt(variance / Batches));
    }
}

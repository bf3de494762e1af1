namespace Federation.Simulator;

/// <summary>
/// Stable hashing and a small PRNG, so that assignments depend only on (seed, job or tenant id) and
/// never on the runtime's string hashing or on iteration order.
/// </summary>
internal static class DeterministicRandom
{
    /// <summary>FNV-1a 64 of the UTF-16 code units of <paramref name="text"/>, mixed with <paramref name="seed"/>.</summary>
    public static ulong Hash(string text, long seed)
    {
        var h = 14695981039346656037UL ^ (ulong)seed;
        foreach (var c in text)
        {
            h ^= c;
            h *= 1099511628211UL;
        }

        return Mix(h);
    }

    /// <summary>SplitMix64 finalizer.</summary>
    public static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1) from 53 bits of <paramref name="bits"/>.</summary>
    public static double Unit(ulong bits) => (bits >> 11) * (1.0 / (1UL << 53));

    /// <summary>Standard normal from two independent uniforms (Box–Muller).</summary>
    public static double Normal(ulong a, ulong b)
    {
        var u1 = 1.0 - Unit(a);
        var u2 = Unit(b);
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}

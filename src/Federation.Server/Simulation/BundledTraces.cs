using Federation.Simulator;

namespace Federation.Server.Simulation;

/// <summary>A trace a what-if run may name instead of uploading one (<c>GET /api/whatif/traces</c>).</summary>
public sealed record TraceInfo(string Name, string Description, int Jobs);

/// <summary>
/// The traces the server offers by name. They are generated (<see cref="SyntheticTrace.Generate"/>, a model of the
/// Venus trace), so they exist wherever the server runs; the repository ships no trace file. Each is made on first use
/// and kept.
/// </summary>
public sealed class BundledTraces
{
    private readonly (TraceInfo Info, Lazy<IReadOnlyList<TraceJob>> Jobs)[] _traces =
    [
        Generated("synthetic-small", 2_000, "2,000 jobs generated from a model of the SenseTime Helios 'Venus' trace (Poisson arrivals at 22 jobs/h, Venus' gang sizes and log-normal run times); about 4 days of submissions. Quick."),
        Generated("synthetic", 20_000, "20,000 jobs from the same model; about 37 days of submissions."),
    ];

    public IReadOnlyList<TraceInfo> All => [.. _traces.Select(t => t.Info)];

    /// <summary>The trace named <paramref name="name"/> (case-sensitive), or null.</summary>
    public IReadOnlyList<TraceJob>? Find(string name)
    {
        foreach (var (info, jobs) in _traces)
        {
            if (string.Equals(info.Name, name, StringComparison.Ordinal))
            {
                return jobs.Value;
            }
        }

        return null;
    }

    private static (TraceInfo, Lazy<IReadOnlyList<TraceJob>>) Generated(string name, int jobs, string description) =>
        (new TraceInfo(name, description, jobs), new Lazy<IReadOnlyList<TraceJob>>(() => SyntheticTrace.Generate(jobs, seed: 1)));
}

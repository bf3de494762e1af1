namespace Federation.Benchmarks;

/// <summary>
/// Load generators that are not BenchmarkDotNet benchmarks: each is a verb (the first argument) that
/// drives a workload for a bounded time or count and prints percentiles. Areas register theirs in
/// <see cref="Verbs"/>.
/// </summary>
public static partial class LoadGenerators
{
    private static readonly Dictionary<string, Func<string[], int>> Verbs = new(StringComparer.Ordinal);

    public static bool TryRun(string[] args, out int exitCode)
    {
        RegisterAll();
        if (Verbs.TryGetValue(args[0], out var run))
        {
            exitCode = run(args[1..]);
            return true;
        }

        exitCode = 0;
        return false;
    }

    /// <summary>Each area adds a partial <c>Register&lt;Area&gt;</c> call here.</summary>
    static partial void RegisterAll();
}

using System.Reflection;

namespace Federation.Benchmarks;

/// <summary>
/// A load generator that is not a BenchmarkDotNet benchmark: a verb (the first argument) that drives a
/// workload for a bounded time or count and prints percentiles. Implementations need a public
/// parameterless constructor; they are found in this assembly, so each area adds its own file.
/// </summary>
public interface ILoadGenerator
{
    /// <summary>The verb that starts it, e.g. <c>router-load</c>.</summary>
    string Verb { get; }

    /// <summary>One line for the verb list.</summary>
    string Description { get; }

    Task<int> RunAsync(string[] args, CancellationToken cancellationToken);
}

public static class LoadGenerators
{
    public static IReadOnlyList<ILoadGenerator> All()
    {
        var found = new List<ILoadGenerator>();
        foreach (var type in typeof(LoadGenerators).Assembly.GetTypes())
        {
            if (type is { IsClass: true, IsAbstract: false } && typeof(ILoadGenerator).IsAssignableFrom(type)
                && type.GetConstructor(BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes) is not null)
            {
                found.Add((ILoadGenerator)Activator.CreateInstance(type)!);
            }
        }

        found.Sort((a, b) => string.CompareOrdinal(a.Verb, b.Verb));
        return found;
    }

    public static bool TryRun(string[] args, out int exitCode)
    {
        exitCode = 0;
        if (args[0] is "--list-load-generators")
        {
            foreach (var g in All())
            {
                Console.WriteLine($"{g.Verb,-24} {g.Description}");
            }

            return true;
        }

        foreach (var generator in All())
        {
            if (string.Equals(generator.Verb, args[0], StringComparison.Ordinal))
            {
                using var cts = new CancellationTokenSource();
                Console.CancelKeyPress += (_, e) =>
                {
                    e.Cancel = true;
                    cts.Cancel();
                };
                exitCode = generator.RunAsync(args[1..], cts.Token).GetAwaiter().GetResult();
                return true;
            }
        }

        return false;
    }
}

using System.Globalization;
using System.Reflection;

namespace Federation.Benchmarks;

/// <summary>
/// A load generator that is not a BenchmarkDotNet benchmark: a verb (the first argument) that drives a
/// workload for a bounded count or time and prints rates and percentiles. Implementations need a public
/// parameterless constructor; they are found in this assembly, so each area adds its own file.
/// </summary>
public interface ILoadGenerator
{
    /// <summary>The verb that starts it, e.g. <c>router-latency</c>.</summary>
    string Verb { get; }

    /// <summary>One line for the verb list.</summary>
    string Description { get; }

    /// <summary>The verb with every option and its default, for <c>--help</c>.</summary>
    string Usage { get; }

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
                if (args.Length > 1 && args[1] is "--help" or "-h")
                {
                    Console.WriteLine($"{generator.Description}\n{LoadGeneratorArgs.UsageLine(generator.Usage)}");
                    return true;
                }

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

/// <summary>
/// The options of a load generator: <c>--name value</c> pairs. A malformed or unknown option is a
/// <see cref="FormatException"/> naming it, which the generator prints with its usage.
/// </summary>
internal static class LoadGeneratorArgs
{
    /// <summary>"usage: " and the usage, its continuation lines indented to match.</summary>
    public static string UsageLine(string usage) => "usage: " + usage.Replace("\n", "\n       ", StringComparison.Ordinal);

    public static string String(string[] args, string name, string fallback) => Value(args, name) ?? fallback;

    /// <summary>The value of <paramref name="name"/>, or null when it is not given.</summary>
    public static string? Value(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        if (i < 0)
        {
            return null;
        }

        return i + 1 < args.Length ? args[i + 1] : throw new FormatException($"{name} needs a value");
    }

    public static int Int(string[] args, string name, int fallback, int min)
    {
        if (Value(args, name) is not { } text)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min
            ? value
            : throw new FormatException($"{name} must be a whole number >= {min} (was '{text}')");
    }

    /// <summary>Every argument must be one of <paramref name="known"/> followed by its value.</summary>
    public static void RejectUnknown(string[] args, params string[] known)
    {
        for (var i = 0; i < args.Length; i += 2)
        {
            if (Array.IndexOf(known, args[i]) < 0)
            {
                throw new FormatException($"unknown option '{args[i]}'");
            }
        }
    }
}

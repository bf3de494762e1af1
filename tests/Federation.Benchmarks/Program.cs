using System.ComponentModel;
using System.Reflection;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;

namespace Federation.Benchmarks;

/// <summary>
/// One executable for the whole project, one folder per area: BenchmarkDotNet classes
/// (<c>dotnet run -c Release --project tests/Federation.Benchmarks -- --filter '*Ping*'</c>) and load generators that
/// print rates and percentiles, each started with its own verb. <c>-- --help</c> lists both with their options;
/// docs/performance.md gives the command of every recorded figure.
/// </summary>
public static class Program
{
    private const string Run = "dotnet run -c Release --project tests/Federation.Benchmarks --";

    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] is "--help" or "-h" or "-?")
        {
            PrintHelp();
            return 0;
        }

        if (args.Length > 0 && LoadGenerators.TryRun(args, out var exitCode))
        {
            return exitCode;
        }

        // BenchmarkDotNet's own help, which --help above replaces.
        var bdnArgs = args.Length > 0 && args[0] == "--bdn-help" ? ["--help"] : args;
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(bdnArgs);
        return 0;
    }

    private static void PrintHelp()
    {
        Console.WriteLine("Federation.Benchmarks: load generators and BenchmarkDotNet benchmarks (figures and their commands: docs/performance.md).");
        Console.WriteLine();
        Console.WriteLine($"Load generators: {Run} <verb> [options]   (<verb> --help for one)");
        foreach (var generator in LoadGenerators.All())
        {
            Console.WriteLine($"  {generator.Verb,-22} {generator.Description}");
            Console.WriteLine($"      {generator.Usage.Replace("\n", "\n      ", StringComparison.Ordinal)}");
        }

        Console.WriteLine();
        Console.WriteLine($"BenchmarkDotNet classes: {Run} --filter '*<Class>*' [--job short] [--inProcess]   (--bdn-help: every BenchmarkDotNet option)");
        var classes = new List<Type>();
        foreach (var type in typeof(Program).Assembly.GetTypes())
        {
            if (type is { IsClass: true, IsAbstract: false, IsPublic: true } && Array.Exists(type.GetMethods(), static m => m.IsDefined(typeof(BenchmarkAttribute))))
            {
                classes.Add(type);
            }
        }

        classes.Sort(static (a, b) => string.CompareOrdinal(a.FullName, b.FullName));
        foreach (var type in classes)
        {
            Console.WriteLine($"  {type.Name}");
            if (type.GetCustomAttribute<DescriptionAttribute>() is { } description)
            {
                Console.WriteLine($"      {description.Description}");
            }

            var methods = new List<string>();
            foreach (var method in type.GetMethods())
            {
                if (method.GetCustomAttribute<BenchmarkAttribute>() is { } benchmark)
                {
                    methods.Add(benchmark.Baseline ? method.Name + " (baseline)" : method.Name);
                }
            }

            Console.WriteLine($"      {string.Join(", ", methods)}");
        }
    }
}

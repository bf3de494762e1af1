using BenchmarkDotNet.Running;

namespace Federation.Benchmarks;

/// <summary>
/// One BenchmarkDotNet executable for the whole project, one folder per area.
/// Run: <c>dotnet run -c Release --project tests/Federation.Benchmarks -- --filter '*Ping*'</c>.
/// Load generators that print percentiles are started with their own verb
/// (<c>-- --list-load-generators</c> lists them; see docs/performance.md).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && LoadGenerators.TryRun(args, out var exitCode))
        {
            return exitCode;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}

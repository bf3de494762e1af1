using System.Diagnostics;
using System.Globalization;
using Federation.Scheduling;

namespace Federation.Simulator;

/// <summary>A command-line argument that is missing or malformed; the message names the flag.</summary>
public sealed class SimulatorArgumentException : Exception
{
    public SimulatorArgumentException(string message)
        : base(message)
    {
    }

    public SimulatorArgumentException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public SimulatorArgumentException()
    {
    }
}

/// <summary>Parsed command line.</summary>
public sealed record SimulatorArguments
{
    public required string Trace { get; init; }

    public string? MegaregionPath { get; init; }

    public required IReadOnlyList<SimPolicy> Policies { get; init; }

    public double LoadScale { get; init; } = 1;

    /// <summary>Null = auto.</summary>
    public double? CapacityScale { get; init; }

    public long Seed { get; init; } = 1;

    public required string Out { get; init; }

    /// <summary>When set, resample this many jobs from the trace (<see cref="SyntheticTrace"/>).</summary>
    public int? Synthetic { get; init; }

    public bool Progress { get; init; } = true;

    public bool WriteJobs { get; init; } = true;

    public int Parallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Duration estimate / actual duration (see <see cref="WorkloadOptions.EstimateFactor"/>).</summary>
    public double EstimateFactor { get; init; } = 1;

    /// <summary>Lenders reclaim lent capacity (<c>--reclaim on|off</c>, default off).</summary>
    public bool Reclaim { get; init; }
}

/// <summary>
/// The simulator as a library entry point, so <c>fedctl simulate</c> can run exactly what the console runs:
/// <c>--trace &lt;csv&gt; [--megaregion &lt;json&gt;] [--policies a,b,...] [--load-scale x] [--capacity-scale x|auto]
/// [--seed n] [--synthetic n] [--estimate-factor x] [--reclaim on|off] [--no-jobs-csv] [--no-progress] [--parallel n] --out &lt;dir&gt;</c>.
/// Exit codes: 0 done, 2 bad arguments, 3 bad input file, 130 cancelled.
/// </summary>
public static class SimulatorApp
{
    public const string Usage =
        "usage: Federation.Simulator --trace <csv> [--megaregion <json>] [--policies a,b,...] [--load-scale x]\n" +
        "                            [--capacity-scale x|auto] [--seed n] [--synthetic n] [--estimate-factor x]\n" +
        "                            [--reclaim on|off] [--parallel n]\n" +
        "                            [--no-jobs-csv] [--no-progress] --out <dir>\n" +
        "policies: isolated, random, least-loaded, earliest-start, earliest-start+rebalance, pooled (default: all)";

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        SimulatorArguments a;
        try
        {
            if (args.Length == 0 || Array.IndexOf(args, "--help") >= 0 || Array.IndexOf(args, "-h") >= 0)
            {
                await stdout.WriteLineAsync(Usage.AsMemory(), ct);
                return args.Length == 0 ? 2 : 0;
            }

            a = Parse(args);
        }
        catch (SimulatorArgumentException e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}\n{Usage}".AsMemory(), ct);
            return 2;
        }

        try
        {
            return await Task.Run(() => Run(a, args, stdout, stderr, ct), ct);
        }
        catch (Exception e) when (e is TraceFormatException or MegaregionFormatException or IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"error: {e.Message}".AsMemory(), CancellationToken.None);
            return 3;
        }
        catch (OperationCanceledException)
        {
            await stderr.WriteLineAsync("cancelled".AsMemory(), CancellationToken.None);
            return 130;
        }
    }

    public static SimulatorArguments Parse(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        string? trace = null, mega = null, outDir = null;
        IReadOnlyList<SimPolicy> policies = SimPolicies.All;
        double load = 1;
        double? cap = null;
        long seed = 1;
        int? synthetic = null;
        var progress = true;
        var jobsCsv = true;
        var parallel = Environment.ProcessorCount;
        double estimateFactor = 1;
        var reclaim = false;
        for (var i = 0; i < args.Length; i++)
        {
            var flag = args[i];
            switch (flag)
            {
                case "--trace": trace = Value(args, ref i); break;
                case "--megaregion": mega = Value(args, ref i); break;
                case "--out": outDir = Value(args, ref i); break;
                case "--policies": policies = ParsePolicies(Value(args, ref i)); break;
                case "--load-scale": load = PositiveDouble(flag, Value(args, ref i)); break;
                case "--capacity-scale":
                    var c = Value(args, ref i);
                    cap = string.Equals(c, "auto", StringComparison.OrdinalIgnoreCase) ? null : PositiveDouble(flag, c);
                    break;
                case "--seed":
                    var s = Value(args, ref i);
                    if (!long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out seed))
                    {
                        throw new SimulatorArgumentException($"--seed must be an integer, was '{s}'");
                    }

                    break;
                case "--synthetic": synthetic = PositiveInt(flag, Value(args, ref i)); break;
                case "--parallel": parallel = PositiveInt(flag, Value(args, ref i)); break;
                case "--estimate-factor": estimateFactor = PositiveDouble(flag, Value(args, ref i)); break;
                case "--reclaim":
                    var rc = Value(args, ref i);
                    reclaim = rc switch
                    {
                        "on" => true,
                        "off" => false,
                        _ => throw new SimulatorArgumentException($"--reclaim must be 'on' or 'off', was '{rc}'"),
                    };
                    break;
                case "--no-progress": progress = false; break;
                case "--no-jobs-csv": jobsCsv = false; break;
                default: throw new SimulatorArgumentException($"unknown argument '{flag}'");
            }
        }

        if (trace is null)
        {
            throw new SimulatorArgumentException("--trace is required");
        }

        if (outDir is null)
        {
            throw new SimulatorArgumentException("--out is required");
        }

        return new SimulatorArguments
        {
            Trace = trace,
            MegaregionPath = mega,
            Policies = policies,
            LoadScale = load,
            CapacityScale = cap,
            Seed = seed,
            Out = outDir,
            Synthetic = synthetic,
            Progress = progress,
            WriteJobs = jobsCsv,
            Parallelism = parallel,
            EstimateFactor = estimateFactor,
            Reclaim = reclaim,
        };
    }

    private static int Run(SimulatorArguments a, string[] rawArgs, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var total = Stopwatch.StartNew();
        if (a.MegaregionPath is not null && !File.Exists(a.MegaregionPath))
        {
            throw new FileNotFoundException($"--megaregion: file '{a.MegaregionPath}' not found");
        }

        var mega = a.MegaregionPath is null ? MegaregionLoader.LoadDefault() : MegaregionLoader.Load(a.MegaregionPath);
        if (!File.Exists(a.Trace))
        {
            throw new FileNotFoundException($"--trace: file '{a.Trace}' not found");
        }

        var trace = TraceReader.Read(a.Trace);
        if (a.Synthetic is { } count)
        {
            trace = SyntheticTrace.Resample(trace, count, a.Seed);
        }

        var whatIf = new WhatIfOptions
        {
            Trace = trace,
            TraceName = a.Trace,
            Megaregion = mega,
            MegaregionName = a.MegaregionPath ?? "(default megaregion)",
            Policies = a.Policies,
            LoadScale = a.LoadScale,
            CapacityScale = a.CapacityScale,
            Seed = a.Seed,
            EstimateFactor = a.EstimateFactor,
            Reclaim = a.Reclaim,
            Parallelism = a.Parallelism,
            Command = "Federation.Simulator " + string.Join(' ', rawArgs),
        };
        var workload = WhatIf.Load(whatIf);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{workload.Jobs.Length:N0} jobs, {workload.Megaregion.TotalAccelerators:N0} accelerators ({workload.CapacityMode}), loaded in {total.Elapsed.TotalSeconds:F1} s"));

        var policies = a.Policies;
        var work = (long)workload.Jobs.Length * policies.Count;
        var fraction = new Fraction();
        WhatIfResult result;
        using (var bar = a.Progress ? new ProgressBar(stderr, work, () => (long)(fraction.Value * work)) : null)
        {
            result = WhatIf.Simulate(whatIf, workload, fraction, ct);
        }

        var simulated = total.Elapsed.TotalSeconds;
        var summaries = result.Summaries;
        var seconds = result.SimulationSeconds;

        Directory.CreateDirectory(a.Out);
        using (var f = File.Create(Path.Combine(a.Out, "summary.json")))
        {
            result.WriteSummary(f);
        }

        if (a.WriteJobs)
        {
            for (var i = 0; i < policies.Count; i++)
            {
                using var w = new StreamWriter(Path.Combine(a.Out, $"jobs-{SimPolicies.Name(policies[i])}.csv"));
                result.WriteJobs(i, w);
            }
        }

        using (var w = new StreamWriter(Path.Combine(a.Out, "report.html")))
        {
            result.WriteHtml(w);
        }

        var inv = CultureInfo.InvariantCulture;
        stdout.WriteLine($"{"policy",-26}{"meanWait(s)",12}{"p95(s)",10}{"p99(s)",10}{"meanJCT(s)",12}{"overflow",9}{"moved TB",9}{"viol",5}{"gap",7}{"sim s",7}");
        for (var i = 0; i < policies.Count; i++)
        {
            var s = summaries[i];
            stdout.WriteLine(string.Create(inv, $"{s.Name,-26}{s.MeanWaitS,12:F0}{s.P95WaitS,10:F0}{s.P99WaitS,10:F0}{s.MeanJctS,12:F0}{s.OverflowJobs,9}{s.DataMovedTB,9:F1}{s.Violations,5}{(double.IsNaN(s.GapClosure) ? "-" : s.GapClosure.ToString("F3", inv)),7}{seconds[i],7:F1}"));
        }

        stdout.WriteLine(string.Create(inv, $"simulated {policies.Count} policies x {workload.Jobs.Length:N0} jobs in {simulated:F1} s (incl. loading); total with outputs {total.Elapsed.TotalSeconds:F1} s; outputs in {a.Out}"));
        return 0;
    }

    private static string Value(string[] args, ref int i)
    {
        if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
        {
            throw new SimulatorArgumentException($"{args[i]} needs a value");
        }

        return args[++i];
    }

    private static double PositiveDouble(string flag, string v)
    {
        if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) || !double.IsFinite(d) || d <= 0)
        {
            throw new SimulatorArgumentException($"{flag} must be a positive number{(flag == "--capacity-scale" ? " or 'auto'" : "")}, was '{v}'");
        }

        return d;
    }

    private static int PositiveInt(string flag, string v)
    {
        if (!int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n <= 0)
        {
            throw new SimulatorArgumentException($"{flag} must be a positive integer, was '{v}'");
        }

        return n;
    }

    private static List<SimPolicy> ParsePolicies(string v)
    {
        var list = new List<SimPolicy>();
        foreach (var part in v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!SimPolicies.TryParse(part, out var p))
            {
                throw new SimulatorArgumentException($"--policies: unknown policy '{part}' (known: isolated, random, least-loaded, earliest-start, earliest-start+rebalance, pooled)");
            }

            if (!list.Contains(p))
            {
                list.Add(p);
            }
        }

        if (list.Count == 0)
        {
            throw new SimulatorArgumentException("--policies must name at least one policy");
        }

        return list;
    }

    /// <summary>The latest fraction a run reported, read by the progress bar's thread.</summary>
    private sealed class Fraction : IProgress<double>
    {
        private double _value;

        public double Value => Volatile.Read(ref _value);

        public void Report(double value) => Volatile.Write(ref _value, value);
    }
}

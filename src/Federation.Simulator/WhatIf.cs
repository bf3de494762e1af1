using System.Diagnostics;
using Federation.Scheduling;

namespace Federation.Simulator;

/// <summary>The inputs of one what-if run: a trace, the policies to compare, and the workload's knobs.</summary>
public sealed record WhatIfOptions
{
    /// <summary>The jobs to replay, sorted by submission time.</summary>
    public required IReadOnlyList<TraceJob> Trace { get; init; }

    /// <summary>How the report names the trace (a file path, a bundled trace's name).</summary>
    public string TraceName { get; init; } = "(trace)";

    /// <summary>The megaregion to simulate; null is the embedded default.</summary>
    public Megaregion? Megaregion { get; init; }

    /// <summary>How the report names the megaregion.</summary>
    public string MegaregionName { get; init; } = "(default megaregion)";

    public IReadOnlyList<SimPolicy> Policies { get; init; } = SimPolicies.All;

    /// <summary>Multiplies the trace's arrival rate (see <see cref="WorkloadOptions.LoadScale"/>).</summary>
    public double LoadScale { get; init; } = 1;

    /// <summary>Null = scale the megaregion to the trace's load (see <see cref="WorkloadOptions.CapacityScale"/>).</summary>
    public double? CapacityScale { get; init; }

    public long Seed { get; init; } = 1;

    /// <summary>Duration estimate / actual duration (see <see cref="WorkloadOptions.EstimateFactor"/>).</summary>
    public double EstimateFactor { get; init; } = 1;

    /// <summary>Lenders reclaim lent capacity for their own jobs (<see cref="EngineOptions.Reclaim"/>).</summary>
    public bool Reclaim { get; init; }

    /// <summary>Policies simulated at once (each on one core).</summary>
    public int Parallelism { get; init; } = 1;

    /// <summary>The command echoed into the outputs, so a reader can reproduce the run.</summary>
    public string Command { get; init; } = "";
}

/// <summary>What a what-if run produced: the workload, each policy's result and summary, and the report's writers.</summary>
public sealed class WhatIfResult
{
    internal WhatIfResult(Workload workload, RunInfo run, PolicySummary[] summaries, PolicyResult[] results, double[] seconds)
    {
        Workload = workload;
        Run = run;
        Summaries = summaries;
        Results = results;
        SimulationSeconds = seconds;
    }

    public Workload Workload { get; }

    public RunInfo Run { get; }

    /// <summary>One per policy, in the order asked for.</summary>
    public IReadOnlyList<PolicySummary> Summaries { get; }

    /// <summary>One per policy, in the order asked for.</summary>
    public IReadOnlyList<PolicyResult> Results { get; }

    /// <summary>Wall-clock seconds each policy's simulation took.</summary>
    public IReadOnlyList<double> SimulationSeconds { get; }

    /// <summary>summary.json.</summary>
    public void WriteSummary(Stream stream) => ReportWriter.WriteSummary(stream, Workload, Run, Summaries);

    /// <summary>The self-contained HTML report with its SVG charts.</summary>
    public void WriteHtml(TextWriter writer) => ReportWriter.WriteHtml(writer, Workload, Run, Summaries, Results);

    /// <summary>The HTML report as a string.</summary>
    public string ReportHtml()
    {
        using var writer = new StringWriter();
        WriteHtml(writer);
        return writer.ToString();
    }

    /// <summary>jobs-&lt;policy&gt;.csv of the policy at <paramref name="index"/>.</summary>
    public void WriteJobs(int index, TextWriter writer) => ReportWriter.WriteJobs(writer, Workload, Results[index]);
}

/// <summary>
/// The simulator as a library: build the workload from a trace, replay it under each policy, summarize. The command line
/// (<see cref="SimulatorApp"/>, also <c>fedctl simulate</c>) and the server's what-if runs (<c>POST /api/whatif</c>) both
/// run this.
/// </summary>
public static class WhatIf
{
    /// <summary>How finely progress is reported (fractions of the whole run).</summary>
    private const int ProgressSteps = 1000;

    /// <summary>Builds the workload, simulates every policy and summarizes, off the caller's thread.</summary>
    /// <param name="options">The run.</param>
    /// <param name="progress">Told the fraction done (0..1, increasing), 1 only once the summaries are ready.</param>
    /// <param name="cancellationToken">Stops the simulation between batches of jobs.</param>
    public static Task<WhatIfResult> RunAsync(WhatIfOptions options, IProgress<double>? progress, CancellationToken cancellationToken) =>
        Task.Run(() => Simulate(options, Load(options), progress, cancellationToken), cancellationToken);

    /// <summary>The workload <paramref name="options"/> describe: the trace with home regions, datasets and the megaregion's capacity.</summary>
    public static Workload Load(WhatIfOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return WorkloadBuilder.Build(
            options.Megaregion ?? MegaregionLoader.LoadDefault(),
            options.Trace,
            new WorkloadOptions { Seed = options.Seed, LoadScale = options.LoadScale, CapacityScale = options.CapacityScale, EstimateFactor = options.EstimateFactor });
    }

    /// <summary>Replays <paramref name="workload"/> under each policy of <paramref name="options"/> and summarizes.</summary>
    public static WhatIfResult Simulate(WhatIfOptions options, Workload workload, IProgress<double>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(workload);
        var policies = options.Policies;
        if (policies.Count == 0)
        {
            throw new ArgumentException("at least one policy is needed", nameof(options));
        }

        var results = new PolicyResult[policies.Count];
        var seconds = new double[policies.Count];
        var work = Math.Max(1L, (long)workload.Jobs.Length * policies.Count);
        long done = 0;
        var reported = 0;
        var engine = new EngineOptions { Seed = options.Seed, Reclaim = options.Reclaim };
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Parallelism), CancellationToken = cancellationToken };
        Parallel.For(0, policies.Count, parallel, i =>
        {
            var sw = Stopwatch.StartNew();
            results[i] = SimulationEngine.Run(workload, policies[i], engine, Advance, cancellationToken);
            seconds[i] = sw.Elapsed.TotalSeconds;
        });

        var summaries = new PolicySummary[policies.Count];
        Parallel.For(0, policies.Count, parallel, i => summaries[i] = Metrics.Summarize(workload, results[i]));
        Metrics.SetGapClosure(summaries);
        Metrics.SetHomeDifferences(summaries);
        progress?.Report(1);
        var run = new RunInfo(
            options.TraceName,
            options.MegaregionName,
            options.Seed,
            options.LoadScale,
            options.CapacityScale is { } x ? x.ToString(System.Globalization.CultureInfo.InvariantCulture) : "auto",
            workload.Jobs.Length,
            options.Command)
        {
            EstimateFactor = options.EstimateFactor,
            Reclaim = options.Reclaim,
        };
        return new WhatIfResult(workload, run, summaries, results, seconds);

        void Advance(int jobs)
        {
            if (progress is null)
            {
                return;
            }

            // Simulation is all but the summaries: report up to just below 1, in steps, never backwards.
            var step = (int)(Interlocked.Add(ref done, jobs) * (ProgressSteps - 1) / work);
            var last = Volatile.Read(ref reported);
            while (step > last)
            {
                var seen = Interlocked.CompareExchange(ref reported, step, last);
                if (seen == last)
                {
                    progress.Report(step / (double)ProgressSteps);
                    return;
                }

                last = seen;
            }
        }
    }
}

using Federation.Simulator;

namespace Federation.Server.Simulation;

/// <summary>The states of a what-if run, as the API spells them.</summary>
public static class WhatIfStates
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";

    public static bool IsFinished(string state) => state is Completed or Failed or Cancelled;
}

/// <summary>One policy's outcome in a what-if run (the simulator's summary; null where nothing could be measured).</summary>
public sealed record PolicySummaryView
{
    public string Name { get; init; } = "";

    /// <summary>Mean queueing delay of the jobs that started, seconds.</summary>
    public double? MeanWaitS { get; init; }

    public double? P50WaitS { get; init; }

    public double? P95WaitS { get; init; }

    public double? P99WaitS { get; init; }

    /// <summary>Mean job completion time (wait + run), seconds.</summary>
    public double? MeanJctS { get; init; }

    /// <summary>Busy accelerator-seconds over capacity × the trace's span, per region id (pooled: one region, "pooled").</summary>
    public IReadOnlyDictionary<string, double> Utilization { get; init; } = new Dictionary<string, double>();

    /// <summary>Jobs that ran outside their home region.</summary>
    public int OverflowJobs { get; init; }

    /// <summary><see cref="OverflowJobs"/> over the run's jobs, 0..1.</summary>
    public double OverflowShare { get; init; }

    public double DataMovedTB { get; init; }

    /// <summary>Placements that broke a constraint or a capacity (0 for a correct policy).</summary>
    public int Violations { get; init; }

    /// <summary>Jobs that never started.</summary>
    public int UnfinishedJobs { get; init; }

    public int RebalanceMoves { get; init; }

    /// <summary>(isolated − this) / (isolated − pooled) on mean wait; null unless both baselines ran.</summary>
    public double? GapClosure { get; init; }

    public static PolicySummaryView From(PolicySummary summary, int jobs)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var utilization = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (region, value) in summary.Utilization)
        {
            utilization[region] = value;
        }

        return new PolicySummaryView
        {
            Name = summary.Name,
            MeanWaitS = Finite(summary.MeanWaitS),
            P50WaitS = Finite(summary.P50WaitS),
            P95WaitS = Finite(summary.P95WaitS),
            P99WaitS = Finite(summary.P99WaitS),
            MeanJctS = Finite(summary.MeanJctS),
            Utilization = utilization,
            OverflowJobs = summary.OverflowJobs,
            OverflowShare = jobs > 0 ? summary.OverflowJobs / (double)jobs : 0,
            DataMovedTB = summary.DataMovedTB,
            Violations = summary.Violations,
            UnfinishedJobs = summary.UnfinishedJobs,
            RebalanceMoves = summary.RebalanceMoves,
            GapClosure = Finite(summary.GapClosure),
        };
    }

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;
}

/// <summary>A what-if run as <c>/api/whatif</c> shows it.</summary>
public sealed record WhatIfRunView
{
    public string Id { get; init; } = "";

    /// <summary>queued, running, completed, failed or cancelled.</summary>
    public string State { get; init; } = WhatIfStates.Queued;

    /// <summary>0..1; 1 once completed.</summary>
    public double Progress { get; init; }

    public IReadOnlyList<string> Policies { get; init; } = [];

    /// <summary>The bundled trace's name, or the uploaded file's name.</summary>
    public string Trace { get; init; } = "";

    /// <summary>Jobs replayed (the trace's first <c>maxJobs</c>).</summary>
    public int Jobs { get; init; }

    public double LoadScale { get; init; }

    public long Seed { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>Why the run failed; null otherwise.</summary>
    public string? Error { get; init; }

    /// <summary>One per policy, in the order asked for, once completed; empty before.</summary>
    public IReadOnlyList<PolicySummaryView> Summary { get; init; } = [];
}

namespace Federation.Simulator.Tests;

public sealed class WhatIfTests
{
    [Fact]
    public void A_generated_trace_is_sorted_deterministic_per_seed_and_uses_Venus_gang_sizes()
    {
        var a = SyntheticTrace.Generate(5000, 7);
        var b = SyntheticTrace.Generate(5000, 7);
        var c = SyntheticTrace.Generate(5000, 8);

        Assert.Equal(5000, a.Count);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal(a.OrderBy(j => j.SubmitS).Select(j => j.JobId), a.Select(j => j.JobId));
        Assert.All(a, j => Assert.Contains(j.Gpus, new[] { 1, 2, 4, 8, 16, 32, 64, 128 }));
        Assert.All(a, j => Assert.InRange(j.DurationS, 1, SyntheticTrace.MaxDurationS));
        Assert.Equal(5000, a.Select(j => j.JobId).Distinct().Count());
    }

    [Fact]
    public async Task A_run_reports_increasing_progress_ending_at_1_and_writes_a_report_with_charts()
    {
        var reported = new List<double>();
        var progress = new SynchronousProgress(reported);
        var options = new WhatIfOptions
        {
            Trace = SyntheticTrace.Generate(20_000, 1),
            TraceName = "generated",
            Policies = [SimPolicy.Isolated, SimPolicy.EarliestStart],
            Seed = 3,
        };

        var result = await WhatIf.RunAsync(options, progress, CancellationToken.None);

        Assert.Equal(["isolated", "earliest-start"], result.Summaries.Select(s => s.Name).ToArray());
        Assert.Equal(20_000, result.Run.Jobs);
        Assert.Equal(1.0, reported[^1]);
        Assert.True(reported.Count > 2, $"only {reported.Count} progress reports");
        Assert.Equal(reported.Order().ToList(), reported);
        Assert.Equal(reported.Count, reported.Distinct().Count());
        Assert.All(result.Summaries, s => Assert.Equal(0, s.Violations));
        var html = result.ReportHtml();
        Assert.Contains("<svg", html, StringComparison.Ordinal);
        Assert.Contains("<code>generated</code>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cancelled_run_throws_OperationCanceledException()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        var options = new WhatIfOptions { Trace = SyntheticTrace.Generate(100, 1), Policies = [SimPolicy.Isolated] };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => WhatIf.RunAsync(options, null, cts.Token));
    }

    /// <summary>Records reports on the reporting thread (<see cref="Progress{T}"/> would post them later).</summary>
    private sealed class SynchronousProgress(List<double> reported) : IProgress<double>
    {
        public void Report(double value)
        {
            lock (reported)
            {
                reported.Add(value);
            }
        }
    }
}

using System.Threading.Channels;
using Federation.Simulator;
using Microsoft.Extensions.Options;

namespace Federation.Server.Simulation;

/// <summary>
/// The server's what-if runs: a queue worked by one background worker, one run at a time on one core (the simulator's
/// <see cref="WhatIfOptions.Parallelism"/> 1), so runs never take the CPU the silo needs. Runs are kept in memory (the
/// last <see cref="WhatIfRunnerOptions.Keep"/>) and lost when the server restarts.
/// </summary>
public sealed partial class WhatIfRuns : BackgroundService
{
    private readonly WhatIfRunnerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<WhatIfRuns> _logger;
    private readonly Channel<Run> _queue = Channel.CreateUnbounded<Run>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _lock = new();
    private readonly List<Run> _runs = [];

    public WhatIfRuns(IOptions<WhatIfRunnerOptions> options, TimeProvider time, ILogger<WhatIfRuns> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>Queues a run; null when <see cref="WhatIfRunnerOptions.MaxWaiting"/> runs already wait.</summary>
    public WhatIfRunView? Enqueue(WhatIfOptions options, string trace)
    {
        ArgumentNullException.ThrowIfNull(options);
        var now = _time.GetUtcNow();
        var run = new Run("whatif-" + Guid.CreateVersion7(now).ToString("N"), options, trace, now);
        lock (_lock)
        {
            if (_runs.Count(r => r.State == WhatIfStates.Queued) >= _options.MaxWaiting)
            {
                return null;
            }

            _runs.Add(run);
            Forget();
        }

        _queue.Writer.TryWrite(run);
        return run.View();
    }

    /// <summary>The run, or null.</summary>
    public WhatIfRunView? Get(string id) => Find(id)?.View();

    /// <summary>The completed run's HTML report; null when unknown, with the run's state when not completed.</summary>
    public (string? Report, WhatIfRunView? Run) Report(string id)
    {
        var run = Find(id);
        return run is null ? (null, null) : (run.Html, run.View());
    }

    /// <summary>Every kept run, newest first.</summary>
    public IReadOnlyList<WhatIfRunView> List()
    {
        lock (_lock)
        {
            return [.. _runs.AsEnumerable().Reverse().Select(r => r.View())];
        }
    }

    /// <summary>
    /// Cancels a queued run at once and a running one at its next batch of jobs (its state turns to cancelled then); a
    /// finished run is left as it is. Null when unknown.
    /// </summary>
    public WhatIfRunView? Cancel(string id)
    {
        var run = Find(id);
        if (run is null)
        {
            return null;
        }

        lock (run.Gate)
        {
            if (run.State == WhatIfStates.Queued)
            {
                run.State = WhatIfStates.Cancelled;
                run.FinishedAt = _time.GetUtcNow();
            }
            else if (run.State == WhatIfStates.Running)
            {
                run.Cancellation.Cancel();
            }
        }

        return run.View();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var run in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                await ExecuteAsync(run, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The server is stopping; runs in memory are lost with it.
        }
    }

    private async Task ExecuteAsync(Run run, CancellationToken stoppingToken)
    {
        lock (run.Gate)
        {
            if (run.State != WhatIfStates.Queued)
            {
                return;
            }

            run.State = WhatIfStates.Running;
            run.StartedAt = _time.GetUtcNow();
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(run.Cancellation.Token, stoppingToken);
        string state;
        string? error = null, html = null;
        IReadOnlyList<PolicySummaryView> summary = [];
        try
        {
            var result = await WhatIf.RunAsync(run.Options with { Parallelism = 1 }, run, linked.Token);
            var summaries = new List<PolicySummaryView>(result.Summaries.Count);
            foreach (var policy in result.Summaries)
            {
                summaries.Add(PolicySummaryView.From(policy, result.Run.Jobs));
            }

            summary = summaries;
            html = result.ReportHtml();
            state = WhatIfStates.Completed;
            LogCompleted(_logger, run.Id, run.Options.Trace.Count, run.Options.Policies.Count, (_time.GetUtcNow() - run.StartedAt!.Value).TotalSeconds);
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            state = WhatIfStates.Cancelled;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or TraceFormatException or Scheduling.MegaregionFormatException)
        {
            // The simulator refused the input (e.g. a job no region of the megaregion can hold): the client's to read.
            state = WhatIfStates.Failed;
            error = e.Message;
            LogFailed(_logger, e, run.Id);
        }

        lock (run.Gate)
        {
            run.State = state;
            run.Error = error;
            run.Summary = summary;
            run.Html = html;
            run.FinishedAt = _time.GetUtcNow();
        }
    }

    private Run? Find(string id)
    {
        lock (_lock)
        {
            return _runs.Find(r => string.Equals(r.Id, id, StringComparison.Ordinal));
        }
    }

    /// <summary>Drops the oldest finished runs beyond <see cref="WhatIfRunnerOptions.Keep"/>; waiting and running ones stay.</summary>
    private void Forget()
    {
        for (var i = 0; i < _runs.Count && _runs.Count > _options.Keep;)
        {
            if (WhatIfStates.IsFinished(_runs[i].State))
            {
                _runs.RemoveAt(i);
            }
            else
            {
                i++;
            }
        }
    }

    [LoggerMessage(70, LogLevel.Information, "What-if run {Id}: {Jobs} jobs x {Policies} policies completed in {Seconds:F1} s")]
    private static partial void LogCompleted(ILogger logger, string id, int jobs, int policies, double seconds);

    [LoggerMessage(71, LogLevel.Warning, "What-if run {Id} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string id);

    /// <summary>One run and its progress; state changes under its own lock.</summary>
    private sealed class Run(string id, WhatIfOptions options, string trace, DateTimeOffset createdAt) : IProgress<double>
    {
        private double _progress;

        public string Id { get; } = id;

        public WhatIfOptions Options { get; } = options;

        public CancellationTokenSource Cancellation { get; } = new();

        public string State { get; set; } = WhatIfStates.Queued;

        public DateTimeOffset? StartedAt { get; set; }

        public DateTimeOffset? FinishedAt { get; set; }

        public string? Error { get; set; }

        public IReadOnlyList<PolicySummaryView> Summary { get; set; } = [];

        /// <summary>The HTML report, once completed.</summary>
        public string? Html { get; set; }

        public Lock Gate { get; } = new();

        public void Report(double value) => Volatile.Write(ref _progress, value);

        public WhatIfRunView View()
        {
            lock (Gate)
            {
                return new WhatIfRunView
                {
                    Id = Id,
                    State = State,
                    Progress = Volatile.Read(ref _progress),
                    Policies = [.. Options.Policies.Select(SimPolicies.Name)],
                    Trace = trace,
                    Jobs = Options.Trace.Count,
                    LoadScale = Options.LoadScale,
                    Seed = Options.Seed,
                    CreatedAt = createdAt,
                    StartedAt = StartedAt,
                    FinishedAt = FinishedAt,
                    Error = Error,
                    Summary = State == WhatIfStates.Completed ? Summary : [],
                };
            }
        }
    }
}

using System.Collections.Concurrent;
using Federation.Contracts;
using Federation.Grains.Diagnostics;
using Federation.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Runtime;

namespace Federation.Grains.Aggregation;

/// <summary>
/// The statistics jobs report — a project's submissions, the flows between regions — summed per silo and sent
/// to the project and megaregion grains once per <see cref="FederationGrainsOptions.ReportInterval"/>, one call per
/// project and one for all flows, instead of one call per job into one grain that every job of a project (or every
/// overflow) calls. The reports are sent off the jobs' path and awaited: the counts of a report that fails are put back
/// and go with the next one. They are counters: each job's row records its own submission, runs and moves (a project's usage is charged from those rows); a silo that
/// dies loses at most one interval of them, as the grains, which write them at most once a second, already may.
/// </summary>
public sealed class StatisticsReports : ILifecycleParticipant<ISiloLifecycle>, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ProjectCounts> _projects = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string From, string To), FlowCounts> _flows = new();
    private readonly GrainReferences _grains;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly ILogger<StatisticsReports> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _flushing = new(1, 1);
    private Task _loop = Task.CompletedTask;
    private int _disposed;

    public StatisticsReports(GrainReferences grains, TimeProvider time, IOptions<FederationGrainsOptions> options, ILogger<StatisticsReports> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _grains = grains;
        _time = time;
        _interval = options.Value.ReportInterval;
        _logger = logger;
    }

    /// <summary>A job of <paramref name="project"/> was submitted (its first submission).</summary>
    public void JobSubmitted(string project) => Interlocked.Increment(ref Counts(project).Submitted);

    /// <summary>A job went from <paramref name="from"/> to <paramref name="to"/>, moving <paramref name="dataGb"/>.</summary>
    public void JobMoved(string from, string to, double dataGb)
    {
        var flow = _flows.GetOrAdd((from, to), static _ => new FlowCounts());
        Interlocked.Increment(ref flow.Jobs);
        Add(ref flow.DataGb, dataGb);
    }

    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);

        // Reports start once grains may be called, and the last is sent when the silo stops, before its grains go.
        lifecycle.Subscribe(nameof(StatisticsReports), ServiceLifecycleStage.Active, StartAsync, StopAsync);
    }

    /// <summary>
    /// Sends what was counted since the last report and completes once every report was answered (the timer's work, the
    /// last report at stop, and a barrier for tests). Flushes run one at a time, so a flush also waits for one in flight.
    /// </summary>
    public async Task FlushAsync()
    {
        await _flushing.WaitAsync().ConfigureAwait(false);
        try
        {
            var reports = new List<Task>();
            foreach (var (project, counts) in _projects)
            {
                var submitted = Interlocked.Exchange(ref counts.Submitted, 0);
                if (submitted != 0)
                {
                    reports.Add(ReportAsync(_grains.Project(project).RecordAsync(submitted), project, () => Interlocked.Add(ref counts.Submitted, submitted)));
                }
            }

            var flows = new List<(FlowCounts Counts, OverflowFlow Flow)>();
            foreach (var ((from, to), counts) in _flows)
            {
                var jobs = Interlocked.Exchange(ref counts.Jobs, 0);
                var data = Interlocked.Exchange(ref counts.DataGb, 0);
                if (jobs != 0)
                {
                    flows.Add((counts, new OverflowFlow { From = from, To = to, Jobs = jobs, DataMovedGb = data }));
                }
            }

            if (flows.Count > 0)
            {
                var report = _grains.Megaregion.ReportFlowsAsync([.. flows.Select(static f => f.Flow)]);
                reports.Add(ReportAsync(report, "the flows between regions", () =>
                {
                    foreach (var (counts, flow) in flows)
                    {
                        Interlocked.Add(ref counts.Jobs, flow.Jobs);
                        Add(ref counts.DataGb, flow.DataMovedGb);
                    }
                }));
            }

            await Task.WhenAll(reports).ConfigureAwait(false);
        }
        finally
        {
            _flushing.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        // The container disposes it twice: as the singleton and as the lifecycle participant it also is.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
        _flushing.Dispose();
    }

    private Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = RunAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await FlushAsync().ConfigureAwait(false);
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                await FlushAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private ProjectCounts Counts(string project) => _projects.GetOrAdd(project, static _ => new ProjectCounts());

    private static void Add(ref double target, double value)
    {
        var seen = Volatile.Read(ref target);
        while (true)
        {
            var found = Interlocked.CompareExchange(ref target, seen + value, seen);
            if (found.Equals(seen))
            {
                return;
            }

            seen = found;
        }
    }

    /// <summary>Awaits one report; when it fails, the error is logged and <paramref name="putBack"/> returns its counts.</summary>
    private async Task ReportAsync(Task report, string what, Action putBack)
    {
        try
        {
            await report.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            putBack();
            GrainsLog.ReportFailed(_logger, ex, what);
        }
    }

    private sealed class ProjectCounts
    {
        public long Submitted;
    }

    private sealed class FlowCounts
    {
        public long Jobs;
        public double DataGb;
    }
}

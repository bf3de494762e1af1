using Orleans;
using Orleans.Runtime;
using Orleans.Storage;

namespace Federation.Server.Hosting;

/// <summary>
/// Keeps the execution clock from going back across restarts of the same store. Job rows hold simulated
/// times; a new process's scaled clock would start at the wall clock, earlier than what the last process wrote
/// (by its run's length times the scale, minus one). So the keeper persists a high-water mark in the grain
/// storage, one row (<see cref="StateName"/>, <see cref="RecordId"/>): simulated now plus <see cref="Lead"/>,
/// written at start and every <see cref="Interval"/> of wall time. At start it resumes the clock at
/// max(wall now, mark): time may jump forward across a restart, never back.
/// </summary>
/// <remarks>
/// Takes part in the silo's start right after Orleans' storage providers are ready and before the silo becomes
/// active, so no grain reads the clock before it has resumed. An unreachable store at start stops the silo's start
/// (as the schema initializer does); a failed periodic write is logged once and retried on the next tick. While the
/// store is unreachable no job row is written either, so the mark cannot fall behind them.
/// </remarks>
public sealed class ExecutionClockKeeper : ILifecycleParticipant<ISiloLifecycle>, IAsyncDisposable
{
    /// <summary>The silo lifecycle stage the keeper starts at: after Orleans' storage providers initialise.</summary>
    public const int LifecycleStage = ServiceLifecycleStage.ApplicationServices + 1;

    /// <summary>The state name of the clock's row.</summary>
    public const string StateName = "clock";

    /// <summary>How often the mark is written, in wall time.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(1);

    /// <summary>The clock's row: one per store, whatever the megaregion.</summary>
    public static readonly GrainId RecordId = GrainId.Create("execution-clock", "mark");

    private const int ConflictRetries = 3;

    private readonly IGrainStorage _storage;
    private readonly ScaledTimeProvider _clock;
    private readonly TimeProvider _wall;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private GrainState<ExecutionClockRecord> _state = new(new ExecutionClockRecord());
    private TaskCompletionSource<DateTimeOffset> _nextWrite = NewWrite();
    private Task _loop = Task.CompletedTask;
    private int _disposed;

    public ExecutionClockKeeper(IGrainStorage storage, ScaledTimeProvider clock, TimeProvider wall, ILogger logger, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(wall);
        ArgumentNullException.ThrowIfNull(logger);
        _storage = storage;
        _clock = clock;
        _wall = wall;
        _logger = logger;
        Interval = interval ?? DefaultInterval;
        if (Interval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(interval), Interval, "The interval must be > 0.");
        }
    }

    /// <summary>The row as last read or written (Orleans' state holder allows null; a missing row reads as a fresh one).</summary>
    private ExecutionClockRecord Row => _state.State ??= new ExecutionClockRecord();

    /// <summary>Wall time between two writes of the mark.</summary>
    public TimeSpan Interval { get; }

    /// <summary>
    /// How far ahead of simulated now each mark is: two intervals of simulated time, one until the next write
    /// and one for that write's own latency, so nothing written before the next mark lands is later than this one.
    /// </summary>
    public TimeSpan Lead => TimeSpan.FromTicks(checked((long)(2 * Interval.Ticks * _clock.Scale)));

    /// <summary>The last mark written by this process; null before the first write.</summary>
    public DateTimeOffset? PersistedMark { get; private set; }

    /// <summary>Completes with the mark of the next successful write (a barrier for tests).</summary>
    public Task<DateTimeOffset> NextWriteAsync() => Volatile.Read(ref _nextWrite).Task;

    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        lifecycle.Subscribe(nameof(ExecutionClockKeeper), LifecycleStage, StartAsync, StopAsync);
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _storage.ReadStateAsync(StateName, RecordId, _state, cancellationToken).ConfigureAwait(false);
        var wallNow = _wall.GetUtcNow();
        var mark = _state.RecordExists ? Row.HighWaterMark : (DateTimeOffset?)null;

        // A cluster that ran on this store wrote its times on its own anchored clock (ClusterClockAnchor): not behind that either.
        var anchor = new GrainState<ClusterClockRecord>(new ClusterClockRecord());
        await _storage.ReadStateAsync(StateName, ClusterClockAnchor.RecordId, anchor, cancellationToken).ConfigureAwait(false);
        if (anchor.RecordExists && anchor.State is { } a)
        {
            var clusterNow = a.SimulatedOrigin + TimeSpan.FromTicks(checked((long)((wallNow - a.WallOrigin).Ticks * a.TimeScale)));
            mark = mark is { } m0 && m0 > clusterNow ? m0 : clusterNow;
        }

        var origin = mark is { } m && m > wallNow ? m : wallNow;
        _clock.ResumeAt(origin);
        if (origin > wallNow)
        {
            Log.ClockResumed(_logger, origin, (origin - wallNow).TotalHours, _clock.Scale);
        }
        else
        {
            Log.ClockStarted(_logger, origin, _clock.Scale, mark is null ? "no mark in the store" : $"the store's mark {mark:O} is behind it");
        }

        await PersistAsync(cancellationToken).ConfigureAwait(false);
        _loop = RunAsync(_stopping.Token);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        // The container disposes it twice: as the singleton and as the hosted service it also is.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Interval, _wall);
        var failing = false;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await PersistAsync(cancellationToken).ConfigureAwait(false);
                    if (failing)
                    {
                        failing = false;
                        Log.ClockWriteRecovered(_logger, PersistedMark!.Value);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // One line per outage, not one a second; the next tick retries.
                    if (!failing)
                    {
                        failing = true;
                        Log.ClockWriteFailed(_logger, e, Interval.TotalSeconds);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task PersistAsync(CancellationToken cancellationToken)
    {
        var mark = _clock.GetUtcNow() + Lead;
        for (var attempt = 0; ; attempt++)
        {
            // Never lower a stored mark: another server on the same store may have written a later one.
            var previous = Row.HighWaterMark;
            Row.HighWaterMark = mark > previous ? mark : previous;
            Row.TimeScale = _clock.Scale;
            try
            {
                await _storage.WriteStateAsync(StateName, RecordId, _state, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (InconsistentStateException) when (attempt < ConflictRetries)
            {
                var fresh = new GrainState<ExecutionClockRecord>(new ExecutionClockRecord());
                await _storage.ReadStateAsync(StateName, RecordId, fresh, cancellationToken).ConfigureAwait(false);
                _state = fresh;
            }
            catch
            {
                // Whether the write landed is unknown: keep the ETag; a stale one is answered by a conflict and a re-read.
                Row.HighWaterMark = previous;
                throw;
            }
        }

        PersistedMark = Row.HighWaterMark;
        Interlocked.Exchange(ref _nextWrite, NewWrite()).TrySetResult(Row.HighWaterMark);
    }

    private static TaskCompletionSource<DateTimeOffset> NewWrite() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>The execution clock's row: the latest simulated time the process that wrote it may have used.</summary>
[GenerateSerializer, Alias("federation.ExecutionClockRecord")]
public sealed class ExecutionClockRecord
{
    /// <summary>No simulated time written to the store by that process is later than this.</summary>
    [Id(0)]
    public DateTimeOffset HighWaterMark { get; set; }

    /// <summary>The time scale the mark was written under, for people reading the row.</summary>
    [Id(1)]
    public double TimeScale { get; set; }
}

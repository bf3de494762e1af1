using Federation.Grains.Diagnostics;
using Federation.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Federation.Grains.Execution;

/// <summary>
/// The clock jobs run on, and the one way anything in this assembly schedules work on it: a callback at a
/// time on the execution clock that calls into a grain. In-flight callbacks are counted so a test (or a
/// graceful stop) can wait until every cascade the clock started has finished.
/// </summary>
public sealed class ExecutionClock : IDisposable
{
    /// <summary>
    /// Origin of the domain's seconds: the scheduling code works in seconds as doubles, and a fixed origin
    /// keeps them small (sub-microsecond resolution) and stable across restarts.
    /// </summary>
    public static readonly DateTimeOffset Epoch = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A clock move while arming beyond which the timer is armed again (well above the time arming takes).</summary>
    private static readonly long ArmingJumpTicks = TimeSpan.FromMilliseconds(50).Ticks;

    /// <summary>
    /// The furthest a timer is armed ahead. A runtime timer takes at most about 49.7 days (2³² − 2 ms) and throws beyond,
    /// while callbacks may be due up to a year out (a job's duration, an allocation term): a callback further away than
    /// this is reached by re-arming, each time the timer fires with nothing due.
    /// </summary>
    internal static readonly TimeSpan MaxArmAhead = TimeSpan.FromDays(1);

    private readonly Lock _queueGate = new();
    private readonly PriorityQueue<Shot, (long DueTicks, long Sequence)> _queue = new();
    private ITimer? _timer;
    private long _armedForTicks = long.MaxValue;
    private long _sequence;
    private readonly InFlightWork _callbacks = new();
    private bool _disposed;

    private readonly TimeProvider _hostTime;
    private readonly FederationGrainsOptions _options;
    private readonly ILogger<ExecutionClock> _logger;

    public ExecutionClock(IOptions<FederationGrainsOptions> options, TimeProvider hostTime, ILogger<ExecutionClock> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(hostTime);
        _options = options.Value;
        _hostTime = hostTime;
        _logger = logger;
        Time = options.Value.ExecutionClock ?? hostTime;
    }

    public TimeProvider Time { get; }

    public DateTimeOffset Now => Time.GetUtcNow();

    /// <summary>Now, in the domain's seconds.</summary>
    public double NowSeconds => ToSeconds(Time.GetUtcNow());

    public static double ToSeconds(DateTimeOffset t) => (t - Epoch).TotalSeconds;

    public static DateTimeOffset FromSeconds(double s) =>
        double.IsInfinity(s) || double.IsNaN(s) || s > 1e11 ? DateTimeOffset.MaxValue : Epoch.AddSeconds(s);

    /// <summary>Whether the clock has stopped with its silo (<see cref="Dispose"/>).</summary>
    public bool Stopped => Volatile.Read(ref _disposed);

    /// <summary>Number of callbacks that fired and have not finished.</summary>
    public int InFlight => _callbacks.Count;

    /// <summary>
    /// Runs <paramref name="callback"/> once at <paramref name="at"/> (at once when it is due). Dispose the
    /// returned handle to cancel a callback that has not fired. A callback that fails (its grain call failed: a silo
    /// going down, the cluster changing) runs again, with backoff on the host's clock, until it succeeds, the handle is
    /// disposed or the clock stops: what it stands for (a job's end, data that arrived, a rebalancing round) is never
    /// lost to one failed call. Callbacks must therefore be safe to run again.
    /// </summary>
    /// <remarks>
    /// Every callback waits in one priority queue behind one timer armed for the earliest, so the runtime's
    /// timer queue holds one timer however many callbacks are pending (one per running job, one per region
    /// with data in transit). Callbacks due at the same time fire in the order they were scheduled.
    /// </remarks>
    public IDisposable At<TState>(DateTimeOffset at, Func<TState, Task> callback, TState state)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var shot = new OneShot<TState>(this, callback, state);
        Schedule(shot, at);
        return shot;
    }

    /// <summary>
    /// Stops the clock with its silo: callbacks not yet fired never fire (as in a process that ended), and
    /// <see cref="At{TState}"/> schedules nothing from then on. What they stood for (a job's end) is rebuilt from the
    /// committed rows by whichever silo hosts the grain next.
    /// </summary>
    public void Dispose()
    {
        lock (_queueGate)
        {
            _disposed = true;
            _queue.Clear();
            _timer?.Dispose();
            _timer = null;
            _armedForTicks = long.MaxValue;
        }
    }

    /// <summary>Completes when no callback is running (those that fire later are not waited for).</summary>
    public Task WhenIdleAsync() => _callbacks.WhenIdleAsync();

    private void Schedule(Shot shot, DateTimeOffset at)
    {
        var dueTicks = at.UtcTicks;
        lock (_queueGate)
        {
            if (_disposed)
            {
                return;
            }

            _queue.Enqueue(shot, (dueTicks, ++_sequence));
            if (dueTicks < _armedForTicks)
            {
                ArmLocked(dueTicks);
            }
        }
    }

    private void ArmLocked(long dueTicks)
    {
        _armedForTicks = dueTicks;

        // A timer takes a due time relative to the clock's now when it is armed. If the clock jumped between reading now
        // and arming (a manual clock advanced by another thread, a VM resumed), the callback would fire late by the
        // jump, or never within a test's advance: arm again from the new now until the clock held still meanwhile.
        while (true)
        {
            var before = Time.GetUtcNow().UtcTicks;
            var due = TimeSpan.FromTicks(Math.Clamp(dueTicks - before, 0, MaxArmAhead.Ticks));
            if (_timer is null)
            {
                _timer = Time.CreateTimer(static s => ((ExecutionClock)s!).FireDue(), this, due, Timeout.InfiniteTimeSpan);
            }
            else
            {
                _timer.Change(due, Timeout.InfiniteTimeSpan);
            }

            if (Time.GetUtcNow().UtcTicks - before < ArmingJumpTicks)
            {
                return;
            }
        }
    }

    /// <summary>The timer fired: take every callback that is due, re-arm for the next, then run them in order.</summary>
    private void FireDue()
    {
        List<Shot>? due = null;
        lock (_queueGate)
        {
            if (_disposed)
            {
                return;
            }

            var now = Time.GetUtcNow().UtcTicks;
            while (_queue.TryPeek(out var shot, out var priority) && priority.DueTicks <= now)
            {
                _queue.Dequeue();
                (due ??= new List<Shot>()).Add(shot);
            }

            _armedForTicks = long.MaxValue;
            if (_queue.TryPeek(out _, out var next))
            {
                ArmLocked(next.DueTicks);
            }
        }

        if (due is not null)
        {
            foreach (var shot in due)
            {
                shot.Fire();
            }
        }
    }

    private abstract class Shot
    {
        public abstract void Fire();
    }

    private sealed class OneShot<TState>(ExecutionClock owner, Func<TState, Task> callback, TState state) : Shot, IDisposable
    {
        private int _state;

        /// <summary>Cancels a callback that has not fired (it stays queued until its time and is skipped then), or stops retrying one that failed.</summary>
        public void Dispose()
        {
            if (Interlocked.CompareExchange(ref _state, 2, 0) != 0)
            {
                Volatile.Write(ref _cancelled, true);
            }
        }

        private bool _cancelled;

        public override void Fire()
        {
            if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
            {
                return;
            }

            owner._callbacks.Enter();
            _ = RunAsync();
        }

        private async Task RunAsync()
        {
            try
            {
                var delay = owner._options.FirstNoticeRetryDelay;
                for (var failures = 0; ; failures++)
                {
                    try
                    {
                        await callback(state).ConfigureAwait(false);
                        return;
                    }
                    catch (Exception ex)
                    {
                        // A failed callback must not take the timer thread down; it runs again unless it no longer should.
                        if (owner.Stopped || Volatile.Read(ref _cancelled))
                        {
                            return;
                        }

                        if (failures == 0)
                        {
                            GrainsLog.ClockCallbackFailed(owner._logger, ex, typeof(TState).Name);
                        }
                    }

                    await Task.Delay(delay, owner._hostTime).ConfigureAwait(false);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, owner._options.MaxNoticeRetryDelay.Ticks));
                }
            }
            finally
            {
                owner._callbacks.Exit();
            }
        }
    }
}

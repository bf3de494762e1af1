using Federation.Grains.Hosting;
using Microsoft.Extensions.Options;

namespace Federation.Grains.Execution;

/// <summary>
/// The clock jobs run on, and the one way anything in this assembly schedules work on it: a callback at a
/// time on the execution clock that calls into a grain. In-flight callbacks are counted so a test (or a
/// graceful stop) can wait until every cascade the clock started has finished.
/// </summary>
public sealed class ExecutionClock
{
    /// <summary>
    /// Origin of the domain's seconds: the scheduling code works in seconds as doubles, and a fixed origin
    /// keeps them small (sub-microsecond resolution) and stable across restarts.
    /// </summary>
    public static readonly DateTimeOffset Epoch = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly object _gate = new();
    private int _inFlight;
    private TaskCompletionSource? _idle;

    public ExecutionClock(IOptions<FederationGrainsOptions> options, TimeProvider hostTime)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(hostTime);
        Time = options.Value.ExecutionClock ?? hostTime;
    }

    public TimeProvider Time { get; }

    public DateTimeOffset Now => Time.GetUtcNow();

    /// <summary>Now, in the domain's seconds.</summary>
    public double NowSeconds => ToSeconds(Time.GetUtcNow());

    public static double ToSeconds(DateTimeOffset t) => (t - Epoch).TotalSeconds;

    public static DateTimeOffset FromSeconds(double s) =>
        double.IsInfinity(s) || double.IsNaN(s) || s > 1e11 ? DateTimeOffset.MaxValue : Epoch.AddSeconds(s);

    /// <summary>Number of callbacks that fired and have not finished.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>
    /// Runs <paramref name="callback"/> once at <paramref name="at"/> (at once when it is due). Dispose the
    /// returned handle to cancel a callback that has not fired.
    /// </summary>
    public IDisposable At<TState>(DateTimeOffset at, Func<TState, Task> callback, TState state)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var due = at - Time.GetUtcNow();
        if (due < TimeSpan.Zero)
        {
            due = TimeSpan.Zero;
        }

        var shot = new OneShot<TState>(this, callback, state);
        shot.Arm(Time, due);
        return shot;
    }

    /// <summary>Completes when no callback is running (those that fire later are not waited for).</summary>
    public Task WhenIdleAsync()
    {
        lock (_gate)
        {
            if (_inFlight == 0)
            {
                return Task.CompletedTask;
            }

            _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _idle.Task;
        }
    }

    private void Enter()
    {
        lock (_gate)
        {
            _inFlight++;
        }
    }

    private void Exit()
    {
        TaskCompletionSource? idle = null;
        lock (_gate)
        {
            if (--_inFlight == 0)
            {
                idle = _idle;
                _idle = null;
            }
        }

        idle?.TrySetResult();
    }

    private sealed class OneShot<TState>(ExecutionClock owner, Func<TState, Task> callback, TState state) : IDisposable
    {
        private ITimer? _timer;
        private int _state;

        public void Arm(TimeProvider time, TimeSpan due)
        {
            _timer = time.CreateTimer(static s => ((OneShot<TState>)s!).Fire(), this, due, Timeout.InfiniteTimeSpan);
        }

        public void Dispose()
        {
            if (Interlocked.CompareExchange(ref _state, 2, 0) == 0)
            {
                _timer?.Dispose();
            }
        }

        private void Fire()
        {
            if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
            {
                return;
            }

            _timer?.Dispose();
            owner.Enter();
            _ = RunAsync();
        }

        private async Task RunAsync()
        {
            try
            {
                await callback(state).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The callee logs its own failures; a failed callback must not take the timer thread down.
            }
            finally
            {
                owner.Exit();
            }
        }
    }
}

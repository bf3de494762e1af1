using Federation.Actors.Catalog;
using Federation.Actors.Diagnostics;
using Federation.Actors.Invocation;
using Federation.Actors.Messaging;

namespace Federation.Actors.Timers;

/// <summary>
/// A timer owned by one activation. Each tick is a local request to the activation, so it follows
/// the admission rules (by default it waits behind a running non-reentrant request). The next tick is
/// armed only when the previous one completed, so ticks never overlap and the period counts from
/// completion. Disposed with the activation; its CancellationToken is then cancelled.
/// </summary>
internal abstract class GrainTimer : IGrainTimer
{
    private readonly object _lock = new();
    private readonly ActivationData _activation;
    private readonly SiloRuntime _runtime;
    private readonly ITimer _timer;
    private readonly TickRequest _tick;
    private readonly Message _message;
    private readonly CancellationTokenSource _cancellation = new();
    private readonly bool _keepAlive;
    private TimeSpan _dueTime;
    private TimeSpan _period;
    private bool _ticking;
    private bool _changedWhileTicking;
    private bool _disposed;

    protected GrainTimer(ActivationData activation, SiloRuntime runtime, GrainTimerCreationOptions options)
    {
        _activation = activation;
        _runtime = runtime;
        _dueTime = options.DueTime;
        _period = options.Period;
        _keepAlive = options.KeepAlive;
        _tick = new TickRequest(this, options.Interleave);
        _message = Message.For(_tick);
        _timer = runtime.TimeProvider.CreateTimer(static s => ((GrainTimer)s!).OnTimerFired(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public void Start()
    {
        lock (_lock)
        {
            Arm(_dueTime);
        }
    }

    public void Change(TimeSpan dueTime, TimeSpan period)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _dueTime = dueTime;
            _period = period;
            if (_ticking)
            {
                _changedWhileTicking = true;
                return;
            }

            Arm(dueTime);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _cancellation.Cancel();
        _timer.Dispose();
        _activation.RemoveTimer(this);
    }

    protected abstract Task InvokeCallbackAsync(CancellationToken cancellationToken);

    private void Arm(TimeSpan due)
    {
        if (!_disposed && due != Timeout.InfiniteTimeSpan)
        {
            _timer.Change(due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
        }
    }

    private void OnTimerFired()
    {
        lock (_lock)
        {
            if (_disposed || _ticking)
            {
                return;
            }

            _ticking = true;
        }

        _tick.Rearm();
        var flags = MessageFlags.LocalOnly | (_keepAlive ? MessageFlags.None : MessageFlags.NotActivity);
        _message.Initialize(_activation.GrainId, null, _runtime.Now, long.MaxValue, Timeout.InfiniteTimeSpan, flags);
        if (!_activation.TryEnqueue(_message))
        {
            lock (_lock)
            {
                _ticking = false;
            }
        }
    }

    private void OnTickCompleted(Exception? error)
    {
        if (error is not null)
        {
            RuntimeLog.TimerFailed(_runtime.Logger, _activation.GrainId, error);
        }

        lock (_lock)
        {
            _ticking = false;
            if (_disposed)
            {
                return;
            }

            if (_changedWhileTicking)
            {
                _changedWhileTicking = false;
                Arm(_dueTime);
            }
            else if (_period != Timeout.InfiniteTimeSpan)
            {
                Arm(_period);
            }
        }
    }

    /// <summary>The tick as a request: AlwaysInterleave when the timer was created with Interleave.</summary>
    private sealed class TickRequest : Request
    {
        private readonly GrainTimer _owner;
        private readonly InvokeFlags _flags;

        public TickRequest(GrainTimer owner, bool interleave)
        {
            _owner = owner;
            _flags = interleave ? InvokeFlags.AlwaysInterleave : InvokeFlags.None;
        }

        public override string InterfaceName => "Federation.Actors.IGrainTimer";

        public override string MethodName => "Tick";

        public override int MethodId => 0;

        public override InvokeFlags Flags => _flags;

        public override int ArgumentCount => 0;

        public override object? GetArgument(int index) => throw new ArgumentOutOfRangeException(nameof(index));

        public override void SetArgument(int index, object? value) => throw new ArgumentOutOfRangeException(nameof(index));

        public override ValueTask InvokeAsync(object grain) => new(_owner.InvokeCallbackAsync(_owner._cancellation.Token));

        public void Rearm() => ResetCompletion();

        protected override void OnCompleted(Exception? error) => _owner.OnTickCompleted(error);
    }
}

internal sealed class GrainTimer<TState> : GrainTimer
{
    private readonly Func<TState, CancellationToken, Task> _callback;
    private readonly TState _state;

    public GrainTimer(ActivationData activation, SiloRuntime runtime, Func<TState, CancellationToken, Task> callback, TState state, GrainTimerCreationOptions options)
        : base(activation, runtime, options)
    {
        _callback = callback;
        _state = state;
    }

    protected override Task InvokeCallbackAsync(CancellationToken cancellationToken) => _callback(_state, cancellationToken);
}

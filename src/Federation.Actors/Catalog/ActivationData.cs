using Federation.Actors.Invocation;
using Federation.Actors.Messaging;
using Federation.Actors.Persistence;
using Federation.Actors.Reminders;
using Federation.Actors.Timers;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Actors.Catalog;

/// <summary>
/// One activation of a grain: its instance, its request queue and turn scheduler, its timers and
/// persistent states. It is its own <see cref="SynchronizationContext"/> (awaits in grain code come
/// back here) and its own thread-pool work item (one drain at a time, so no two turns ever run in
/// parallel).
/// </summary>
internal sealed partial class ActivationData : IGrainContext
{
    private readonly SiloRuntime _runtime;
    private readonly StatelessWorkerGroup? _workerGroup;
    // Created only when someone waits for the deactivation (a stopping silo, tests): most activations never have a waiter.
    private TaskCompletionSource? _deactivated;
    private bool _hasDeactivated;
    private object? _instance;
    private IServiceScope? _scope;
    private List<GrainTimer>? _timers;
    private List<IBoundState>? _states;
    private Dictionary<Guid, int>? _callChains;
    private GrainReminderRegistry? _reminders;
    private long _lastActivity;
    private long _keepAliveUntil;
    private bool _wasValid;

    public ActivationData(SiloRuntime runtime, GrainClassMetadata metadata, GrainId grainId, StatelessWorkerGroup? workerGroup = null)
    {
        _runtime = runtime;
        Metadata = metadata;
        GrainId = grainId;
        _workerGroup = workerGroup;
        ActivationId = runtime.NewActivationId();
        _lastActivity = runtime.Now;
    }

    public GrainId GrainId { get; }

    public Guid ActivationId { get; }

    public GrainClassMetadata Metadata { get; }

    public IGrainFactory GrainFactory => _runtime.GrainFactory;

    public IServiceProvider ActivationServices => _scope?.ServiceProvider ?? _runtime.Services;

    public object? GrainInstance => _instance;

    public IGrainReminderRegistry Reminders => _reminders ??= new GrainReminderRegistry(this, _runtime);

    /// <summary>Completes when the activation has left the catalog.</summary>
    public Task Deactivated
    {
        get
        {
            lock (_lock)
            {
                return _hasDeactivated
                    ? Task.CompletedTask
                    : (_deactivated ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
        }
    }

    /// <summary>Completes <see cref="Deactivated"/>.</summary>
    private void MarkDeactivated()
    {
        TaskCompletionSource? waiter;
        lock (_lock)
        {
            _hasDeactivated = true;
            waiter = _deactivated;
        }

        waiter?.TrySetResult();
    }

    public ActivationState State
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    /// <summary>Requests waiting for admission (diagnostics and tests).</summary>
    public int WaitingCount
    {
        get
        {
            lock (_lock)
            {
                return _waiting.Count;
            }
        }
    }

    /// <summary>Requests currently executing (diagnostics and tests).</summary>
    public int RunningCount
    {
        get
        {
            lock (_lock)
            {
                return _running.Count;
            }
        }
    }

    public void DeactivateOnIdle() =>
        StartDeactivation(new DeactivationReason(DeactivationReasonCode.ApplicationRequested, "DeactivateOnIdle was called."));

    public void DelayDeactivation(TimeSpan timeSpan)
    {
        long until;
        if (timeSpan <= TimeSpan.Zero)
        {
            until = 0;
        }
        else if (timeSpan == Timeout.InfiniteTimeSpan || timeSpan == TimeSpan.MaxValue)
        {
            until = long.MaxValue;
        }
        else
        {
            until = _runtime.After(timeSpan);
        }

        Volatile.Write(ref _keepAliveUntil, until);
    }

    public IGrainTimer RegisterGrainTimer<TState>(Func<TState, CancellationToken, Task> callback, TState state, GrainTimerCreationOptions options)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new GrainTimer<TState>(this, _runtime, callback, state, options);
        lock (_lock)
        {
            if (_state is ActivationState.Deactivating or ActivationState.Invalid)
            {
                throw new InvalidOperationException($"{GrainId} is deactivating; it cannot register timers.");
            }

            (_timers ??= new List<GrainTimer>()).Add(timer);
        }

        timer.Start();
        return timer;
    }

    internal void RemoveTimer(GrainTimer timer)
    {
        lock (_lock)
        {
            _timers?.Remove(timer);
        }
    }

    public IPersistentState<TState> GetPersistentState<TState>(string stateName, string? storageName)
    {
        var state = PersistentState<TState>.Create(stateName, storageName, GrainId, _runtime.Services, _runtime.Instruments, _runtime.TimeProvider);
        (_states ??= new List<IBoundState>()).Add(state);
        return state;
    }

    public void EnterCallChainReentrancy(Guid callChainId)
    {
        bool schedule;
        lock (_lock)
        {
            _callChains ??= new Dictionary<Guid, int>();
            _callChains[callChainId] = _callChains.TryGetValue(callChainId, out var count) ? count + 1 : 1;
            schedule = _waiting.Count > 0 && ScheduleLocked();
        }

        if (schedule)
        {
            QueueDrain();
        }
    }

    public void ExitCallChainReentrancy(Guid callChainId)
    {
        lock (_lock)
        {
            if (_callChains is not null && _callChains.TryGetValue(callChainId, out var count))
            {
                if (count <= 1)
                {
                    _callChains.Remove(callChainId);
                }
                else
                {
                    _callChains[callChainId] = count - 1;
                }
            }
        }
    }

    /// <summary>Whether the collector may deactivate this activation now (idle for its age and past any delay).</summary>
    public bool IsCollectable(long now, TimeSpan age)
    {
        if (Metadata.KeepAlive)
        {
            return false;
        }

        lock (_lock)
        {
            if (_state != ActivationState.Valid || _running.Count > 0 || _waiting.Count > 0)
            {
                return false;
            }
        }

        var idleSince = Volatile.Read(ref _lastActivity);
        var eligibleAt = Math.Max(AddSaturating(idleSince, age), Volatile.Read(ref _keepAliveUntil));
        return now >= eligibleAt;
    }

    private long AddSaturating(long timestamp, TimeSpan span)
    {
        var ticks = span.TotalSeconds * _runtime.TimeProvider.TimestampFrequency;
        return ticks >= long.MaxValue - timestamp ? long.MaxValue : timestamp + (long)ticks;
    }

    private void MarkActivity() => Volatile.Write(ref _lastActivity, _runtime.Now);

    public override string ToString() => $"{GrainId} ({ActivationId:N})";
}

using Federation.Actors.Diagnostics;
using Federation.Actors.Messaging;
using Federation.Actors.Storage;

namespace Federation.Actors.Catalog;

internal sealed partial class ActivationData
{
    /// <summary>
    /// Queues a message. False when the activation is gone (the caller re-routes). Messages that arrive
    /// while it deactivates stay queued and are re-routed to a new activation afterwards.
    /// </summary>
    public bool TryEnqueue(Message message)
    {
        bool schedule;
        lock (_lock)
        {
            if (_state == ActivationState.Invalid || (message.IsLocalOnly && _state == ActivationState.Deactivating))
            {
                return false;
            }

            _waiting.Add(message);
            if (!_trackedForTimeouts)
            {
                _trackedForTimeouts = true;
                _runtime.Catalog.TrackRequests(this);
            }
            if (!_activationStarted)
            {
                _activationStarted = true;
                QueueActivationLocked();
            }

            schedule = ScheduleLocked();
        }

        if (schedule)
        {
            QueueDrain();
        }

        return true;
    }

    /// <summary>
    /// Queues messages handed over from a deactivated predecessor, before this activation is visible to anyone (see
    /// <see cref="Catalog.HandOff"/>); <see cref="StartPreloaded"/> starts it once it is.
    /// </summary>
    public void Preload(List<Message> messages)
    {
        lock (_lock)
        {
            _waiting.AddRange(messages);
        }
    }

    /// <summary>Starts an activation whose messages were preloaded (a sender may have started it already).</summary>
    public void StartPreloaded()
    {
        bool schedule;
        lock (_lock)
        {
            if (_state == ActivationState.Invalid || _waiting.Count == 0)
            {
                return;
            }

            if (!_trackedForTimeouts)
            {
                _trackedForTimeouts = true;
                _runtime.Catalog.TrackRequests(this);
            }

            if (_activationStarted)
            {
                return;
            }

            _activationStarted = true;
            QueueActivationLocked();
            schedule = ScheduleLocked();
        }

        if (schedule)
        {
            QueueDrain();
        }
    }

    /// <summary>True when nothing runs or waits here: a stateless worker pool reuses such a worker first.</summary>
    public bool IsInactive
    {
        get
        {
            lock (_lock)
            {
                return _running.Count == 0 && _waiting.Count == 0 && _state is ActivationState.Valid;
            }
        }
    }

    /// <summary>
    /// <see cref="IsInactive"/> read without the lock: a hint for choosing a stateless worker, which
    /// <see cref="TryEnqueue"/> then decides for certain (a worker gone meanwhile refuses, and is dropped).
    /// </summary>
    public bool IsInactiveHint =>
        _state is ActivationState.Valid && _running.Count == 0 && _waiting.Count == 0;

    /// <summary>Requests waiting, read without the lock (a load hint for choosing a stateless worker).</summary>
    public int WaitingCountHint => _waiting.Count;

    /// <summary><see cref="IsRoutable"/> read without the lock (a hint, see <see cref="IsInactiveHint"/>).</summary>
    public bool IsRoutableHint => _state != ActivationState.Invalid;

    public bool IsRoutable
    {
        get
        {
            lock (_lock)
            {
                return _state != ActivationState.Invalid;
            }
        }
    }

    private void StartRequest(Message message)
    {
        if ((message.Flags & MessageFlags.NotActivity) == 0)
        {
            MarkActivity();
        }

        var context = message.RequestContext;
        if (!ReferenceEquals(RequestContext.CurrentData, context))
        {
            RequestContext.CurrentData = context;
        }

        ValueTask invoke;
        try
        {
            invoke = message.Body.InvokeAsync(_instance!);
        }
        catch (Exception ex)
        {
            invoke = ValueTask.FromException(ex);
        }

        if (invoke.IsCompleted)
        {
            FinishRequest(message, invoke);
            return;
        }

        message.ExecutingOn = this;
        message.PendingInvoke = invoke;
        invoke.GetAwaiter().UnsafeOnCompleted(message.InvokeCompleted);
    }

    /// <summary>The continuation of a request whose invoke completed asynchronously; runs as a turn here.</summary>
    internal void OnInvokeCompleted(Message message)
    {
        var invoke = message.PendingInvoke;
        message.PendingInvoke = default;
        message.ExecutingOn = null;
        FinishRequest(message, invoke);
    }

    private void FinishRequest(Message message, ValueTask invoke)
    {
        Exception? error = null;
        try
        {
            invoke.GetAwaiter().GetResult();
        }
        catch (Exception ex)
        {
            error = ex;
        }

        var notActivity = (message.Flags & MessageFlags.NotActivity) != 0;
        lock (_lock)
        {
            RemoveRunningLocked(message);
        }

        if (!notActivity)
        {
            MarkActivity();
        }

        var latency = _runtime.Instruments.RequestLatency;
        if (latency.Enabled && !message.IsLocalOnly)
        {
            latency.Record(
                _runtime.Elapsed(message.SentTimestamp, _runtime.Now).TotalMilliseconds,
                new KeyValuePair<string, object?>(InstrumentNames.GrainTypeTag, GrainId.Type.Value));
        }

        if (error is InconsistentStateException)
        {
            RuntimeLog.InconsistentState(_runtime.Logger, GrainId);
            StartDeactivation(new DeactivationReason(DeactivationReasonCode.ApplicationError, "An InconsistentStateException escaped a grain method.", error));
        }

        if (message.IsOneWay && error is not null)
        {
            RuntimeLog.OneWayFailed(_runtime.Logger, message.Body.ToString(), GrainId, error);
        }

        // The caller's continuation may run inline: it must not see this activation as its context.
        var previousContext = Current;
        SetSynchronizationContext(null);
        var previousGrain = RuntimeContext.SetCurrent(null);
        try
        {
            // Last use of the message: completing may recycle the request and its envelope.
            if (error is null)
            {
                message.Body.TryComplete();
            }
            else
            {
                message.Body.TryFail(error);
            }
        }
        finally
        {
            RuntimeContext.SetCurrent(previousGrain);
            SetSynchronizationContext(previousContext);
        }
    }

    /// <summary>
    /// Fails calls whose deadline passed: queued ones are dropped (they never run); running ones are
    /// answered with a TimeoutException while the callee finishes on its own. Never resubmitted.
    /// </summary>
    public void ExpireRequests(long now, List<Message> expiredRunning, List<Message> expiredWaiting)
    {
        lock (_lock)
        {
            foreach (var message in _running)
            {
                if (now >= message.DeadlineTimestamp && !message.IsOneWay && message.Body.TryClaimAbandoned())
                {
                    expiredRunning.Add(message);
                }
            }

            for (var i = _waiting.Count - 1; i >= 0; i--)
            {
                var message = _waiting[i];
                if (now >= message.DeadlineTimestamp && !message.IsOneWay && !message.IsLocalOnly)
                {
                    _waiting.RemoveAt(i);
                    expiredWaiting.Add(message);
                }
            }

            // Idle and not activating: the scan stops visiting it until its next request.
            if (_running.Count == 0 && _waiting.Count == 0 && Volatile.Read(ref _activationTimeout) is null)
            {
                _trackedForTimeouts = false;
                _runtime.Catalog.UntrackRequests(this);
            }
        }
    }
}

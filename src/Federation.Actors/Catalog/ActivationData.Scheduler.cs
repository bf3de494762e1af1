using Federation.Actors.Diagnostics;
using Federation.Actors.Messaging;

namespace Federation.Actors.Catalog;

/// <summary>
/// The turn scheduler. Work is continuations posted by awaits in grain code plus requests waiting for
/// admission; one thread-pool work item at a time drains it, with this activation as the current
/// SynchronizationContext, so grain code never runs on two threads at once.
/// </summary>
internal sealed partial class ActivationData : SynchronizationContext, IThreadPoolWorkItem
{
    /// <summary>Turns one drain runs before yielding the thread to other work.</summary>
    private const int TurnsPerSlice = 64;

    private readonly Lock _lock = new();
    private readonly Queue<(SendOrPostCallback Callback, object? State)> _turns = new();
    private readonly List<Message> _waiting = new();
    private readonly List<Message> _running = new();
    /// <summary>The activation turn, queued with the activation as its state: no delegate per activation.</summary>
    private static readonly SendOrPostCallback ActivateTurn = static state => _ = ((ActivationData)state!).ActivateAsync();
    private Message? _blocking;
    private ActivationState _state;
    private bool _scheduled;
    private bool _activationStarted;
    private bool _finishing;
    private bool _admitFirst;
    private bool _trackedForTimeouts;

    public override void Post(SendOrPostCallback d, object? state)
    {
        bool schedule;
        lock (_lock)
        {
            _turns.Enqueue((d, state));
            schedule = ScheduleLocked();
        }

        if (schedule)
        {
            QueueDrain();
        }
    }

    /// <summary>Synchronous sends would block an activation on another; grain code never needs them.</summary>
    public override void Send(SendOrPostCallback d, object? state) =>
        throw new NotSupportedException("Synchronous Send is not supported on a grain activation.");

    public override SynchronizationContext CreateCopy() => this;

    void IThreadPoolWorkItem.Execute()
    {
        var previousContext = Current;
        SetSynchronizationContext(this);
        var previousGrain = RuntimeContext.SetCurrent(this);
        try
        {
            for (var i = 0; i < TurnsPerSlice; i++)
            {
                SendOrPostCallback? callback = null;
                object? state = null;
                Message? message = null;
                var finish = false;
                lock (_lock)
                {
                    // Alternate between admitting a request and running a continuation, so requests that
                    // may interleave (reentrant, read-only, ...) really do, in arrival order with the turns.
                    if (_admitFirst && (message = TryAdmitLocked()) is not null)
                    {
                        _admitFirst = false;
                    }
                    else if (_turns.Count > 0)
                    {
                        (callback, state) = _turns.Dequeue();
                        _admitFirst = true;
                    }
                    else if ((message = TryAdmitLocked()) is null)
                    {
                        if (_state == ActivationState.Deactivating && _running.Count == 0 && !_finishing)
                        {
                            _finishing = true;
                            finish = true;
                        }
                        else
                        {
                            _scheduled = false;
                            return;
                        }
                    }
                }

                if (finish)
                {
                    _ = FinishDeactivationAsync();
                }
                else if (callback is not null)
                {
                    RunTurn(callback, state);
                }
                else
                {
                    StartRequest(message!);
                }
            }

            // Slice used up: let other work run, then continue.
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
        finally
        {
            RuntimeContext.SetCurrent(previousGrain);
            SetSynchronizationContext(previousContext);
            if (RequestContext.CurrentData is not null)
            {
                RequestContext.CurrentData = null;
            }
        }
    }

    /// <summary>Marks the drain scheduled; true when the caller must queue it (outside the lock).</summary>
    private bool ScheduleLocked()
    {
        if (_scheduled)
        {
            return false;
        }

        _scheduled = true;
        return true;
    }

    private void QueueDrain() => ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: true);

    private void RunTurn(SendOrPostCallback callback, object? state)
    {
        try
        {
            callback(state);
        }
        catch (Exception ex)
        {
            RuntimeLog.TurnFailed(_runtime.Logger, GrainId, ex);
        }
    }

    /// <summary>Queues the activation turn (build, register, read state, OnActivateAsync) to run on this activation.</summary>
    private void QueueActivationLocked() => _turns.Enqueue((ActivateTurn, this));

    /// <summary>
    /// The admission rule, tested in Orleans' order: nothing running; the request is AlwaysInterleave;
    /// no running request is blocking; both read-only; an active call-chain id; [Reentrant] or the
    /// MayInterleave predicate for the incoming or the blocking request.
    /// </summary>
    private Message? TryAdmitLocked()
    {
        if (_state != ActivationState.Valid || _waiting.Count == 0)
        {
            return null;
        }

        for (var i = 0; i < _waiting.Count; i++)
        {
            var candidate = _waiting[i];
            if (MayInvokeLocked(candidate))
            {
                _waiting.RemoveAt(i);
                _running.Add(candidate);
                if (!candidate.IsAlwaysInterleave && _blocking is null)
                {
                    _blocking = candidate;
                }

                return candidate;
            }
        }

        return null;
    }

    private bool MayInvokeLocked(Message incoming)
    {
        if (_running.Count == 0 || incoming.IsAlwaysInterleave || _blocking is null)
        {
            return true;
        }

        if (incoming.IsReadOnly && _blocking.IsReadOnly)
        {
            return true;
        }

        if (incoming.CallChainId != Guid.Empty && _callChains is not null && _callChains.ContainsKey(incoming.CallChainId))
        {
            return true;
        }

        if (Metadata.IsReentrant)
        {
            return true;
        }

        if (Metadata.MayInterleave is { } predicate && _instance is not null)
        {
            try
            {
                return predicate(_instance, incoming.Body) || predicate(_instance, _blocking.Body);
            }
            catch (Exception ex)
            {
                RuntimeLog.TurnFailed(_runtime.Logger, GrainId, ex);
            }
        }

        return false;
    }

    private void RemoveRunningLocked(Message message)
    {
        _running.Remove(message);
        if (ReferenceEquals(_blocking, message))
        {
            _blocking = null;
            foreach (var other in _running)
            {
                if (!other.IsAlwaysInterleave)
                {
                    _blocking = other;
                    break;
                }
            }
        }
    }
}

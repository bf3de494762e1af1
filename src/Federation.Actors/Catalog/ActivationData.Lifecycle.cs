using Federation.Actors.Diagnostics;
using Federation.Actors.Directory;
using Federation.Actors.Messaging;
using Federation.Actors.Timers;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Actors.Catalog;

internal sealed partial class ActivationData
{
    private DeactivationReason _deactivationReason;
    private DeactivationReason? _deactivateAfterActivation;
    private CancellationTokenSource? _activationTimeout;
    private long _activationDeadline;

    private GrainAddress Address => new(GrainId, _runtime.LocalSilo.Address, ActivationId);

    /// <summary>
    /// The activation turn: build the instance through DI, register in the directory (stateless workers
    /// do not), read persistent state, run OnActivateAsync, then admit queued requests. On failure the
    /// queued requests are rejected with the error and the activation is never exposed.
    /// </summary>
    private async Task ActivateAsync()
    {
        // No timer per activation (a timer-backed token cost ~5 % of a job-heavy silo in the timer
        // queue's lock): the catalog's periodic timeout scan cancels it once the deadline has passed.
        var timeout = new CancellationTokenSource();
        Volatile.Write(ref _activationDeadline, _runtime.After(_runtime.Collection.ActivationTimeout));
        Volatile.Write(ref _activationTimeout, timeout);
        var cancellationToken = timeout.Token;
        try
        {
            _scope = _runtime.Services.CreateScope();
            var previous = RuntimeContext.Constructing;
            RuntimeContext.Constructing = this;
            try
            {
                _instance = Metadata.Create(_scope.ServiceProvider, this);
            }
            finally
            {
                RuntimeContext.Constructing = previous;
            }

            if (Metadata.Placement.IsUsingGrainDirectory)
            {
                var winner = await _runtime.Directory.RegisterAsync(Address, cancellationToken);
                if (winner.ActivationId != ActivationId)
                {
                    lock (_lock)
                    {
                        _state = ActivationState.Deactivating;
                        _deactivationReason = new DeactivationReason(DeactivationReasonCode.DuplicateActivation, $"{winner} is already registered.");
                    }

                    return;
                }
            }

            lock (_lock)
            {
                _state = ActivationState.Activating;
            }

            if (_states is not null)
            {
                foreach (var state in _states)
                {
                    await state.ReadOnActivateAsync(cancellationToken);
                }
            }

            if (_instance is Grain grain)
            {
                await grain.OnActivateAsync(cancellationToken);
            }

            DeactivationReason? pending;
            lock (_lock)
            {
                _state = ActivationState.Valid;
                _wasValid = true;
                pending = _deactivateAfterActivation;
            }

            RuntimeLog.Activated(_runtime.Logger, GrainId, ActivationId);
            if (pending is { } reason)
            {
                StartDeactivation(reason);
            }
        }
        catch (Exception ex)
        {
            RuntimeLog.ActivationFailed(_runtime.Logger, GrainId, ex);
            _runtime.Instruments.ActivationFailed.Add(1);
            await FailActivationAsync(ex);
        }
        finally
        {
            // Not disposed: the scan may be cancelling it concurrently, and with no timer it holds nothing.
            Volatile.Write(ref _activationTimeout, null);
        }
    }

    /// <summary>Cancels the activation token of an activation still activating past its deadline (the timeout scan).</summary>
    public void CancelActivationIfOverdue(long now)
    {
        if (Volatile.Read(ref _activationTimeout) is { } timeout && now >= Volatile.Read(ref _activationDeadline))
        {
            timeout.Cancel();
        }
    }

    private async Task FailActivationAsync(Exception error)
    {
        List<Message> rejected;
        lock (_lock)
        {
            _state = ActivationState.Invalid;
            rejected = new List<Message>(_waiting);
            _waiting.Clear();
            StopTrackingLocked();
        }

        DisposeTimers();
        _runtime.Catalog.OnActivationRemoved(this, new DeactivationReason(DeactivationReasonCode.ActivationFailed, "Activation failed.", error));
        if (Metadata.Placement.IsUsingGrainDirectory)
        {
            try
            {
                await _runtime.Directory.UnregisterAsync(Address, CancellationToken.None);
            }
            catch (Exception ex)
            {
                RuntimeLog.DeactivationFailed(_runtime.Logger, GrainId, ex);
            }
        }

        foreach (var message in rejected)
        {
            if (!message.IsLocalOnly)
            {
                message.Body.TryFail(error);
            }
        }

        await DisposeScopeAsync();
        MarkDeactivated();
    }

    /// <summary>
    /// Requests deactivation: no new requests start; the deactivation itself runs once no request is
    /// executing. Idempotent; during activation it is deferred until the activation is valid.
    /// </summary>
    public void StartDeactivation(DeactivationReason reason)
    {
        bool schedule;
        var dropUnstarted = false;
        lock (_lock)
        {
            if (_state is ActivationState.Creating or ActivationState.Activating)
            {
                if (_activationStarted)
                {
                    _deactivateAfterActivation ??= reason;
                    return;
                }

                // Never activated (nothing was sent to it): just drop it.
                _state = ActivationState.Invalid;
                dropUnstarted = true;
            }
        }

        if (dropUnstarted)
        {
            _runtime.Catalog.OnActivationRemoved(this, reason);
            MarkDeactivated();
            return;
        }

        lock (_lock)
        {
            if (_state != ActivationState.Valid)
            {
                return;
            }

            _state = ActivationState.Deactivating;
            _deactivationReason = reason;
            schedule = ScheduleLocked();
        }

        // Timers stop now, and their tokens are cancelled, so a running tick can finish and let the
        // deactivation proceed.
        DisposeTimers();
        if (schedule)
        {
            QueueDrain();
        }
    }

    /// <summary>
    /// Runs once nothing executes: dispose timers (cancelling their tokens), OnDeactivateAsync (only if
    /// the activation had become valid), unregister, leave the catalog, then re-route queued messages.
    /// </summary>
    private async Task FinishDeactivationAsync()
    {
        DeactivationReason reason;
        lock (_lock)
        {
            reason = _deactivationReason;
        }

        DisposeTimers();
        if (_wasValid && _instance is Grain grain && Metadata.OverridesOnDeactivate)
        {
            using var timeout = new CancellationTokenSource(_runtime.Collection.DeactivationTimeout, _runtime.TimeProvider);
            try
            {
                await grain.OnDeactivateAsync(reason, timeout.Token);
            }
            catch (Exception ex)
            {
                RuntimeLog.DeactivationFailed(_runtime.Logger, GrainId, ex);
            }
        }

        if (Metadata.Placement.IsUsingGrainDirectory)
        {
            try
            {
                await _runtime.Directory.UnregisterAsync(Address, CancellationToken.None);
            }
            catch (Exception ex)
            {
                RuntimeLog.DeactivationFailed(_runtime.Logger, GrainId, ex);
            }
        }

        List<Message>? forward = null;
        lock (_lock)
        {
            _state = ActivationState.Invalid;
            foreach (var message in _waiting)
            {
                if (!message.IsLocalOnly)
                {
                    (forward ??= new List<Message>()).Add(message);
                }
            }

            _waiting.Clear();
            StopTrackingLocked();

            // Still under the lock, so a sender that finds this activation waits here and then finds the successor:
            // the messages that waited here go first, in their order, before any that arrive from now on.
            _runtime.Catalog.OnActivationRemoved(this, reason, forward);
        }

        RuntimeLog.Deactivated(_runtime.Logger, GrainId, ActivationId, reason);
        await DisposeScopeAsync();
        MarkDeactivated();
    }

    /// <summary>
    /// An activation that is gone leaves the timeout scan's set at once, not at the next scan: the set would keep every
    /// activation released within the last scan period alive (a second of submitted jobs, all promoted by the GC).
    /// </summary>
    private void StopTrackingLocked()
    {
        if (_trackedForTimeouts)
        {
            _trackedForTimeouts = false;
            _runtime.Catalog.UntrackRequests(this);
        }
    }

    private void DisposeTimers()
    {
        List<GrainTimer>? timers;
        lock (_lock)
        {
            timers = _timers is null ? null : new List<GrainTimer>(_timers);
            _timers = null;
        }

        if (timers is not null)
        {
            foreach (var timer in timers)
            {
                timer.Dispose();
            }
        }
    }

    private async ValueTask DisposeScopeAsync()
    {
        if (_scope is IAsyncDisposable asyncDisposable)
        {
            await asyncDisposable.DisposeAsync();
        }
        else
        {
            _scope?.Dispose();
        }

    }
}

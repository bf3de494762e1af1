using Federation.Actors.Diagnostics;
using Federation.Actors.Messaging;

namespace Federation.Actors.Catalog;

internal sealed partial class Catalog : IDisposable
{
    private ITimer? _collectionTimer;
    private ITimer? _timeoutTimer;
    private ITimer? _workerTimer;

    /// <summary>Starts the periodic idle collection, response-timeout and worker-inspection scans.</summary>
    public void StartMaintenance()
    {
        var time = _runtime.TimeProvider;
        var quantum = _runtime.Collection.CollectionQuantum;
        _collectionTimer = time.CreateTimer(static s => ((Catalog)s!).CollectIdle(), this, quantum, quantum);
        var check = _runtime.Messaging.ResponseTimeoutCheckPeriod;
        _timeoutTimer = time.CreateTimer(static s => ((Catalog)s!).ExpireRequests(), this, check, check);
        var inspect = _runtime.Workers.IdleWorkersInspectionPeriod;
        _workerTimer = time.CreateTimer(static s => ((Catalog)s!).InspectWorkers(), this, inspect, inspect);
    }

    public void Dispose()
    {
        _collectionTimer?.Dispose();
        _timeoutTimer?.Dispose();
        _workerTimer?.Dispose();
    }

    /// <summary>One collection scan: deactivate every activation idle for its age and past any DelayDeactivation deadline.</summary>
    public void CollectIdle()
    {
        var now = _runtime.Now;
        foreach (var activation in AllActivations())
        {
            if (activation.IsCollectable(now, CollectionAgeOf(activation)))
            {
                activation.StartDeactivation(new DeactivationReason(DeactivationReasonCode.ActivationIdle, "The activation was idle for its collection age."));
            }
        }
    }

    public TimeSpan CollectionAgeOf(ActivationData activation)
    {
        if (activation.Metadata.CollectionAge is { } age)
        {
            return age;
        }

        var name = activation.Metadata.GrainClass.FullName;
        return name is not null && _runtime.Collection.ClassSpecificCollectionAge.TryGetValue(name, out var specific)
            ? specific
            : _runtime.Collection.CollectionAge;
    }

    /// <summary>
    /// One timeout scan: callers past their deadline get TimeoutException (nothing is resubmitted), and
    /// activations still activating past <see cref="Configuration.GrainCollectionOptions.ActivationTimeout"/>
    /// have their activation token cancelled. It visits only the activations that received a request
    /// since they were last seen idle (<see cref="TrackRequests"/>), not every activation: a silo keeps
    /// each job's activation for the collection age, and visiting 100k idle activations each second cost
    /// ~5 % of a placement run in cache misses, growing with the silo's age.
    /// </summary>
    public void ExpireRequests()
    {
        var now = _runtime.Now;
        List<Message>? running = null;
        List<Message>? waiting = null;
        foreach (var pair in _withRequests)
        {
            var activation = pair.Key;
            activation.CancelActivationIfOverdue(now);
            running ??= new List<Message>();
            waiting ??= new List<Message>();
            activation.ExpireRequests(now, running, waiting);
        }

        if (running is not null)
        {
            foreach (var message in running)
            {
                Expired(message);
                message.Body.CompleteAbandoned(TimeoutFor(message));
            }
        }

        if (waiting is not null)
        {
            foreach (var message in waiting)
            {
                Expired(message);
                message.Body.TryFail(TimeoutFor(message));
            }
        }
    }

    /// <summary>An activation that was idle received a request: the timeout scan visits it until it is idle again.</summary>
    public void TrackRequests(ActivationData activation) => _withRequests.TryAdd(activation, 0);

    /// <summary>The timeout scan found the activation idle (called under its lock, as <see cref="TrackRequests"/> is).</summary>
    public void UntrackRequests(ActivationData activation) => _withRequests.TryRemove(activation, out _);

    public void InspectWorkers()
    {
        foreach (var group in _workerGroups.Values)
        {
            group.Inspect();
        }
    }

    private void Expired(Message message)
    {
        _runtime.Instruments.RequestsTimedOut.Add(1, new KeyValuePair<string, object?>(InstrumentNames.GrainTypeTag, message.TargetGrain.Type.Value));
        RuntimeLog.RequestTimedOut(_runtime.Logger, message.Body.ToString(), message.TargetGrain, message.Timeout);
    }

    private static TimeoutException TimeoutFor(Message message) =>
        new($"Response did not arrive on time in {message.Timeout} for message: {message}. The call was not retried; its outcome is unknown.");
}

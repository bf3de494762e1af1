using System.Collections.Concurrent;
using Federation.Actors.Collections;
using Federation.Actors.Diagnostics;
using Federation.Actors.Invocation;
using Federation.Actors.Messaging;

namespace Federation.Actors.Catalog;

/// <summary>
/// The silo's activations: one per grain id (directory-registered grains) or a worker pool
/// (stateless workers). Delivers messages to them, creating activations on first use after placement.
/// </summary>
internal sealed partial class Catalog
{
    /// <summary>
    /// Initial capacity of the activation map. A job-heavy silo adds an activation per job from every
    /// thread; the map is sharded so that growing it never stops every caller at once.
    /// </summary>
    internal const int InitialCapacity = 16_384;

    /// <summary>Lock stripes of the (small) set of activations the timeout scan visits.</summary>
    private const int ConcurrencyLevel = 64;

    private readonly SiloRuntime _runtime;
    private readonly ShardedConcurrentDictionary<GrainId, ActivationData> _activations = new(InitialCapacity);
    private readonly ConcurrentDictionary<GrainId, StatelessWorkerGroup> _workerGroups = new();
    private readonly ConcurrentDictionary<GrainType, GrainClassMetadata> _classes = new();
    private readonly ConcurrentDictionary<ActivationData, byte> _withRequests = new(ConcurrencyLevel, 1024);
    private int _count;
    private volatile bool _stopping;

    public Catalog(SiloRuntime runtime)
    {
        _runtime = runtime;
        runtime.Catalog = this;
    }

    /// <summary>Activations (including stateless workers) currently in the catalog.</summary>
    public int Count => Volatile.Read(ref _count);

    public bool TryGetActivation(GrainId grainId, out ActivationData activation) => _activations.TryGetValue(grainId, out activation!);

    public bool TryGetWorkerGroup(GrainId grainId, out StatelessWorkerGroup group) => _workerGroups.TryGetValue(grainId, out group!);

    /// <summary>True once the silo has begun stopping: no new activation is created after that.</summary>
    public bool IsStopping => _stopping;

    /// <summary>
    /// Every activation, enumerated without locking the maps (<c>ConcurrentDictionary.Values</c> takes
    /// every stripe and copies all entries: a periodic stall and a large-object allocation per scan).
    /// Activations added or removed during the enumeration may or may not be seen.
    /// </summary>
    public IEnumerable<ActivationData> AllActivations()
    {
        foreach (var pair in _activations)
        {
            yield return pair.Value;
        }

        foreach (var pair in _workerGroups)
        {
            foreach (var worker in pair.Value.Workers)
            {
                yield return worker;
            }
        }
    }

    /// <summary>Routes a message to its grain; returns the local target so a reference can cache it.</summary>
    public object? Deliver(Message message)
    {
        var grainId = message.TargetGrain;
        if (!TryGetClass(grainId.Type, out var metadata))
        {
            message.Body.TryFail(new InvalidOperationException($"No grain class is registered for grain type '{grainId.Type}' (target {grainId})."));
            return null;
        }

        if (metadata.IsStatelessWorker)
        {
            if (_stopping && !_workerGroups.ContainsKey(grainId))
            {
                RejectStopping(message);
                return null;
            }

            var group = _workerGroups.GetOrAdd(grainId, static (id, state) => new StatelessWorkerGroup(state.Runtime, state.Metadata, id), (Runtime: _runtime, Metadata: metadata));
            group.Deliver(message);
            return group;
        }

        while (true)
        {
            if (_activations.TryGetValue(grainId, out var existing))
            {
                if (existing.TryEnqueue(message))
                {
                    return existing;
                }

                _activations.TryRemove(new KeyValuePair<GrainId, ActivationData>(grainId, existing));
                continue;
            }

            if (_stopping)
            {
                RejectStopping(message);
                return null;
            }

            var silo = _runtime.Placement.Place(metadata.Placement, grainId);
            if (silo != _runtime.LocalSilo.Address)
            {
                message.Body.TryFail(new InvalidOperationException($"Placement chose silo {silo} for {grainId}, but this runtime has no transport to other silos yet."));
                return null;
            }

            var created = new ActivationData(_runtime, metadata, grainId);
            if (_activations.TryAdd(grainId, created))
            {
                OnActivationCreated(created);
            }
        }
    }

    /// <summary>Re-routes a message whose activation went away, at most MaxForwardCount times.</summary>
    public void Forward(Message message)
    {
        if (!FailIfForwardedTooOften(message))
        {
            Deliver(message);
        }
    }

    /// <summary>Counts one more forward of <paramref name="message"/>; past the limit it fails the call and returns true.</summary>
    private bool FailIfForwardedTooOften(Message message)
    {
        message.ForwardCount++;
        if (message.ForwardCount <= _runtime.Messaging.MaxForwardCount)
        {
            return false;
        }

        RuntimeLog.ForwardLimit(_runtime.Logger, message.Body.ToString(), message.TargetGrain, message.ForwardCount);
        message.Body.TryFail(new InvalidOperationException($"{message} was forwarded more than {_runtime.Messaging.MaxForwardCount} times."));
        return true;
    }

    public void OnActivationCreated(ActivationData activation)
    {
        Interlocked.Increment(ref _count);
        _runtime.Instruments.ActivationAdded(activation.GrainId.Type);
    }

    /// <summary>
    /// Takes a deactivated activation out of the catalog. Messages that waited for it (<paramref name="forward"/>) are
    /// handed to a successor activation that replaces it in one step, already holding them in their order: a message
    /// sent later, to the grain or through a reference that cached the old activation, queues behind them. Re-routing
    /// them one by one after the removal let a later message create the successor first and overtake them (a job's
    /// read ran before the notice that had reached the job earlier).
    /// </summary>
    public void OnActivationRemoved(ActivationData activation, DeactivationReason reason, List<Message>? forward = null)
    {
        if (forward is not null)
        {
            forward.RemoveAll(FailIfForwardedTooOften);
        }

        if (activation.Metadata.IsStatelessWorker)
        {
            if (_workerGroups.TryGetValue(activation.GrainId, out var group))
            {
                group.Remove(activation);
            }
        }
        else if (forward is { Count: > 0 } && !_stopping && HandOff(activation, forward))
        {
            forward = null;
        }
        else
        {
            _activations.TryRemove(new KeyValuePair<GrainId, ActivationData>(activation.GrainId, activation));
        }

        Interlocked.Decrement(ref _count);
        _runtime.Instruments.ActivationRemoved(activation.GrainId.Type, reason.ReasonCode);
        if (forward is not null)
        {
            foreach (var message in forward)
            {
                Deliver(message);
            }
        }
    }

    /// <summary>Replaces <paramref name="old"/> by a new activation that already holds <paramref name="messages"/>; false when the map no longer names it.</summary>
    private bool HandOff(ActivationData old, List<Message> messages)
    {
        var successor = new ActivationData(_runtime, old.Metadata, old.GrainId);
        successor.Preload(messages);
        if (!_activations.TryUpdate(old.GrainId, successor, old))
        {
            return false;
        }

        OnActivationCreated(successor);
        successor.StartPreloaded();
        return true;
    }

    /// <summary>Fails a call that would need a new activation in a stopping silo.</summary>
    internal void RejectStopping(Message message)
    {
        if (message.IsLocalOnly)
        {
            return;
        }

        message.Body.TryFail(new SiloUnavailableException($"The silo {_runtime.LocalSilo.Address} is stopping; {message.TargetGrain} is not active here and is not activated again."));
    }

    public bool TryGetClass(GrainType grainType, out GrainClassMetadata metadata)
    {
        if (_classes.TryGetValue(grainType, out metadata!))
        {
            return true;
        }

        if (!GrainMetadataRegistry.TryGetClass(grainType, out metadata))
        {
            return false;
        }

        _classes[grainType] = metadata;
        return true;
    }

    /// <summary>
    /// Deactivates every activation (graceful shutdown) and waits for them. From here on no activation
    /// is created: a call to a grain not active here fails with <see cref="SiloUnavailableException"/>
    /// (as in Orleans), instead of activating it again in a stopping silo (a region reactivated by a
    /// late notice rebuilt itself from every job row while the host was shutting down).
    /// </summary>
    public async Task DeactivateAllAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _stopping = true;
        var all = AllActivations().ToList();
        foreach (var activation in all)
        {
            activation.StartDeactivation(reason);
        }

        await Task.WhenAll(all.Select(a => a.Deactivated)).WaitAsync(cancellationToken);
    }
}

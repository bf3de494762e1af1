using System.Collections.Concurrent;
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
    private readonly SiloRuntime _runtime;
    private readonly ConcurrentDictionary<GrainId, ActivationData> _activations = new();
    private readonly ConcurrentDictionary<GrainId, StatelessWorkerGroup> _workerGroups = new();
    private readonly ConcurrentDictionary<GrainType, GrainClassMetadata> _classes = new();
    private int _count;

    public Catalog(SiloRuntime runtime)
    {
        _runtime = runtime;
        runtime.Catalog = this;
    }

    /// <summary>Activations (including stateless workers) currently in the catalog.</summary>
    public int Count => Volatile.Read(ref _count);

    public bool TryGetActivation(GrainId grainId, out ActivationData activation) => _activations.TryGetValue(grainId, out activation!);

    public bool TryGetWorkerGroup(GrainId grainId, out StatelessWorkerGroup group) => _workerGroups.TryGetValue(grainId, out group!);

    public IEnumerable<ActivationData> AllActivations()
    {
        foreach (var activation in _activations.Values)
        {
            yield return activation;
        }

        foreach (var group in _workerGroups.Values)
        {
            foreach (var worker in group.Workers)
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
        message.ForwardCount++;
        if (message.ForwardCount > _runtime.Messaging.MaxForwardCount)
        {
            RuntimeLog.ForwardLimit(_runtime.Logger, message.Body.ToString(), message.TargetGrain, message.ForwardCount);
            message.Body.TryFail(new InvalidOperationException($"{message} was forwarded more than {_runtime.Messaging.MaxForwardCount} times."));
            return;
        }

        Deliver(message);
    }

    public void OnActivationCreated(ActivationData activation)
    {
        Interlocked.Increment(ref _count);
        _runtime.Instruments.ActivationAdded(activation.GrainId.Type);
    }

    public void OnActivationRemoved(ActivationData activation, DeactivationReason reason)
    {
        if (activation.Metadata.IsStatelessWorker)
        {
            if (_workerGroups.TryGetValue(activation.GrainId, out var group))
            {
                group.Remove(activation);
            }
        }
        else
        {
            _activations.TryRemove(new KeyValuePair<GrainId, ActivationData>(activation.GrainId, activation));
        }

        Interlocked.Decrement(ref _count);
        _runtime.Instruments.ActivationRemoved(activation.GrainId.Type, reason.ReasonCode);
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

    /// <summary>Deactivates every activation (graceful shutdown) and waits for them.</summary>
    public async Task DeactivateAllAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        var all = AllActivations().ToList();
        foreach (var activation in all)
        {
            activation.StartDeactivation(reason);
        }

        await Task.WhenAll(all.Select(a => a.Deactivated)).WaitAsync(cancellationToken);
    }
}

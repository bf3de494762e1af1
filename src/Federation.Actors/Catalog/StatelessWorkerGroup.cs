using Federation.Actors.Invocation;
using Federation.Actors.Messaging;
using Federation.Actors.Placement;

namespace Federation.Actors.Catalog;

/// <summary>
/// The local pool of a [StatelessWorker] grain id: up to MaxLocal activations, none in the directory.
/// A message goes to the first inactive worker, else to a new worker while below the limit, else to
/// the worker with the fewest waiting requests. Workers idle for the configured number of inspections
/// are removed (one is kept; normal idle collection takes it later).
/// </summary>
internal sealed class StatelessWorkerGroup
{
    private readonly Lock _lock = new();
    private readonly SiloRuntime _runtime;
    private readonly GrainClassMetadata _metadata;
    private readonly StatelessWorkerPlacement _placement;
    private readonly List<ActivationData> _workers = new();
    private readonly Dictionary<ActivationData, int> _idleCycles = new();
    private ActivationData[] _snapshot = [];

    public StatelessWorkerGroup(SiloRuntime runtime, GrainClassMetadata metadata, GrainId grainId)
    {
        _runtime = runtime;
        _metadata = metadata;
        _placement = (StatelessWorkerPlacement)metadata.Placement;
        GrainId = grainId;
    }

    public GrainId GrainId { get; }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _workers.Count;
            }
        }
    }

    public IReadOnlyList<ActivationData> Workers
    {
        get
        {
            lock (_lock)
            {
                return _workers.ToArray();
            }
        }
    }

    public void Deliver(Message message)
    {
        while (true)
        {
            var worker = Choose();
            if (worker is null)
            {
                _runtime.Catalog.RejectStopping(message);
                return;
            }

            if (worker.TryEnqueue(message))
            {
                return;
            }

            Remove(worker);
        }
    }

    public void Remove(ActivationData worker)
    {
        lock (_lock)
        {
            _workers.Remove(worker);
            _idleCycles.Remove(worker);
            Volatile.Write(ref _snapshot, _workers.ToArray());
        }
    }

    /// <summary>One inspection: count idle cycles and deactivate workers idle long enough, keeping one.</summary>
    public void Inspect()
    {
        if (!_placement.RemoveIdleWorkers)
        {
            return;
        }

        List<ActivationData>? remove = null;
        lock (_lock)
        {
            // Workers already deactivating are on their way out; count only the ones that stay.
            var keep = _workers.Count(w => w.State is not (ActivationState.Deactivating or ActivationState.Invalid));
            foreach (var worker in _workers)
            {
                if (!worker.IsInactive)
                {
                    _idleCycles[worker] = 0;
                    continue;
                }

                var cycles = _idleCycles.TryGetValue(worker, out var c) ? c + 1 : 1;
                _idleCycles[worker] = cycles;
                if (cycles > _runtime.Workers.MinIdleCyclesBeforeRemoval && keep > 1)
                {
                    keep--;
                    (remove ??= new List<ActivationData>()).Add(worker);
                }
            }
        }

        if (remove is not null)
        {
            foreach (var worker in remove)
            {
                worker.StartDeactivation(new DeactivationReason(DeactivationReasonCode.ActivationIdle, "Idle stateless worker removed."));
            }
        }
    }

    private ActivationData? Choose()
    {
        // Lock-free first pass over a snapshot with unlocked hints: delivering to the pool must not queue
        // every caller on the group's lock and each worker's turn lock. TryEnqueue decides for certain.
        var workers = Volatile.Read(ref _snapshot);
        if (workers.Length >= _placement.MaxLocal)
        {
            ActivationData? leastBusy = null;
            var fewest = int.MaxValue;
            foreach (var worker in workers)
            {
                if (worker.IsInactiveHint)
                {
                    return worker;
                }

                var waiting = worker.WaitingCountHint;
                if (waiting < fewest && worker.IsRoutableHint)
                {
                    fewest = waiting;
                    leastBusy = worker;
                }
            }

            if (leastBusy is not null)
            {
                return leastBusy;
            }
        }

        return ChooseLocked();
    }

    /// <summary>The worker to use; null only when the silo is stopping and no worker is left to take it.</summary>
    private ActivationData? ChooseLocked()
    {
        lock (_lock)
        {
            ActivationData? leastBusy = null;
            var fewest = int.MaxValue;
            foreach (var worker in _workers)
            {
                if (worker.IsInactive)
                {
                    return worker;
                }

                var waiting = worker.WaitingCount;
                if (waiting < fewest && worker.IsRoutable)
                {
                    fewest = waiting;
                    leastBusy = worker;
                }
            }

            if (_runtime.Catalog.IsStopping)
            {
                // No new worker in a stopping silo (as for any other activation).
                return leastBusy;
            }

            if (_workers.Count < _placement.MaxLocal || leastBusy is null)
            {
                var created = new ActivationData(_runtime, _metadata, GrainId, this);
                _workers.Add(created);
                Volatile.Write(ref _snapshot, _workers.ToArray());
                _runtime.Catalog.OnActivationCreated(created);
                return created;
            }

            return leastBusy;
        }
    }
}

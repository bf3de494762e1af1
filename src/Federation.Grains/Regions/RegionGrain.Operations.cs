using System.Collections.Immutable;
using Federation.Contracts;
using Federation.Grains.Audit;
using Federation.Grains.Diagnostics;
using Federation.Grains.Execution;
using Federation.Grains.Jobs;
using Federation.Grains.Model;
using Federation.Scheduling;

namespace Federation.Grains.Regions;

/// <summary>Operator actions, the rebuild from job rows, views and estimates.</summary>
public sealed partial class RegionGrain
{
    public async Task<RegionView> SetOfferAsync(OfferView offer, long? ifVersion = null)
    {
        ArgumentNullException.ThrowIfNull(offer);
        CheckVersion(ifVersion);
        if (OfferRules.Validate(_baseModel, DomainMapping.ToModel(offer.Accelerators), offer.From, offer.Until, offer.ReclaimGraceSeconds) is { Count: > 0 } errors)
        {
            throw new ArgumentException($"offer of {Id}: {string.Join("; ", errors)}", nameof(offer));
        }

        var config = _config.State;
        var (before, version) = (config.Offer, config.Version);
        config.Offer = offer;
        config.Version++;
        await _audit.WriteAsync(
            _config,
            _audit.Entry(AuditActions.RegionOffer, "region/" + Id, Id, before, offer),
            () => (config.Offer, config.Version) = (before, version));

        // The offer sizes the scheduler's per-pool external limits: rebuild it around the same jobs, and hand
        // back queued external jobs the new offer no longer covers.
        Remodel($"the new offer of {Id}");
        return BuildView();
    }

    /// <summary>The pools' sizes when they are not the megaregion file's (read from Slurm), for routers' estimates; empty otherwise.</summary>
    private ImmutableArray<int> _poolSizes = [];

    public Task<RegionView> SetCapacityAsync(ImmutableDictionary<string, int> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var pools = _baseModel.Pools;
        var changed = false;
        var builder = pools.ToBuilder();
        for (var i = 0; i < pools.Length; i++)
        {
            if (counts.TryGetValue(pools[i].Type, out var count) && count >= 0 && count != pools[i].Count)
            {
                builder[i] = pools[i] with { Count = count };
                changed = true;
            }
        }

        if (changed)
        {
            // Running jobs keep their accelerators (a pool that shrank below them starts nothing until they end);
            // queued jobs the smaller pools can no longer run go back to the router.
            _baseModel = _baseModel with { Pools = builder.MoveToImmutable() };
            _poolSizes = [.. _baseModel.Pools.Select(static p => p.Count)];
            Remodel($"{Id}'s capacity as its Slurm reports it");
            PublishLoad(force: true);
        }

        return Task.FromResult(BuildView());
    }

    private void CheckVersion(long? ifVersion)
    {
        if (ifVersion is { } expected && expected != _config.State.Version)
        {
            throw new RegionChangedException(Id, expected, _config.State.Version);
        }
    }

    /// <summary>Rebuilds the scheduler around the same jobs for a new model (offer, capacity); hands back queued jobs it can no longer run.</summary>
    private void Remodel(string because)
    {
        var queued = new List<Entry>(_scheduler.QueuedCount);
        for (var i = 0; i < _scheduler.QueuedCount; i++)
        {
            queued.Add(_byTicket[_scheduler.QueuedAt(i).Ticket]);
        }

        _scheduler = new RegionScheduler(CurrentModel(), _options.Scheduler);
        _byTicket.Clear();
        _queuedWork = 0;
        foreach (var entry in _entries.Values)
        {
            if (entry.Running)
            {
                RestoreRunning(entry);
            }
        }

        var nowS = _clock.NowSeconds;
        foreach (var entry in queued)
        {
            var failure = _scheduler.Check(entry.Spec, nowS, out var mask);
            if (failure != ConstraintFailure.None)
            {
                _entries.Remove(entry.JobId);
                _unconfirmed.Remove(entry);
                NotifyReleased(entry.JobId, $"{because}: {HardConstraints.Describe(failure)}");
                continue;
            }

            Enqueue(entry, mask, nowS);
        }

        RunSchedule();
    }

    public async Task<RegionView> SetDrainAsync(DrainRequest request, long? ifVersion = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        CheckVersion(ifVersion);
        var config = _config.State;
        var before = new DrainRequest { Drain = config.Draining, RequeueQueued = config.RequeueQueued };
        var version = config.Version;
        config.Draining = request.Drain;
        config.RequeueQueued = request.RequeueQueued;
        config.Version++;
        await _audit.WriteAsync(
            _config,
            _audit.Entry(AuditActions.RegionDrain, "region/" + Id, Id, before, request),
            () => (config.Draining, config.RequeueQueued, config.Version) = (before.Drain, before.RequeueQueued, version));
        if (request.Drain && request.RequeueQueued)
        {
            ReleaseQueued($"{Id} is draining");
        }

        RunSchedule();
        PublishLoad(force: true);
        return BuildView();
    }

    public Task<RegionEstimate> GetEstimateAsync(int tailJobs)
    {
        var running = new List<RunningAllocation>(_scheduler.RunningCount);
        for (var p = 0; p < _baseModel.Pools.Length; p++)
        {
            _scheduler.CopyRunning(p, running);
        }

        var runningSlots = ImmutableArray.CreateBuilder<RunningSlot>(running.Count);
        foreach (var r in running)
        {
            runningSlots.Add(new RunningSlot { Pool = r.Pool, Count = r.Count, External = r.External, EstimatedEndSeconds = r.EstimatedEndS });
        }

        var n = _scheduler.QueuedCount;
        var head = Math.Min(n, _scheduler.Options.EstimateDepth);
        var tail = Math.Clamp(tailJobs, 0, n - head);
        var queued = ImmutableArray.CreateBuilder<QueuedSlot>(head + 2 + tail);
        for (var i = 0; i < head; i++)
        {
            queued.Add(Slot(i, withJob: i >= n - tailJobs));
        }

        if (n - tail > head)
        {
            // The middle of the queue only adds its work to the estimate: one summed slot carries it.
            var work = _queuedWork;
            for (var i = 0; i < head; i++)
            {
                work -= QueuedWorkAt(i);
            }

            for (var i = n - tail; i < n; i++)
            {
                work -= QueuedWorkAt(i);
            }

            queued.Add(new QueuedSlot { Count = 1, DurationSeconds = Math.Max(0, work), Priority = _scheduler.QueuedAt(head).Job.Priority, PoolMask = FirstPoolMask() });
        }

        for (var i = n - tail; i < n; i++)
        {
            queued.Add(Slot(i, withJob: true));
        }

        if (tailJobs == 0 && _staging > 0)
        {
            // Jobs whose data is in transit will join the queue soon: a router counts their work, summed
            // into one slot so that an estimate stays O(head of the queue) however many are in transit.
            queued.Add(new QueuedSlot { Count = 1, DurationSeconds = _stagingWork, Priority = int.MinValue, PoolMask = FirstPoolMask() });
        }

        return Task.FromResult(new RegionEstimate
        {
            RegionId = Id,
            At = _clock.Now,
            Offer = DomainMapping.ToView(_scheduler.Region.Offer),
            Draining = _config.State.Draining,
            Running = runningSlots.MoveToImmutable(),
            Queued = queued.ToImmutable(),
            QueuedJobs = n + _staging,
            PoolSizes = _poolSizes,
        });
    }

    private QueuedSlot Slot(int index, bool withJob)
    {
        var q = _scheduler.QueuedAt(index);
        var entry = _byTicket[q.Ticket];
        return new QueuedSlot
        {
            JobId = withJob ? entry.JobId : null,
            Job = withJob ? DomainMapping.ToRequest(entry.Spec) : null,
            Count = q.Job.AcceleratorCount,
            DurationSeconds = q.Job.EstimatedDurationS,
            Priority = q.Job.Priority,
            External = q.External,
            PoolMask = _scheduler.QueuedMaskAt(index),
            SubmittedAt = entry.SubmittedAt,
        };
    }

    private static int FirstPoolMask() => 1;

    private double QueuedWorkAt(int index)
    {
        var job = _scheduler.QueuedAt(index).Job;
        return job.AcceleratorCount * job.EstimatedDurationS;
    }

    private void ReleaseQueued(string reason)
    {
        var released = new List<Entry>();
        foreach (var entry in _entries.Values)
        {
            if (!entry.Running)
            {
                released.Add(entry);
            }
        }

        foreach (var entry in released)
        {
            Remove(entry);
            NotifyReleased(entry.JobId, reason);
        }
    }

    private RegionView BuildView()
    {
        var pools = ImmutableArray.CreateBuilder<PoolView>(_baseModel.Pools.Length);
        for (var p = 0; p < _baseModel.Pools.Length; p++)
        {
            var pool = _baseModel.Pools[p];
            pools.Add(new PoolView
            {
                Type = pool.Type,
                Count = pool.Count,
                Busy = _scheduler.PoolBusy(p),
                ExternalBusy = _scheduler.PoolExternalBusy(p),
                PetaflopsPerUnit = pool.PetaflopsPerUnit,
                MemoryGb = pool.MemoryGb,
            });
        }

        return new RegionView
        {
            Id = Id,
            Name = _baseModel.Name,
            Pools = pools.MoveToImmutable(),
            RunningJobs = _scheduler.RunningCount,
            QueuedJobs = _scheduler.QueuedCount + _staging,
            QueuedDemand = QueuedDemand(),
            Offer = DomainMapping.ToView(OperatorModel().Offer),
            Utilization = _scheduler.Capacity == 0 ? 0 : (double)_scheduler.Busy / _scheduler.Capacity,
            Draining = _config.State.Draining,
            StoragePb = _baseModel.StoragePb,
            TotalPetaflops = _baseModel.TotalPetaflops,
            Illustrative = _baseModel.Illustrative,
            HostSilo = _silos.LocalSiloName,
            Away = _away,
            Version = _config.State.Version,
            Preemptions = _config.State.Preemptions,
            ReturnedCapacity = [.. _config.State.Returned],
        };
    }

    private long QueuedDemand() => _scheduler.QueuedDemand + _stagingDemand;

    private RegionLoad BuildLoad()
    {
        var offered = 0;
        var externalBusy = 0;
        for (var p = 0; p < _baseModel.Pools.Length; p++)
        {
            offered += Math.Min(_baseModel.Pools[p].Count, _scheduler.Region.Offer.CountFor(_baseModel.Pools[p].Type));
            externalBusy += _scheduler.PoolExternalBusy(p);
        }

        return new RegionLoad
        {
            Id = Id,
            Capacity = _scheduler.Capacity,
            Busy = _scheduler.Busy,
            QueuedDemand = QueuedDemand(),
            QueuedJobs = _scheduler.QueuedCount + _staging,
            Offered = offered,
            ExternalBusy = externalBusy,
            Utilization = _scheduler.Capacity == 0 ? 0 : (double)_scheduler.Busy / _scheduler.Capacity,
            Draining = _config.State.Draining,
            HostSilo = _silos.LocalSiloName,
            Away = _away,
        };
    }

    private void MarkLoadChanged()
    {
        UpdateGauges();
        _loadDirty = true;
        if (_options.LoadPublishInterval == TimeSpan.Zero
            || _runtimeTime.GetElapsedTime(_lastPublishTimestamp) >= _options.LoadPublishInterval)
        {
            PublishLoad(force: false);
        }
    }

    private Task PublishIfDirty()
    {
        if (_loadDirty)
        {
            PublishLoad(force: false);
        }

        return Task.CompletedTask;
    }

    /// <summary>Sends the load to the megaregion (one-way) when it differs from what was last sent.</summary>
    private void PublishLoad(bool force)
    {
        _loadDirty = false;
        _lastPublishTimestamp = _runtimeTime.GetTimestamp();
        var load = BuildLoad();
        if (!force && load == _published)
        {
            return;
        }

        _published = load;
        _ = _grains.Megaregion.ReportLoadAsync(load);
    }
}

using Federation.Contracts;
using Federation.Grains.Model;
using Federation.Scheduling;

namespace Federation.Grains.Model;

/// <summary>
/// A scheduler rebuilt from a region's <see cref="RegionEstimate"/>: the same <see cref="RegionScheduler"/>
/// code the region runs, so a router's and the rebalancer's expected starts are the region's own.
/// </summary>
internal static class EstimatorCopy
{
    /// <summary>Builds the copy; the queued jobs it carries are checked against <paramref name="residency"/> when the rebalancer plans their moves.</summary>
    public static RegionScheduler Build(Scheduling.Region baseModel, RegionEstimate estimate, double nowS, ResidencyPolicy residency, SchedulerOptions? options = null)
    {
        var model = baseModel with { Offer = DomainMapping.ToModel(estimate.Offer) };
        if (!estimate.PoolSizes.IsDefaultOrEmpty && estimate.PoolSizes.Length == model.Pools.Length)
        {
            // The region's pools as it sizes them now (read from its Slurm), not as the megaregion file does.
            var pools = model.Pools.ToBuilder();
            for (var i = 0; i < pools.Count; i++)
            {
                pools[i] = pools[i] with { Count = estimate.PoolSizes[i] };
            }

            model = model with { Pools = pools.MoveToImmutable() };
        }

        var scheduler = new RegionScheduler(model, options);
        long ticket = 0;
        foreach (var r in estimate.Running)
        {
            scheduler.RestoreRunning(--ticket, r.Pool, r.Count, r.External, r.EstimatedEndSeconds);
        }

        for (var i = 0; i < estimate.Queued.Length; i++)
        {
            var q = estimate.Queued[i];
            var spec = q.Job is { } job && q.JobId is { } id
                ? DomainMapping.ToSpec(id, job, residency)
                : DomainMapping.ShapeOnly(model.Id, q.Count, q.DurationSeconds, q.Priority, q.External);
            scheduler.EnqueueChecked(i + 1, spec, nowS, q.External, q.PoolMask == 0 ? 1 : q.PoolMask);
        }

        return scheduler;
    }
}

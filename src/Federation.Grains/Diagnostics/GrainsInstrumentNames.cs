namespace Federation.Grains.Diagnostics;

/// <summary>
/// Names of the grains' instruments (one Meter: <see cref="MeterName"/>) and of their tags. Tags carry only region ids
/// and accelerator types, both bounded by the megaregion, so every instrument has a bounded number of series.
/// </summary>
public static class GrainsInstrumentNames
{
    public const string MeterName = "Federation.Grains";
    public const string JobsSubmitted = "federation.jobs.submitted";
    public const string JobsFinished = "federation.jobs.finished";

    /// <summary>Placements a router made, tagged <see cref="RegionTag"/> (where the job went).</summary>
    public const string Placements = "federation.placements";

    /// <summary>Admissions a region refused, tagged <see cref="RegionTag"/> (the region that refused).</summary>
    public const string PlacementRefusals = "federation.placement.refusals";

    /// <summary>How long the router took to place one job (decision and admissions), in seconds.</summary>
    public const string PlacementDuration = "federation.placement.duration";

    /// <summary>Jobs placed outside their home region, tagged <see cref="RegionTag"/> and <see cref="HomeRegionTag"/>.</summary>
    public const string Overflows = "federation.overflows";

    /// <summary>Queued jobs the rebalancer moved, tagged <see cref="FromRegionTag"/> and <see cref="RegionTag"/> (the target).</summary>
    public const string Moves = "federation.rebalancer.moves";

    /// <summary>Lent jobs preempted by the region that reclaimed its accelerators, tagged <see cref="RegionTag"/> (that region).</summary>
    public const string Preemptions = "federation.preemptions";

    public const string SnapshotRefreshes = "federation.router.snapshot.refreshes";

    /// <summary>Jobs waiting in a region (queued, or staged until their data arrives), per <see cref="RegionTag"/>.</summary>
    public const string QueueLength = "federation.region.queue.length";

    /// <summary>Accelerators the jobs waiting in a region ask for, per <see cref="RegionTag"/>.</summary>
    public const string QueueDemand = "federation.region.queue.demand";

    /// <summary>Jobs running in a region, per <see cref="RegionTag"/>.</summary>
    public const string RunningJobs = "federation.region.jobs.running";

    /// <summary>Busy accelerators, per <see cref="RegionTag"/> and <see cref="TypeTag"/>.</summary>
    public const string AcceleratorsBusy = "federation.region.accelerators.busy";

    /// <summary>Installed accelerators, per <see cref="RegionTag"/> and <see cref="TypeTag"/>.</summary>
    public const string AcceleratorsCapacity = "federation.region.accelerators.capacity";

    /// <summary>Busy over installed accelerators (0 to 1), per <see cref="RegionTag"/> and <see cref="TypeTag"/>.</summary>
    public const string Utilization = "federation.region.utilization";

    /// <summary>A region id of the megaregion.</summary>
    public const string RegionTag = "region";

    /// <summary>The region a job was submitted from.</summary>
    public const string HomeRegionTag = "home_region";

    /// <summary>The region a moved job left.</summary>
    public const string FromRegionTag = "from_region";

    /// <summary>An accelerator type (H100, MI300X, ...).</summary>
    public const string TypeTag = "type";
}

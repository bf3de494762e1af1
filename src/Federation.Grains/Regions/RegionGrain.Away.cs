using Federation.Grains.Diagnostics;
using Orleans;
using Orleans.Runtime;

namespace Federation.Grains.Regions;

/// <summary>
/// A region away from home: its grain was activated on a silo of another region because no silo of its own was alive
/// (its datacenter is cut off, its silo died or hangs). Its accelerators are out of reach, so it starts nothing: what it
/// admits waits in its queue (the router sends it only jobs that no reachable region may run, and says why), the jobs
/// its rows say are running keep their accelerators without being re-attached, and the rebalancer may move queued jobs
/// out. Every <see cref="Hosting.FederationGrainsOptions.HomeCheckPeriod"/> it looks for a silo of its region; when one is
/// active it migrates there (placement by <see cref="Cluster.RegionAffinityPlacement"/> again), where
/// the rebuild from the committed rows re-attaches the running jobs to the region's executor: none runs twice, none
/// is forgotten.
/// </summary>
public sealed partial class RegionGrain
{
    private bool _away;

    /// <summary>Whether this activation runs away from the region's own silos.</summary>
    internal bool Away => _away;

    private void WatchForHome()
    {
        GrainsLog.RegionAway(_logger, Id, _silos.LocalSilo.ToString());
        this.RegisterGrainTimer(static (g, _) => g.CheckHomeAsync(), this, _options.HomeCheckPeriod, _options.HomeCheckPeriod);
    }

    private Task CheckHomeAsync()
    {
        var home = _silos.ActiveSilosOf(Id);
        if (!home.IsEmpty)
        {
            GrainsLog.RegionGoingHome(_logger, Id, home[0].ToString(), _silos.LocalSilo.ToString());
            // Migration runs placement again (the director picks the home silo) and moves the directory entry with the
            // activation; a plain deactivation would be re-created here by the next call that still has this address.
            this.MigrateOnIdle();
        }

        return Task.CompletedTask;
    }
}

using System.Collections.Immutable;

namespace Federation.Scheduling;

/// <summary>What a job asks for. Every multi-accelerator job is a gang: all or nothing, in one pool of one region.</summary>
/// <param name="Id">Job id.</param>
/// <param name="Project">Project the job is charged to.</param>
/// <param name="Owner">Submitting user.</param>
/// <param name="HomeRegion">Region the job was submitted from.</param>
/// <param name="AcceleratorCount">Accelerators needed (&gt; 0).</param>
/// <param name="AcceptableTypes">Accelerator types the job can use; empty means any.</param>
/// <param name="MinMemoryGb">Minimum memory per accelerator, GB (0 = no requirement).</param>
/// <param name="EstimatedDurationS">The user's estimate of the run time, seconds (used for reservations and backfill).</param>
/// <param name="DatasetRegion">Region holding the job's dataset.</param>
/// <param name="DatasetSizeGb">Dataset size, GB.</param>
/// <param name="AllowedRegions">Regions the job may run in (data residency); empty means any.</param>
/// <param name="Priority">Higher runs first; equal priorities are FIFO.</param>
public sealed record JobSpec(
    string Id,
    string Project,
    string Owner,
    string HomeRegion,
    int AcceleratorCount,
    ImmutableArray<string> AcceptableTypes,
    int MinMemoryGb,
    double EstimatedDurationS,
    string DatasetRegion,
    double DatasetSizeGb,
    ImmutableArray<string> AllowedRegions,
    int Priority)
{
    /// <summary>Whether the job says what to run (a batch script): a region that runs jobs on Slurm runs only those.</summary>
    public bool HasScript { get; init; }

    /// <summary>
    /// The signal the job's script traps to write a checkpoint and exit (<c>USR1</c>, <c>TERM</c>, ...), sent when a region
    /// takes back the lent accelerators it runs on; null when the job asked for none (it is then stopped at the reclaim
    /// time without a signal).
    /// </summary>
    public string? CheckpointSignal { get; init; }

    /// <summary>
    /// Whether the job's project had no allocation hours left for it when it was placed (issue 16): it runs only on
    /// spare capacity, queuing behind every job that is not over allocation and preempted first
    /// (<see cref="RegionScheduler.PlanReclaim"/>).
    /// </summary>
    public bool OverAllocation { get; init; }

    /// <summary>The residency class of the job's dataset; null when it has none (then only <see cref="AllowedRegions"/> constrain it).</summary>
    public string? ResidencyClass { get; init; }

    /// <summary>
    /// The regions <see cref="ResidencyClass"/> allows, as the policy said when the spec was made (a class the policy did
    /// not know allows none); ignored when the job has no class.
    /// </summary>
    public ImmutableArray<string> ResidencyRegions { get; init; } = [];

    /// <summary>Multi-accelerator jobs are gangs.</summary>
    public bool IsGang => AcceleratorCount > 1;

    /// <summary>Whether the job accepts accelerators of <paramref name="type"/>.</summary>
    public bool Accepts(string type)
    {
        if (AcceptableTypes.IsDefaultOrEmpty)
        {
            return true;
        }

        foreach (var t in AcceptableTypes)
        {
            if (string.Equals(t, type, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the job may run in <paramref name="regionId"/>.</summary>
    public bool MayRunIn(string regionId)
    {
        if (AllowedRegions.IsDefaultOrEmpty)
        {
            return true;
        }

        foreach (var r in AllowedRegions)
        {
            if (string.Equals(r, regionId, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the job's residency class (if any) allows <paramref name="regionId"/>.</summary>
    public bool ResidencyAllows(string regionId)
    {
        if (ResidencyClass is null)
        {
            return true;
        }

        foreach (var r in ResidencyRegions)
        {
            if (string.Equals(r, regionId, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}

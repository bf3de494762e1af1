namespace Federation.Scheduling;

/// <summary>Which hard constraint excluded a region; <see cref="None"/> means the region is feasible.</summary>
public enum ConstraintFailure
{
    None = 0,

    /// <summary>The job's allowed regions (data residency) exclude the region.</summary>
    RegionNotAllowed,

    /// <summary>No pool of an acceptable accelerator type.</summary>
    NoAcceptableType,

    /// <summary>Pools of an acceptable type have too little memory per accelerator.</summary>
    InsufficientMemory,

    /// <summary>The gang does not fit in any single matching pool.</summary>
    GangTooLarge,

    /// <summary>The job is from another region and the region's offer does not lend enough accelerators of a matching type.</summary>
    NotOffered,

    /// <summary>The job is from another region and falls outside the offer's time window.</summary>
    OutsideOfferWindow,

    /// <summary>No network path from the dataset's region.</summary>
    NoLink,

    /// <summary>The region runs batch scripts (on its Slurm) and the job has none.</summary>
    NoScript,

    /// <summary>The residency class of the job's dataset does not allow the region.</summary>
    ResidencyNotAllowed,
}

/// <summary>The hard constraints of placement, as pure checks.</summary>
public static class HardConstraints
{
    /// <summary>Largest number of pools a region may have (pool sets are bit masks).</summary>
    public const int MaxPoolsPerRegion = 32;

    /// <summary>
    /// Checks <paramref name="job"/> against <paramref name="region"/>. <paramref name="poolMask"/> gets the
    /// pools (bit i = pool i) the job may use there. When several pools fail for different reasons, the
    /// reported failure is the one of the pool that got furthest through the checks.
    /// </summary>
    public static ConstraintFailure Check(JobSpec job, Region region, double nowS, out int poolMask)
    {
        poolMask = 0;
        if (!job.MayRunIn(region.Id))
        {
            return ConstraintFailure.RegionNotAllowed;
        }

        if (!job.ResidencyAllows(region.Id))
        {
            return ConstraintFailure.ResidencyNotAllowed;
        }

        if (region.RequiresScript && !job.HasScript)
        {
            return ConstraintFailure.NoScript;
        }

        var external = !string.Equals(job.HomeRegion, region.Id, StringComparison.Ordinal);
        var best = ConstraintFailure.NoAcceptableType;
        var pools = region.Pools;
        for (var i = 0; i < pools.Length; i++)
        {
            var p = pools[i];
            if (!job.Accepts(p.Type))
            {
                continue;
            }

            if (p.MemoryGb < job.MinMemoryGb)
            {
                best = Furthest(best, ConstraintFailure.InsufficientMemory);
                continue;
            }

            if (job.AcceleratorCount > p.Count)
            {
                best = Furthest(best, ConstraintFailure.GangTooLarge);
                continue;
            }

            if (external)
            {
                if (job.AcceleratorCount > region.Offer.CountFor(p.Type))
                {
                    best = Furthest(best, ConstraintFailure.NotOffered);
                    continue;
                }

                if (nowS >= region.Offer.WindowEndS ||
                    (!region.Offer.Preemptible && Math.Max(nowS, region.Offer.WindowStartS) + job.EstimatedDurationS > region.Offer.WindowEndS))
                {
                    best = Furthest(best, ConstraintFailure.OutsideOfferWindow);
                    continue;
                }
            }

            poolMask |= 1 << i;
        }

        return poolMask != 0 ? ConstraintFailure.None : best;
    }

    /// <summary>Convenience overload without the pool mask.</summary>
    public static ConstraintFailure Check(JobSpec job, Region region, double nowS) => Check(job, region, nowS, out _);

    /// <summary>Human-readable reason for a failure, for placement explanations.</summary>
    public static string Describe(ConstraintFailure failure) => failure switch
    {
        ConstraintFailure.None => "feasible",
        ConstraintFailure.RegionNotAllowed => "not in the job's allowed regions",
        ConstraintFailure.NoAcceptableType => "no accelerator of an acceptable type",
        ConstraintFailure.InsufficientMemory => "accelerator memory below the job's minimum",
        ConstraintFailure.GangTooLarge => "gang larger than any matching pool",
        ConstraintFailure.NotOffered => "offer to other regions too small for the job",
        ConstraintFailure.OutsideOfferWindow => "outside the offer's time window",
        ConstraintFailure.NoLink => "no network path from the dataset's region",
        ConstraintFailure.NoScript => "runs batch scripts on its Slurm and the job has no run.script",
        ConstraintFailure.ResidencyNotAllowed => "not allowed by the residency class of the job's dataset",
        _ => failure.ToString(),
    };

    private static ConstraintFailure Furthest(ConstraintFailure a, ConstraintFailure b) => (int)a >= (int)b ? a : b;
}

using System.Collections.Immutable;

namespace Federation.Scheduling;

/// <summary>A homogeneous set of accelerators in one region: a gang is always allocated inside one pool.</summary>
/// <param name="Type">Accelerator type, e.g. <c>H100</c>, <c>A100</c>, <c>NPU-Rebellions-ATOM</c>.</param>
/// <param name="Count">Number of accelerators.</param>
/// <param name="PetaflopsPerUnit">Peak PF of one accelerator (the figure the region's total PF is built from).</param>
/// <param name="MemoryGb">Memory of one accelerator, in GB.</param>
public sealed record AcceleratorPool(string Type, int Count, double PetaflopsPerUnit, int MemoryGb);

/// <summary>How many accelerators of one type a region lends to jobs whose home is another region.</summary>
public sealed record OfferedAccelerators(string Type, int Count);

/// <summary>
/// The share of a region's capacity that jobs from other regions may use. A job from another region
/// may only run inside the offer: at most <see cref="OfferedAccelerators.Count"/> external accelerators
/// of a type at once, starting inside the window and, unless the offer is preemptible, ending inside it.
/// The window is in seconds on the scheduler's clock; <see cref="double.PositiveInfinity"/> means open-ended.
/// A preemptible offer lets the region reclaim lent accelerators for its own jobs (see
/// <see cref="SchedulerOptions.Reclaim"/>): the external job gets a checkpoint signal and
/// <see cref="ReclaimGraceS"/> seconds before its accelerators go back.
/// </summary>
public sealed record SpareCapacityOffer(
    ImmutableArray<OfferedAccelerators> Accelerators,
    double WindowStartS,
    double WindowEndS,
    bool Preemptible)
{
    /// <summary>Default for <see cref="ReclaimGraceS"/>: time for a job to write a checkpoint after the signal.</summary>
    public const double DefaultReclaimGraceS = 60;

    /// <summary>An offer that lends nothing.</summary>
    public static SpareCapacityOffer None { get; } = new([], 0, double.PositiveInfinity, false);

    /// <summary>Accelerators of <paramref name="type"/> offered (0 when the type is not offered).</summary>
    public int CountFor(string type)
    {
        var total = 0;
        foreach (var a in Accelerators)
        {
            if (string.Equals(a.Type, type, StringComparison.Ordinal))
            {
                total += a.Count;
            }
        }

        return total;
    }

    /// <summary>
    /// Seconds between the checkpoint signal to a lent job that is reclaimed and the moment its accelerators go
    /// back to the region (only meaningful for a <see cref="Preemptible"/> offer).
    /// </summary>
    public double ReclaimGraceS { get; init; } = DefaultReclaimGraceS;

    /// <summary>Whether an external job may start at <paramref name="startS"/> and run <paramref name="durationS"/>.</summary>
    public bool Admits(double startS, double durationS) =>
        startS >= WindowStartS && startS < WindowEndS && (Preemptible || startS + durationS <= WindowEndS);
}

/// <summary>One regional datacenter.</summary>
/// <param name="Id">Stable id, e.g. <c>gwangju</c>.</param>
/// <param name="Name">Display name.</param>
/// <param name="Pools">Accelerator pools; at most one pool per type.</param>
/// <param name="StoragePb">Storage, PB.</param>
/// <param name="Illustrative">True when the figures are illustrative rather than published.</param>
/// <param name="Offer">The spare-capacity offer to jobs from other regions.</param>
public sealed record Region(
    string Id,
    string Name,
    ImmutableArray<AcceleratorPool> Pools,
    double StoragePb,
    bool Illustrative,
    SpareCapacityOffer Offer)
{
    /// <summary>Free-text note on where the figures come from.</summary>
    public string Notes { get; init; } = "";

    /// <summary>Whether the region runs jobs as batch scripts (its executor is Slurm): a job without one cannot run here.</summary>
    public bool RequiresScript { get; init; }

    /// <summary>Total accelerators over all pools.</summary>
    public int TotalAccelerators
    {
        get
        {
            var n = 0;
            foreach (var p in Pools)
            {
                n += p.Count;
            }

            return n;
        }
    }

    /// <summary>Total peak PF over all pools.</summary>
    public double TotalPetaflops
    {
        get
        {
            var pf = 0.0;
            foreach (var p in Pools)
            {
                pf += p.Count * p.PetaflopsPerUnit;
            }

            return pf;
        }
    }
}

/// <summary>A network link between two regions (symmetric).</summary>
public sealed record Link(string A, string B, double LatencyMs, double BandwidthGbps);

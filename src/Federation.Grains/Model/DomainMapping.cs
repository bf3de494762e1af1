using System.Collections.Immutable;
using Federation.Contracts;
using Federation.Grains.Execution;
using Federation.Scheduling;

namespace Federation.Grains.Model;

/// <summary>Conversions between the wire records and the scheduling model.</summary>
public static class DomainMapping
{
    public const double SecondsPerHour = 3600;

    /// <summary>
    /// What an estimate (<see cref="ToRequest"/>) carries for a job with a script: the estimate is about the job's shape,
    /// and the script's text is no part of it, only that there is one (a region that runs scripts may take the job).
    /// </summary>
    private static readonly JobRun ScriptNotCopied = new() { Script = "#! (a region's estimate carries no script text)" };

    /// <summary>
    /// The job in the scheduling model's terms, under the residency policy <paramref name="residency"/>: its dataset's
    /// class allows the regions the policy says now (a class it does not know allows none).
    /// </summary>
    public static JobSpec ToSpec(string jobId, JobRequest job, ResidencyPolicy residency)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(residency);
        var spec = ToSpecIgnoringResidency(jobId, job);
        return job.Dataset?.Residency is { } className
            ? spec with { ResidencyClass = className, ResidencyRegions = residency.Find(className)?.Regions ?? [] }
            : spec;
    }

    private static JobSpec ToSpecIgnoringResidency(string jobId, JobRequest job) => new(
        jobId,
        job.Project,
        job.Owner,
        job.HomeRegion,
        job.Accelerators.Count,
        job.Accelerators.Types.IsDefault ? [] : job.Accelerators.Types,
        job.Accelerators.MinMemoryGb,
        job.DurationHours * SecondsPerHour,
        string.IsNullOrEmpty(job.Dataset?.Region) ? job.HomeRegion : job.Dataset.Region,
        job.Dataset?.SizeGb ?? 0,
        job.AllowedRegions.IsDefault ? [] : job.AllowedRegions,
        job.Priority)
    {
        HasScript = job.Run is not null,
        CheckpointSignal = job.Run?.CheckpointSignal,
    };

    /// <summary>The request as the rules of <see cref="JobRules"/> see it (nothing defaulted).</summary>
    public static JobSubmission ToSubmission(JobRequest job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var accelerators = job.Accelerators ?? new AcceleratorRequest();
        return new JobSubmission(
            job.Id,
            job.Project ?? "",
            job.Owner ?? "",
            job.HomeRegion ?? "",
            accelerators.Count,
            accelerators.Types.IsDefault ? [] : accelerators.Types,
            accelerators.MinMemoryGb,
            job.DurationHours,
            job.Dataset?.Region,
            job.Dataset?.SizeGb,
            job.AllowedRegions.IsDefault ? [] : job.AllowedRegions)
        {
            Run = job.Run is { } run ? new RunSubmission(run.Script, run.Image, run.Environment, run.WorkingDirectory) { CheckpointSignal = run.CheckpointSignal } : null,
            Priority = job.Priority,
            Residency = job.Dataset?.Residency,
        };
    }

    /// <summary>An offer's accelerators as the rules of <see cref="OfferRules"/> see them.</summary>
    public static List<OfferedAccelerators> ToModel(ImmutableArray<OfferedAcceleratorsView> accelerators)
    {
        var result = new List<OfferedAccelerators>(accelerators.IsDefault ? 0 : accelerators.Length);
        if (!accelerators.IsDefault)
        {
            foreach (var a in accelerators)
            {
                result.Add(new OfferedAccelerators(a.Type, a.Count));
            }
        }

        return result;
    }

    /// <summary>The request a spec was made from (<see cref="ToSpec"/> keeps every field; a dataset in the home region with no data reads back as none).</summary>
    public static JobRequest ToRequest(JobSpec spec) => new()
    {
        Id = spec.Id,
        Project = spec.Project,
        Owner = spec.Owner,
        HomeRegion = spec.HomeRegion,
        Accelerators = new AcceleratorRequest { Count = spec.AcceleratorCount, Types = spec.AcceptableTypes, MinMemoryGb = spec.MinMemoryGb },
        DurationHours = spec.EstimatedDurationS / SecondsPerHour,
        Dataset = spec.DatasetSizeGb > 0 || spec.ResidencyClass is not null || !string.Equals(spec.DatasetRegion, spec.HomeRegion, StringComparison.Ordinal)
            ? new DatasetRef { Region = spec.DatasetRegion, SizeGb = spec.DatasetSizeGb, Residency = spec.ResidencyClass }
            : null,
        AllowedRegions = spec.AllowedRegions,
        Priority = spec.Priority,
        Run = spec.HasScript ? ScriptNotCopied : null,
    };

    /// <summary>A job of a given shape only: what an estimator copy needs for the head of a queue.</summary>
    public static JobSpec ShapeOnly(string regionId, int count, double durationS, int priority, bool external) =>
        new("", "", "", external ? "" : regionId, count, [], 0, durationS, regionId, 0, [], priority);

    public static SpareCapacityOffer ToModel(OfferView offer)
    {
        var accelerators = ImmutableArray.CreateBuilder<OfferedAccelerators>(offer.Accelerators.IsDefault ? 0 : offer.Accelerators.Length);
        if (!offer.Accelerators.IsDefault)
        {
            foreach (var a in offer.Accelerators)
            {
                accelerators.Add(new OfferedAccelerators(a.Type, a.Count));
            }
        }

        return new SpareCapacityOffer(
            accelerators.MoveToImmutable(),
            offer.From is { } from ? ExecutionClock.ToSeconds(from) : 0,
            offer.Until is { } until ? ExecutionClock.ToSeconds(until) : double.PositiveInfinity,
            offer.Preemptible)
        {
            ReclaimGraceS = offer.ReclaimGraceSeconds ?? SpareCapacityOffer.DefaultReclaimGraceS,
        };
    }

    public static OfferView ToView(SpareCapacityOffer offer)
    {
        var accelerators = ImmutableArray.CreateBuilder<OfferedAcceleratorsView>(offer.Accelerators.Length);
        foreach (var a in offer.Accelerators)
        {
            accelerators.Add(new OfferedAcceleratorsView { Type = a.Type, Count = a.Count });
        }

        return new OfferView
        {
            Accelerators = accelerators.MoveToImmutable(),
            From = offer.WindowStartS > 0 ? ExecutionClock.FromSeconds(offer.WindowStartS) : null,
            Until = double.IsPositiveInfinity(offer.WindowEndS) ? null : ExecutionClock.FromSeconds(offer.WindowEndS),
            Preemptible = offer.Preemptible,
            ReclaimGraceSeconds = offer.ReclaimGraceS,
        };
    }

    /// <summary>Whether two submissions carry the same body (the id is the key and is not compared).</summary>
    public static bool SameBody(JobRequest a, JobRequest b) =>
        string.Equals(a.Project, b.Project, StringComparison.Ordinal)
        && string.Equals(a.Owner, b.Owner, StringComparison.Ordinal)
        && string.Equals(a.HomeRegion, b.HomeRegion, StringComparison.Ordinal)
        && a.Accelerators.Count == b.Accelerators.Count
        && a.Accelerators.MinMemoryGb == b.Accelerators.MinMemoryGb
        && SameStrings(a.Accelerators.Types, b.Accelerators.Types)
        && a.DurationHours.Equals(b.DurationHours)
        && SameDataset(a.Dataset, b.Dataset)
        && SameStrings(a.AllowedRegions, b.AllowedRegions)
        && a.Priority == b.Priority
        && SameRun(a.Run, b.Run);

    private static bool SameRun(JobRun? a, JobRun? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }

        if (!string.Equals(a.Script, b.Script, StringComparison.Ordinal) || !string.Equals(a.Image, b.Image, StringComparison.Ordinal)
            || !string.Equals(a.WorkingDirectory, b.WorkingDirectory, StringComparison.Ordinal))
        {
            return false;
        }

        var ea = a.Environment ?? ImmutableDictionary<string, string>.Empty;
        var eb = b.Environment ?? ImmutableDictionary<string, string>.Empty;
        return ea.Count == eb.Count && ea.All(e => eb.TryGetValue(e.Key, out var v) && string.Equals(v, e.Value, StringComparison.Ordinal));
    }

    private static bool SameDataset(DatasetRef? a, DatasetRef? b) =>
        a is null || b is null
            ? a is null && b is null
            : string.Equals(a.Region, b.Region, StringComparison.Ordinal) && a.SizeGb.Equals(b.SizeGb) && string.Equals(a.Residency, b.Residency, StringComparison.Ordinal);

    private static bool SameStrings(ImmutableArray<string> a, ImmutableArray<string> b)
    {
        var la = a.IsDefault ? 0 : a.Length;
        var lb = b.IsDefault ? 0 : b.Length;
        if (la != lb)
        {
            return false;
        }

        for (var i = 0; i < la; i++)
        {
            if (!string.Equals(a[i], b[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}

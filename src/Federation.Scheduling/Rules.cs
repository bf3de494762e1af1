using System.Collections.Immutable;
using System.Globalization;

namespace Federation.Scheduling;

/// <summary>One rule a request broke: the field, as its JSON path (<c>accelerators.count</c>), and why.</summary>
public readonly record struct FieldError(string Field, string Message)
{
    public override string ToString() => $"{Field}: {Message}";
}

/// <summary>
/// A job as submitted, in the terms the rules check: what a researcher asked for before any default is applied
/// (the dataset is absent, not "in the home region", when none was given).
/// </summary>
public sealed record JobSubmission(
    string? Id,
    string Project,
    string Owner,
    string HomeRegion,
    int AcceleratorCount,
    ImmutableArray<string> AcceleratorTypes,
    int MinMemoryGb,
    double DurationHours,
    string? DatasetRegion,
    double? DatasetSizeGb,
    ImmutableArray<string> AllowedRegions)
{
    /// <summary>What the job runs, when it says (<c>run</c>); null when it does not.</summary>
    public RunSubmission? Run { get; init; }

    /// <summary>Higher runs first.</summary>
    public int Priority { get; init; }

    /// <summary>The residency class of the dataset (<c>dataset.residency</c>); null when it has none.</summary>
    public string? Residency { get; init; }
}

/// <summary>What a job runs, as submitted (<c>run</c>): a batch script, and where and how to run it.</summary>
public sealed record RunSubmission(string? Script, string? Image, IReadOnlyDictionary<string, string>? Environment, string? WorkingDirectory)
{
    /// <summary>The signal the script traps to checkpoint before a reclaim (<c>run.checkpointSignal</c>), or null for none.</summary>
    public string? CheckpointSignal { get; init; }
}

/// <summary>
/// What makes a job submittable in a megaregion: each field on its own, then whether some allowed region could ever
/// run the gang in one pool. The one place these rules live: the REST API checks a request with them before calling
/// any grain (and names every field at fault), and the job grain checks again before placing.
/// </summary>
public static class JobRules
{
    /// <summary>Longest accepted job id, project, owner.</summary>
    public const int MaxNameLength = 128;

    /// <summary>Longest accepted run time estimate (the time limit a backend enforces): a year.</summary>
    public const double MaxDurationHours = 8760;

    /// <summary>Largest accepted dataset, GB (100 PB: the largest center's storage is 107 PB).</summary>
    public const double MaxDatasetGb = 100_000_000;

    /// <summary>Largest accepted priority, either way.</summary>
    public const int MaxPriority = 1000;

    /// <summary>Most acceptable accelerator types a job may list.</summary>
    public const int MaxTypes = 32;

    /// <summary>Longest accepted batch script, characters.</summary>
    public const int MaxScriptLength = 64 * 1024;

    /// <summary>Most environment variables a job may set.</summary>
    public const int MaxEnvironmentVariables = 128;

    /// <summary>Longest environment variable value, characters.</summary>
    public const int MaxEnvironmentValueLength = 4096;

    /// <summary>
    /// The checkpoint signals a job may ask for (<c>run.checkpointSignal</c>), by name without <c>SIG</c>: signals a batch
    /// script can trap (not KILL or STOP), which Slurm sends to the batch script by name.
    /// </summary>
    public static readonly ImmutableArray<string> CheckpointSignals = ["USR1", "USR2", "TERM", "INT", "HUP", "QUIT", "ALRM", "CONT"];

    /// <summary>Longest container image reference or working directory, characters.</summary>
    public const int MaxPathLength = 1024;

    /// <summary>Why a job id is not usable (in a URL path segment, as a key), or null when it is.</summary>
    public static string? CheckId(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (id.Length is 0 or > MaxNameLength)
        {
            return $"must be 1 to {MaxNameLength} characters";
        }

        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':'))
            {
                return "may contain only letters, digits, '-', '_', '.' and ':'";
            }
        }

        return null;
    }

    /// <summary>Why a project or owner name is not usable (too long, control characters), or null when it is.</summary>
    public static string? CheckName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length > MaxNameLength)
        {
            return $"must be at most {MaxNameLength} characters";
        }

        return name.Any(char.IsControl) ? "must not contain control characters" : null;
    }

    /// <summary>"unknown region 'x'; the regions are a, b, c".</summary>
    public static string UnknownRegion(Megaregion megaregion, string? id)
    {
        ArgumentNullException.ThrowIfNull(megaregion);
        return $"unknown region '{id}'; the regions are {string.Join(", ", megaregion.Regions.Select(r => r.Id))}";
    }

    /// <summary>Why a priority (a job's, or a project's class) is out of range; null when it is in it.</summary>
    public static string? CheckPriority(int priority) =>
        priority is < -MaxPriority or > MaxPriority ? $"must be from {-MaxPriority} to {MaxPriority}" : null;

    /// <summary>A project's priority class as a coordinator sets it: required, in a job's range.</summary>
    public static List<FieldError> ValidateProjectPriority(int? priority)
    {
        var errors = new List<FieldError>();
        if (priority is not { } p)
        {
            errors.Add(new("priority", "is required"));
        }
        else if (CheckPriority(p) is { } error)
        {
            errors.Add(new("priority", error));
        }

        return errors;
    }

    /// <summary>Every rule the submission breaks, with no residency class defined; empty when it may be placed.</summary>
    public static List<FieldError> Validate(Megaregion megaregion, JobSubmission job) => Validate(megaregion, job, ResidencyPolicy.Empty);

    /// <summary>
    /// Every rule the submission breaks under the residency classes of <paramref name="residency"/>; empty when it may be
    /// placed. A class must exist, and allow at least one of the job's own allowed regions (when it lists any).
    /// </summary>
    public static List<FieldError> Validate(Megaregion megaregion, JobSubmission job, ResidencyPolicy residency)
    {
        ArgumentNullException.ThrowIfNull(residency);
        ArgumentNullException.ThrowIfNull(megaregion);
        ArgumentNullException.ThrowIfNull(job);
        var errors = new List<FieldError>();
        if (job.Id is { } id && CheckId(id) is { } idError)
        {
            errors.Add(new("id", idError));
        }

        if (string.IsNullOrWhiteSpace(job.Project))
        {
            errors.Add(new("project", "is required"));
        }
        else if (CheckName(job.Project) is { } projectError)
        {
            errors.Add(new("project", projectError));
        }

        if (job.Owner.Length > 0 && CheckName(job.Owner) is { } ownerError)
        {
            errors.Add(new("owner", ownerError));
        }

        if (CheckPriority(job.Priority) is { } priorityError)
        {
            errors.Add(new("priority", priorityError));
        }

        if (string.IsNullOrWhiteSpace(job.HomeRegion))
        {
            errors.Add(new("homeRegion", "is required"));
        }
        else if (megaregion.IndexOf(job.HomeRegion) < 0)
        {
            errors.Add(new("homeRegion", UnknownRegion(megaregion, job.HomeRegion)));
        }

        if (!(job.DurationHours > 0) || double.IsInfinity(job.DurationHours))
        {
            errors.Add(new("durationHours", "must be > 0"));
        }
        else if (job.DurationHours > MaxDurationHours)
        {
            errors.Add(new("durationHours", $"must be at most {MaxDurationHours} (a year)"));
        }

        if (job.Run is { } run)
        {
            ValidateRun(run, errors);
        }

        if (job.DatasetSizeGb is { } size)
        {
            if (string.IsNullOrEmpty(job.DatasetRegion) || megaregion.IndexOf(job.DatasetRegion) < 0)
            {
                errors.Add(new("dataset.region", string.IsNullOrEmpty(job.DatasetRegion) ? "is required when dataset is given" : UnknownRegion(megaregion, job.DatasetRegion)));
            }

            if (!(size >= 0) || double.IsInfinity(size))
            {
                errors.Add(new("dataset.sizeGb", "must be >= 0"));
            }
            else if (size > MaxDatasetGb)
            {
                errors.Add(new("dataset.sizeGb", $"must be at most {MaxDatasetGb:0} (100 PB)"));
            }
        }

        var allowed = job.AllowedRegions.IsDefault ? [] : job.AllowedRegions;
        for (var i = 0; i < allowed.Length; i++)
        {
            if (megaregion.IndexOf(allowed[i]) < 0)
            {
                errors.Add(new($"allowedRegions[{i}]", UnknownRegion(megaregion, allowed[i])));
            }
            else if (allowed.IndexOf(allowed[i]) < i)
            {
                errors.Add(new($"allowedRegions[{i}]", $"repeats '{allowed[i]}'"));
            }
        }

        if (job.Residency is { } className && !errors.Exists(static e => e.Field.StartsWith("allowedRegions", StringComparison.Ordinal)))
        {
            allowed = ValidateResidency(megaregion, job, className, allowed, residency, errors);
        }

        ValidateAccelerators(megaregion, job, allowed, errors);
        return errors;
    }

    /// <summary>"unknown residency class 'x'; the classes are a, b" (or "no class is defined").</summary>
    public static string UnknownResidency(ResidencyPolicy residency, string? name)
    {
        ArgumentNullException.ThrowIfNull(residency);
        return residency.Classes.IsEmpty
            ? $"unknown residency class '{name}'; no class is defined (PUT /api/residency/{{class}})"
            : $"unknown residency class '{name}'; the classes are {string.Join(", ", residency.Classes.Select(static c => c.Name))}";
    }

    /// <summary>The regions the job may run in once its class is applied (what the pool check then uses).</summary>
    private static ImmutableArray<string> ValidateResidency(Megaregion megaregion, JobSubmission job, string className, ImmutableArray<string> allowed, ResidencyPolicy residency, List<FieldError> errors)
    {
        if (ResidencyRules.CheckName(className) is { } nameError)
        {
            errors.Add(new("dataset.residency", nameError));
            return allowed;
        }

        if (residency.Find(className) is not { } c)
        {
            errors.Add(new("dataset.residency", UnknownResidency(residency, className)));
            return allowed;
        }

        var effective = residency.EffectiveRegions(className, job.AllowedRegions, megaregion);
        if (effective.IsEmpty)
        {
            errors.Add(new("dataset.residency", $"{ResidencyRules.Describe(c.Name, c.Regions)}, and allowedRegions lists none of them"));
            return allowed;
        }

        return effective;
    }

    private static void ValidateRun(RunSubmission run, List<FieldError> errors)
    {
        if (string.IsNullOrWhiteSpace(run.Script))
        {
            errors.Add(new("run.script", "is required when run is given"));
        }
        else if (run.Script.Length > MaxScriptLength)
        {
            errors.Add(new("run.script", $"must be at most {MaxScriptLength} characters"));
        }
        else if (!run.Script.StartsWith("#!", StringComparison.Ordinal))
        {
            errors.Add(new("run.script", "must start with an interpreter line (#!/bin/bash), as a batch script does"));
        }
        else if (run.Script.Contains('\0', StringComparison.Ordinal))
        {
            errors.Add(new("run.script", "must not contain NUL characters"));
        }

        if (run.Image is { } image && (image.Length is 0 or > MaxPathLength || image.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))))
        {
            errors.Add(new("run.image", $"must be 1 to {MaxPathLength} characters without spaces or control characters"));
        }

        if (run.WorkingDirectory is { } directory)
        {
            if (directory.Length is 0 or > MaxPathLength || !directory.StartsWith('/'))
            {
                errors.Add(new("run.workingDirectory", $"must be an absolute path of at most {MaxPathLength} characters"));
            }
            else if (directory.Any(char.IsControl))
            {
                errors.Add(new("run.workingDirectory", "must not contain control characters"));
            }
        }

        if (run.CheckpointSignal is { } signal && !CheckpointSignals.Contains(signal, StringComparer.Ordinal))
        {
            errors.Add(new("run.checkpointSignal", $"must be one of {string.Join(", ", CheckpointSignals)} (a signal the script can trap, without SIG), or absent for none"));
        }

        if (run.Environment is not { } environment)
        {
            return;
        }

        if (environment.Count > MaxEnvironmentVariables)
        {
            errors.Add(new("run.environment", $"must have at most {MaxEnvironmentVariables} variables"));
            return;
        }

        foreach (var (name, value) in environment)
        {
            if (!IsVariableName(name))
            {
                errors.Add(new($"run.environment.{name}", $"'{name}' is not a variable name (a letter or '_', then letters, digits or '_', at most {MaxNameLength})"));
            }
            else if (value is null || value.Length > MaxEnvironmentValueLength || value.Contains('\0', StringComparison.Ordinal))
            {
                errors.Add(new($"run.environment.{name}", $"must be a string of at most {MaxEnvironmentValueLength} characters without NUL"));
            }
        }
    }

    private static bool IsVariableName(string name)
    {
        if (name.Length is 0 or > MaxNameLength || char.IsAsciiDigit(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    private static void ValidateAccelerators(Megaregion megaregion, JobSubmission job, ImmutableArray<string> allowed, List<FieldError> errors)
    {
        if (job.AcceleratorCount <= 0)
        {
            errors.Add(new("accelerators.count", "must be > 0"));
        }

        if (job.MinMemoryGb < 0)
        {
            errors.Add(new("accelerators.minMemoryGb", "must be >= 0"));
        }

        var types = job.AcceleratorTypes.IsDefault ? [] : job.AcceleratorTypes;
        var unknownType = false;
        if (types.Length > MaxTypes)
        {
            errors.Add(new("accelerators.types", $"must list at most {MaxTypes} types"));
            return;
        }

        for (var i = 0; i < types.Length; i++)
        {
            if (types.IndexOf(types[i]) < i)
            {
                errors.Add(new($"accelerators.types[{i}]", $"repeats '{types[i]}'"));
                unknownType = true;
            }
            else if (!HasType(megaregion, types[i]))
            {
                var all = megaregion.Regions.SelectMany(r => r.Pools).Select(p => p.Type).ToImmutableSortedSet(StringComparer.Ordinal);
                errors.Add(new($"accelerators.types[{i}]", $"no region has accelerator type '{types[i]}'; the types are {string.Join(", ", all)}"));
                unknownType = true;
            }
        }

        if (unknownType || errors.Count > 0)
        {
            return;
        }

        // Every field is fine on its own: check that some allowed region could ever run the gang, in one pool. One pass
        // over the pools, no allocation: every placement runs this.
        var anyPool = false;
        var scriptOnly = false;
        var largestMemory = 0;
        var largestCountWithMemory = -1;
        foreach (var region in megaregion.Regions)
        {
            if (allowed.Length > 0 && !allowed.Contains(region.Id))
            {
                continue;
            }

            if (region.RequiresScript && job.Run is null)
            {
                scriptOnly = true;
                continue;
            }

            foreach (var pool in region.Pools)
            {
                if (types.Length > 0 && !types.Contains(pool.Type))
                {
                    continue;
                }

                anyPool = true;
                largestMemory = Math.Max(largestMemory, pool.MemoryGb);
                if (pool.MemoryGb >= job.MinMemoryGb)
                {
                    largestCountWithMemory = Math.Max(largestCountWithMemory, pool.Count);
                }
            }
        }

        if (!anyPool && scriptOnly)
        {
            errors.Add(new("run", "is required: the regions that could run the job run batch scripts on their Slurm"));
        }
        else if (!anyPool)
        {
            errors.Add(new("allowedRegions", "none of the allowed regions has a pool of an acceptable accelerator type"));
        }
        else if (largestCountWithMemory < 0)
        {
            errors.Add(new("accelerators.minMemoryGb", $"no acceptable pool has {job.MinMemoryGb} GB per accelerator (largest: {largestMemory} GB)"));
        }
        else if (largestCountWithMemory < job.AcceleratorCount)
        {
            errors.Add(new("accelerators.count", $"a gang runs in one pool, and no acceptable pool has {job.AcceleratorCount} accelerators (largest: {largestCountWithMemory})"));
        }
    }

    private static bool HasType(Megaregion megaregion, string type)
    {
        foreach (var region in megaregion.Regions)
        {
            foreach (var pool in region.Pools)
            {
                if (string.Equals(pool.Type, type, StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }

        return false;
    }
}

/// <summary>
/// What a region may offer to jobs from other regions: only types it has, each listed once, at most its pool's size,
/// in a window that ends after it starts. Checked by the REST API (naming every field at fault) and by the region
/// grain before it stores an offer.
/// </summary>
public static class OfferRules
{
    /// <param name="reclaimGraceS">The grace period of a reclaim, seconds (null: the default); finite and not negative.</param>
    public static List<FieldError> Validate(Region region, IReadOnlyList<OfferedAccelerators> accelerators, DateTimeOffset? from, DateTimeOffset? until, double? reclaimGraceS = null)
    {
        ArgumentNullException.ThrowIfNull(region);
        ArgumentNullException.ThrowIfNull(accelerators);
        var errors = new List<FieldError>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < accelerators.Count; i++)
        {
            var a = accelerators[i];
            var pool = region.Pools.FirstOrDefault(p => string.Equals(p.Type, a.Type, StringComparison.Ordinal));
            if (pool is null)
            {
                errors.Add(new($"accelerators[{i}].type", $"region '{region.Id}' has no '{a.Type}' pool; its pools are {string.Join(", ", region.Pools.Select(p => p.Type))}"));
                continue;
            }

            if (!seen.Add(a.Type))
            {
                errors.Add(new($"accelerators[{i}].type", $"'{a.Type}' is listed twice"));
            }

            if (a.Count < 0 || a.Count > pool.Count)
            {
                errors.Add(new($"accelerators[{i}].count", $"must be between 0 and the pool's {pool.Count}"));
            }
        }

        if (from is { } f && until is { } u && u <= f)
        {
            errors.Add(new("until", "must be after from"));
        }

        if (reclaimGraceS is { } grace && (!double.IsFinite(grace) || grace < 0))
        {
            errors.Add(new("reclaimGraceSeconds", "must be a finite number of seconds >= 0"));
        }

        return errors;
    }
}

/// <summary>
/// What a coordinator may set as a project's allocation, and what a project may give back (issue 16). Checked by the
/// REST API (naming every field at fault) and by the project grain before it stores anything.
/// </summary>
public static class AllocationRules
{
    /// <summary>The allocation class that covers every accelerator type.</summary>
    public const string AnyClass = "any";

    /// <summary>Most accelerator-hours one allocation may grant: every accelerator of a large center for ten years.</summary>
    public const double MaxAcceleratorHours = 1e9;

    /// <summary>The terms, in the order usage is charged to them.</summary>
    public static ImmutableArray<string> Terms { get; } = ["short", "mid", "long"];

    /// <summary>Whether <paramref name="term"/> is short, mid or long.</summary>
    public static bool IsTerm(string? term) => term is not null && Terms.Contains(term, StringComparer.Ordinal);

    /// <summary>Why <paramref name="term"/> is not a term, or null.</summary>
    public static string? CheckTerm(string? term) => IsTerm(term) ? null : $"must be one of short, mid, long (was '{term}')";

    /// <summary>Why <paramref name="cls"/> is not an accelerator type of the megaregion nor <c>any</c>, or null.</summary>
    public static string? CheckClass(Megaregion megaregion, string? cls)
    {
        ArgumentNullException.ThrowIfNull(megaregion);
        if (string.Equals(cls, AnyClass, StringComparison.Ordinal))
        {
            return null;
        }

        var types = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var r in megaregion.Regions)
        {
            foreach (var p in r.Pools)
            {
                types.Add(p.Type);
            }
        }

        return cls is not null && types.Contains(cls) ? null : $"must be '{AnyClass}' or an accelerator type of the megaregion ({string.Join(", ", types)}); was '{cls}'";
    }

    /// <summary>Every rule an allocation breaks (<paramref name="region"/>: the center backing it, optional); empty when it may be stored.</summary>
    public static List<FieldError> Validate(Megaregion megaregion, string? term, string? cls, double? acceleratorHours, DateTimeOffset? from, DateTimeOffset? until, string? region)
    {
        ArgumentNullException.ThrowIfNull(megaregion);
        var errors = new List<FieldError>();
        if (CheckTerm(term) is { } termError)
        {
            errors.Add(new("term", termError));
        }

        if (CheckClass(megaregion, cls) is { } classError)
        {
            errors.Add(new("class", classError));
        }

        if (acceleratorHours is not { } hours)
        {
            errors.Add(new("acceleratorHours", "is required"));
        }
        else if (!double.IsFinite(hours) || hours < 0 || hours > MaxAcceleratorHours)
        {
            errors.Add(new("acceleratorHours", $"must be a finite number between 0 and {MaxAcceleratorHours:0}"));
        }

        if (from is null)
        {
            errors.Add(new("from", "is required"));
        }

        if (until is null)
        {
            errors.Add(new("until", "is required"));
        }
        else if (from is { } f && until is { } u && u <= f)
        {
            errors.Add(new("until", "must be after from"));
        }

        if (region is not null)
        {
            var r = megaregion.IndexOf(region);
            if (r < 0)
            {
                errors.Add(new("region", JobRules.UnknownRegion(megaregion, region)));
            }
            else if (cls is not null && !string.Equals(cls, AnyClass, StringComparison.Ordinal) && !megaregion.Regions[r].Pools.Any(p => string.Equals(p.Type, cls, StringComparison.Ordinal)))
            {
                errors.Add(new("region", $"region '{region}' has no '{cls}' pool to back the allocation"));
            }
        }

        return errors;
    }

    /// <summary>Every rule a return breaks on its own: a known term and class, a positive finite number of hours.</summary>
    public static List<FieldError> ValidateReturn(Megaregion megaregion, string? term, string? cls, double? acceleratorHours)
    {
        ArgumentNullException.ThrowIfNull(megaregion);
        var errors = new List<FieldError>();
        if (CheckTerm(term) is { } termError)
        {
            errors.Add(new("term", termError));
        }

        if (CheckClass(megaregion, cls) is { } classError)
        {
            errors.Add(new("class", classError));
        }

        if (acceleratorHours is not { } hours)
        {
            errors.Add(new("acceleratorHours", "is required"));
        }
        else if (!double.IsFinite(hours) || hours <= 0)
        {
            errors.Add(new("acceleratorHours", "must be a finite number greater than 0"));
        }

        return errors;
    }

    /// <summary>
    /// What stops a valid return against the project's allocation: none of that term and class
    /// (<paramref name="unusedHours"/> null), or more hours than are unused; null when it may be returned.
    /// </summary>
    public static FieldError? CheckReturnable(string term, string cls, double acceleratorHours, double? unusedHours) =>
        unusedHours switch
        {
            null => new FieldError("class", $"the project has no {term}-term '{cls}' allocation"),
            { } unused when acceleratorHours > unused + 1e-9 => new FieldError(
                "acceleratorHours", string.Create(CultureInfo.InvariantCulture, $"cannot return {acceleratorHours:0.###} accelerator-hours: only {unused:0.###} are unused")),
            _ => null,
        };
}

using System.Collections.Immutable;
using Federation.Contracts;
using Federation.Scheduling;

namespace Federation.Server.Api;

/// <summary>
/// Checks requests against the megaregion before any grain is called, so a bad request is refused with
/// every offending field named and nothing is changed. Field names are the JSON paths of the wire shape.
/// </summary>
internal sealed class RequestValidation
{
    /// <summary>Longest accepted job id, project, owner.</summary>
    public const int MaxIdLength = 128;

    private readonly Megaregion _megaregion;
    private readonly string _regionList;

    public RequestValidation(Megaregion megaregion)
    {
        _megaregion = megaregion;
        _regionList = string.Join(", ", megaregion.Regions.Select(r => r.Id));
    }

    public bool IsRegion(string? id) => id is not null && _megaregion.IndexOf(id) >= 0;

    public string UnknownRegion(string? id) => $"unknown region '{id}'; the regions are {_regionList}";

    /// <summary>A job id must be usable in a URL path segment.</summary>
    public static string? CheckId(string id)
    {
        if (id.Length is 0 or > MaxIdLength)
        {
            return $"must be 1 to {MaxIdLength} characters";
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

    /// <summary>The request with null collections made empty, so equal bodies compare equal in the job grain.</summary>
    public static JobRequest Normalize(JobRequest request)
    {
        // JSON null for a collection or a nested object arrives as default/null: make it the empty value.
        var accelerators = request.Accelerators ?? new AcceleratorRequest();
        if (accelerators.Types.IsDefault)
        {
            accelerators = accelerators with { Types = [] };
        }

        return request with
        {
            Accelerators = accelerators,
            AllowedRegions = request.AllowedRegions.IsDefault ? [] : request.AllowedRegions,
            Project = request.Project ?? "",
            Owner = request.Owner ?? "",
            HomeRegion = request.HomeRegion ?? "",
        };
    }

    public Dictionary<string, string[]> Validate(JobRequest request)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (request.Id is { } id && CheckId(id) is { } idError)
        {
            errors["id"] = [idError];
        }

        RequireName(errors, "project", request.Project);
        if (request.Owner.Length > MaxIdLength)
        {
            errors["owner"] = [$"must be at most {MaxIdLength} characters"];
        }

        if (string.IsNullOrWhiteSpace(request.HomeRegion))
        {
            errors["homeRegion"] = ["is required"];
        }
        else if (!IsRegion(request.HomeRegion))
        {
            errors["homeRegion"] = [UnknownRegion(request.HomeRegion)];
        }

        if (!(request.DurationHours > 0) || double.IsInfinity(request.DurationHours))
        {
            errors["durationHours"] = ["must be > 0"];
        }

        if (request.Dataset is { } dataset)
        {
            if (!IsRegion(dataset.Region))
            {
                errors["dataset.region"] = [string.IsNullOrEmpty(dataset.Region) ? "is required when dataset is given" : UnknownRegion(dataset.Region)];
            }

            if (!(dataset.SizeGb >= 0) || double.IsInfinity(dataset.SizeGb))
            {
                errors["dataset.sizeGb"] = ["must be >= 0"];
            }
        }

        for (var i = 0; i < request.AllowedRegions.Length; i++)
        {
            if (!IsRegion(request.AllowedRegions[i]))
            {
                errors[$"allowedRegions[{i}]"] = [UnknownRegion(request.AllowedRegions[i])];
            }
        }

        ValidateAccelerators(errors, request);
        return errors;
    }

    public Dictionary<string, string[]> Validate(string regionId, OfferView offer)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var region = _megaregion.Regions[_megaregion.IndexOf(regionId)];
        var accelerators = offer.Accelerators.IsDefault ? [] : offer.Accelerators;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < accelerators.Length; i++)
        {
            var a = accelerators[i];
            var pool = region.Pools.FirstOrDefault(p => string.Equals(p.Type, a.Type, StringComparison.Ordinal));
            if (pool is null)
            {
                errors[$"accelerators[{i}].type"] = [$"region '{regionId}' has no '{a.Type}' pool; its pools are {string.Join(", ", region.Pools.Select(p => p.Type))}"];
                continue;
            }

            if (!seen.Add(a.Type))
            {
                errors[$"accelerators[{i}].type"] = [$"'{a.Type}' is listed twice"];
            }

            if (a.Count < 0 || a.Count > pool.Count)
            {
                errors[$"accelerators[{i}].count"] = [$"must be between 0 and the pool's {pool.Count}"];
            }
        }

        if (offer.From is { } from && offer.Until is { } until && until <= from)
        {
            errors["until"] = ["must be after from"];
        }

        return errors;
    }

    private static void RequireName(Dictionary<string, string[]> errors, string field, string value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors[field] = ["is required"];
        }
        else if (value.Length > MaxIdLength)
        {
            errors[field] = [$"must be at most {MaxIdLength} characters"];
        }
    }

    private void ValidateAccelerators(Dictionary<string, string[]> errors, JobRequest request)
    {
        var a = request.Accelerators;
        if (a.Count <= 0)
        {
            errors["accelerators.count"] = ["must be > 0"];
        }

        if (a.MinMemoryGb < 0)
        {
            errors["accelerators.minMemoryGb"] = ["must be >= 0"];
        }

        var unknownType = false;
        for (var i = 0; i < a.Types.Length; i++)
        {
            if (!_megaregion.Regions.Any(r => r.Pools.Any(p => string.Equals(p.Type, a.Types[i], StringComparison.Ordinal))))
            {
                errors[$"accelerators.types[{i}]"] = [$"no region has accelerator type '{a.Types[i]}'; the types are {string.Join(", ", AllTypes())}"];
                unknownType = true;
            }
        }

        if (unknownType || errors.Count > 0)
        {
            return;
        }

        // Every field is fine on its own: check that some allowed region could ever run the gang, in one pool.
        var pools = Candidates(request).ToList();
        if (pools.Count == 0)
        {
            errors["allowedRegions"] = ["none of the allowed regions has a pool of an acceptable accelerator type"];
        }
        else if (!pools.Any(p => p.MemoryGb >= a.MinMemoryGb))
        {
            errors["accelerators.minMemoryGb"] = [$"no acceptable pool has {a.MinMemoryGb} GB per accelerator (largest: {pools.Max(p => p.MemoryGb)} GB)"];
        }
        else if (!pools.Any(p => p.MemoryGb >= a.MinMemoryGb && p.Count >= a.Count))
        {
            errors["accelerators.count"] = [$"a gang runs in one pool, and no acceptable pool has {a.Count} accelerators (largest: {pools.Where(p => p.MemoryGb >= a.MinMemoryGb).Max(p => p.Count)})"];
        }
    }

    private IEnumerable<AcceleratorPool> Candidates(JobRequest request)
    {
        foreach (var region in _megaregion.Regions)
        {
            if (request.AllowedRegions.Length > 0 && !request.AllowedRegions.Contains(region.Id))
            {
                continue;
            }

            foreach (var pool in region.Pools)
            {
                if (request.Accelerators.Types.Length == 0 || request.Accelerators.Types.Contains(pool.Type))
                {
                    yield return pool;
                }
            }
        }
    }

    private ImmutableSortedSet<string> AllTypes() =>
        _megaregion.Regions.SelectMany(r => r.Pools).Select(p => p.Type).ToImmutableSortedSet(StringComparer.Ordinal);
}

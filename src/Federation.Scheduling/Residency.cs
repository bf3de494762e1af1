using System.Collections.Frozen;
using System.Collections.Immutable;

namespace Federation.Scheduling;

/// <summary>A data residency class: a name a dataset carries, and the regions a job on that dataset may run in.</summary>
/// <param name="Name">The class name (<see cref="ResidencyRules.CheckName"/>).</param>
/// <param name="Regions">The regions it allows, in megaregion order, each once, never empty.</param>
/// <param name="Version">The policy version that last changed the class (its ETag).</param>
public sealed record ResidencyClass(string Name, ImmutableArray<string> Regions, long Version)
{
    /// <summary>Whether the class allows <paramref name="regionId"/>.</summary>
    public bool Allows(string regionId)
    {
        foreach (var r in Regions)
        {
            if (string.Equals(r, regionId, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// The residency classes as one immutable value: every placement reads it (a dictionary lookup, no allocation), a
/// coordinator's change replaces it whole. <see cref="Version"/> grows with every change.
/// </summary>
public sealed class ResidencyPolicy
{
    private readonly FrozenDictionary<string, ResidencyClass> _classes;

    public ResidencyPolicy(long version, IEnumerable<ResidencyClass> classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        Version = version;
        _classes = classes.ToFrozenDictionary(static c => c.Name, StringComparer.Ordinal);
        Classes = [.. _classes.Values.OrderBy(static c => c.Name, StringComparer.Ordinal)];
    }

    /// <summary>No class defined (version 0).</summary>
    public static ResidencyPolicy Empty { get; } = new(0, []);

    public long Version { get; }

    /// <summary>Every class, by name.</summary>
    public ImmutableArray<ResidencyClass> Classes { get; }

    /// <summary>The class named <paramref name="name"/>, or null.</summary>
    public ResidencyClass? Find(string? name) => name is not null && _classes.TryGetValue(name, out var c) ? c : null;

    /// <summary>
    /// The regions a job may run in: those of its class (when it has one) that its own allowed regions (empty = any) also
    /// list, in the class's order. A class the policy does not know allows nothing: a job is never placed on a guess.
    /// </summary>
    public ImmutableArray<string> EffectiveRegions(string? className, ImmutableArray<string> allowedRegions, Megaregion megaregion)
    {
        ArgumentNullException.ThrowIfNull(megaregion);
        var own = allowedRegions.IsDefault ? [] : allowedRegions;
        if (className is null)
        {
            return own.IsEmpty ? [.. megaregion.Regions.Select(static r => r.Id)] : own;
        }

        if (Find(className) is not { } c)
        {
            return [];
        }

        return own.IsEmpty ? c.Regions : [.. c.Regions.Where(own.Contains)];
    }
}

/// <summary>
/// What makes a residency class valid: its name's syntax, and regions that exist, listed once, at least one. The API
/// checks a request with these (naming the field) and the residency grain checks again before it stores a class.
/// </summary>
public static class ResidencyRules
{
    /// <summary>Longest class name.</summary>
    public const int MaxNameLength = 63;

    /// <summary>Why <paramref name="name"/> cannot name a class, or null when it can: 1 to 63 characters, lower-case letters, digits and '-', starting with a letter and not ending with '-' (a DNS label, as Kubernetes names are).</summary>
    public static string? CheckName(string? name)
    {
        const string Rule = "must be 1 to 63 lower-case letters, digits and '-', starting with a letter and not ending with '-'";
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength || !char.IsAsciiLetterLower(name[0]) || name[^1] == '-')
        {
            return Rule;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
            {
                return Rule;
            }
        }

        return null;
    }

    /// <summary>Every rule a class definition breaks (fields <c>name</c>, <c>regions</c>, <c>regions[i]</c>); empty when it may be stored.</summary>
    public static List<FieldError> Validate(Megaregion megaregion, string? name, IReadOnlyList<string>? regions)
    {
        ArgumentNullException.ThrowIfNull(megaregion);
        var errors = new List<FieldError>();
        if (CheckName(name) is { } nameError)
        {
            errors.Add(new("name", nameError));
        }

        if (regions is null || regions.Count == 0)
        {
            errors.Add(new("regions", "must list at least one region"));
            return errors;
        }

        for (var i = 0; i < regions.Count; i++)
        {
            if (regions[i] is null || megaregion.IndexOf(regions[i]) < 0)
            {
                errors.Add(new($"regions[{i}]", JobRules.UnknownRegion(megaregion, regions[i])));
            }
            else
            {
                for (var j = 0; j < i; j++)
                {
                    if (string.Equals(regions[j], regions[i], StringComparison.Ordinal))
                    {
                        errors.Add(new($"regions[{i}]", $"repeats '{regions[i]}'"));
                        break;
                    }
                }
            }
        }

        return errors;
    }

    /// <summary>The regions in megaregion order (how a class stores them, so equal sets compare equal).</summary>
    public static ImmutableArray<string> Ordered(Megaregion megaregion, IReadOnlyList<string> regions)
    {
        ArgumentNullException.ThrowIfNull(megaregion);
        ArgumentNullException.ThrowIfNull(regions);
        var builder = ImmutableArray.CreateBuilder<string>(regions.Count);
        foreach (var r in megaregion.Regions)
        {
            if (regions.Contains(r.Id, StringComparer.Ordinal))
            {
                builder.Add(r.Id);
            }
        }

        return builder.ToImmutable();
    }

    /// <summary>"residency class kr-health allows gwangju, daegu": the check that allowed a placement, in words.</summary>
    public static string Describe(string className, ImmutableArray<string> regions) =>
        $"residency class {className} allows {string.Join(", ", regions)}";
}

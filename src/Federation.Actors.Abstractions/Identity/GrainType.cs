using System.Text;

namespace Federation.Actors;

/// <summary>
/// The durable name of a grain class: by convention the lower-cased class name without a trailing
/// "grain" and with a <c>`N</c> suffix for generic classes, or the value of <c>[GrainType]</c>.
/// Renaming it orphans stored state and existing references.
/// </summary>
public readonly struct GrainType : IEquatable<GrainType>, IComparable<GrainType>
{
    private readonly string? _value;

    public GrainType(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        if (value.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException("A grain type name cannot contain '/': it separates type and key in a GrainId.", nameof(value));
        }

        _value = value;
    }

    /// <summary>The type name; empty for the default value.</summary>
    public string Value => _value ?? string.Empty;

    public bool IsDefault => _value is null;

    /// <summary>
    /// Applies Orleans' naming convention to a CLR class: lower-case, generic arity suffix removed,
    /// trailing "grain" removed, then <c>`N</c> appended for a generic class.
    /// </summary>
    public static GrainType FromConvention(Type grainClass)
    {
        ArgumentNullException.ThrowIfNull(grainClass);
        var name = grainClass.Name;
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        if (tick >= 0)
        {
            name = name[..tick];
        }

        return new GrainType(ConventionName(name, grainClass.IsGenericType ? grainClass.GetGenericArguments().Length : 0));
    }

    /// <summary>The convention applied to a class name (without arity suffix) and its generic arity.</summary>
    public static string ConventionName(string className, int genericArity)
    {
        var name = className.ToLowerInvariant();
        if (name.EndsWith("grain", StringComparison.Ordinal) && name.Length > "grain".Length)
        {
            name = name[..^"grain".Length];
        }

        return genericArity > 0 ? $"{name}`{genericArity}" : name;
    }

    public byte[] ToUtf8() => Encoding.UTF8.GetBytes(Value);

    public bool Equals(GrainType other) => string.Equals(_value, other._value, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is GrainType other && Equals(other);

    public override int GetHashCode() => _value is null ? 0 : StringComparer.Ordinal.GetHashCode(_value);

    public int CompareTo(GrainType other) => string.CompareOrdinal(_value, other._value);

    public override string ToString() => Value;

    public static bool operator ==(GrainType left, GrainType right) => left.Equals(right);

    public static bool operator !=(GrainType left, GrainType right) => !left.Equals(right);
}

namespace Federation.Actors;

/// <summary>
/// Declares a type, parameter, field or property immutable: the runtime passes it by reference
/// instead of deep-copying it. A two-sided promise that nobody mutates the value.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Parameter | AttributeTargets.Field | AttributeTargets.Property | AttributeTargets.ReturnValue)]
public sealed class ImmutableAttribute : Attribute
{
}

/// <summary>Marks a type that crosses a grain boundary or goes to storage (kept for Orleans source compatibility).</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Enum | AttributeTargets.Interface)]
public sealed class GenerateSerializerAttribute : Attribute
{
}

/// <summary>The stable id of a serialized member or of an interface method.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property | AttributeTargets.Method | AttributeTargets.Parameter)]
public sealed class IdAttribute : Attribute
{
    public IdAttribute(uint id)
    {
        Id = id;
    }

    public uint Id { get; }
}

/// <summary>A rename-proof identity for a type, interface or method.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Interface | AttributeTargets.Method | AttributeTargets.Enum)]
public sealed class AliasAttribute : Attribute
{
    public AliasAttribute(string alias)
    {
        Alias = alias;
    }

    public string Alias { get; }
}

/// <summary>Wraps a value so the runtime passes it by reference instead of copying it.</summary>
public readonly struct Immutable<T> : IEquatable<Immutable<T>>
{
    public Immutable(T value)
    {
        Value = value;
    }

    public T Value { get; }

    public bool Equals(Immutable<T> other) => EqualityComparer<T>.Default.Equals(Value, other.Value);

    public override bool Equals(object? obj) => obj is Immutable<T> other && Equals(other);

    public override int GetHashCode() => Value is null ? 0 : EqualityComparer<T>.Default.GetHashCode(Value);

    public static bool operator ==(Immutable<T> left, Immutable<T> right) => left.Equals(right);

    public static bool operator !=(Immutable<T> left, Immutable<T> right) => !left.Equals(right);
}

/// <summary>Creates <see cref="Immutable{T}"/> wrappers.</summary>
public static class ImmutableExtensions
{
    public static Immutable<T> AsImmutable<T>(this T value) => new(value);
}

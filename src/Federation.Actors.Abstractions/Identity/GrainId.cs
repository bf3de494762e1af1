using System.Buffers;
using System.Globalization;
using System.Text;

namespace Federation.Actors;

/// <summary>
/// The identity of a grain: its <see cref="GrainType"/> and its key, in Orleans' text forms.
/// Text form <c>"{type}/{key}"</c>; integer keys are upper-case two's-complement hex, Guid keys 32
/// lower-case hex digits, compound keys <c>primary+extension</c>, string keys unchanged.
/// A GrainId has no location: where (and whether) the grain is active is the runtime's business.
/// </summary>
public readonly struct GrainId : IEquatable<GrainId>, IComparable<GrainId>
{
    private readonly string? _key;

    public GrainId(GrainType type, string key)
    {
        if (type.IsDefault)
        {
            throw new ArgumentException("The grain type must be set.", nameof(type));
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        Type = type;
        _key = key;
    }

    public GrainType Type { get; }

    /// <summary>The key in its text form.</summary>
    public string Key => _key ?? string.Empty;

    public bool IsDefault => Type.IsDefault;

    public static GrainId Create(GrainType type, string key) => new(type, key);

    public static GrainId Create(GrainType type, long key) => new(type, KeyOf(key));

    public static GrainId Create(GrainType type, Guid key) => new(type, KeyOf(key));

    public static GrainId Create(GrainType type, long key, string keyExtension) => new(type, KeyOf(key, keyExtension));

    public static GrainId Create(GrainType type, Guid key, string keyExtension) => new(type, KeyOf(key, keyExtension));

    /// <summary>Integer key text: upper-case hex of the two's-complement value (-1 is FFFFFFFFFFFFFFFF).</summary>
    public static string KeyOf(long key) => key.ToString("X", CultureInfo.InvariantCulture);

    /// <summary>Guid key text: 32 lower-case hex digits, no dashes.</summary>
    public static string KeyOf(Guid key) => key.ToString("N", CultureInfo.InvariantCulture);

    public static string KeyOf(long key, string keyExtension) => KeyOf(key) + "+" + CheckExtension(keyExtension);

    public static string KeyOf(Guid key, string keyExtension) => KeyOf(key) + "+" + CheckExtension(keyExtension);

    /// <summary>Parses the text form, splitting at the first '/'.</summary>
    public static GrainId Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == text.Length - 1)
        {
            throw new FormatException($"'{text}' is not a grain id of the form type/key.");
        }

        return new GrainId(new GrainType(text[..slash]), text[(slash + 1)..]);
    }

    public static bool TryParse(string? text, out GrainId grainId)
    {
        grainId = default;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == text.Length - 1 || string.IsNullOrWhiteSpace(text[(slash + 1)..]))
        {
            return false;
        }

        grainId = new GrainId(new GrainType(text[..slash]), text[(slash + 1)..]);
        return true;
    }

    /// <summary>The key read back as an integer (the part before any '+extension').</summary>
    public long GetIntegerKey(out string? keyExtension)
    {
        var primary = SplitExtension(out keyExtension);
        return unchecked((long)ulong.Parse(primary, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
    }

    /// <summary>The key read back as a Guid (the part before any '+extension').</summary>
    public Guid GetGuidKey(out string? keyExtension)
    {
        var primary = SplitExtension(out keyExtension);
        return Guid.ParseExact(primary, "N");
    }

    /// <summary>
    /// The stable hash Orleans calls the uniform hash: XxHash32(type) * 31 + XxHash32(key), unsigned
    /// with wrap-around. Identical on every node; used by hash placement, the directory and reminders.
    /// </summary>
    public uint GetUniformHashCode()
    {
        unchecked
        {
            return (HashUtf8(Type.Value) * 31) + HashUtf8(Key);
        }
    }

    public bool Equals(GrainId other) => Type.Equals(other.Type) && string.Equals(_key, other._key, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is GrainId other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Type, _key is null ? 0 : StringComparer.Ordinal.GetHashCode(_key));

    public int CompareTo(GrainId other)
    {
        var byType = Type.CompareTo(other.Type);
        return byType != 0 ? byType : string.CompareOrdinal(_key, other._key);
    }

    public override string ToString() => IsDefault ? string.Empty : Type.Value + "/" + Key;

    public static bool operator ==(GrainId left, GrainId right) => left.Equals(right);

    public static bool operator !=(GrainId left, GrainId right) => !left.Equals(right);

    private string SplitExtension(out string? keyExtension)
    {
        var key = Key;
        var plus = key.IndexOf('+', StringComparison.Ordinal);
        if (plus < 0)
        {
            keyExtension = null;
            return key;
        }

        keyExtension = key[(plus + 1)..];
        return key[..plus];
    }

    private static string CheckExtension(string keyExtension)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyExtension);
        return keyExtension;
    }

    private static uint HashUtf8(string value)
    {
        var max = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (max <= 256)
        {
            Span<byte> buffer = stackalloc byte[256];
            var written = Encoding.UTF8.GetBytes(value, buffer);
            return XxHash32.Hash(buffer[..written]);
        }

        var rented = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            var written = Encoding.UTF8.GetBytes(value, rented);
            return XxHash32.Hash(rented.AsSpan(0, written));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}

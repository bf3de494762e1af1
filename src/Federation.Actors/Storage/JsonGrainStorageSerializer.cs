using System.Text.Json;
using System.Text.Json.Serialization;

namespace Federation.Actors.Storage;

/// <summary>
/// The default <see cref="IGrainStorageSerializer"/>: UTF-8 JSON through System.Text.Json.
/// </summary>
/// <remarks>
/// System.Text.Json binds records through their primary constructors, sets init-only properties and
/// builds System.Collections.Immutable collections natively, so immutable wire records round-trip
/// without attributes. Unlike Orleans' Newtonsoft serializer it embeds no <c>$type</c>: the declared
/// state type is what is stored, so a polymorphic member needs <c>[JsonDerivedType]</c>. Enums are
/// stored by name, so reordering an enum never reinterprets stored state.
/// </remarks>
public sealed class JsonGrainStorageSerializer : IGrainStorageSerializer
{
    private readonly JsonSerializerOptions _options;

    public JsonGrainStorageSerializer()
        : this(CreateDefaultOptions())
    {
    }

    /// <summary>Uses the given options; they are frozen on first use, as System.Text.Json requires.</summary>
    public JsonGrainStorageSerializer(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _options.MakeReadOnly(populateMissingResolver: true);
    }

    /// <summary>The options the parameterless constructor uses.</summary>
    public static JsonSerializerOptions CreateDefaultOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.General)
        {
            // Stored state outlives the code that wrote it: tolerate members that were removed since.
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
            // double.NaN and infinities are legal state values; plain JSON cannot carry them.
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            // Names survive reordering of enum members; numbers would not.
            Converters = { new JsonStringEnumConverter() },
            WriteIndented = false,
        };
        return options;
    }

    public byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, _options);

    public T Deserialize<T>(ReadOnlySpan<byte> data) => JsonSerializer.Deserialize<T>(data, _options)!;
}

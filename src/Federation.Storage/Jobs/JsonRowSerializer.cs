using System.Text.Json;
using Orleans.Storage;

namespace Federation.Storage.Jobs;

/// <summary>
/// Job rows as System.Text.Json: readable in the database, and a row type chooses its own form with a
/// <c>[JsonConverter]</c> (the job row has a compact converter of its own).
/// </summary>
public sealed class JsonRowSerializer : IGrainStorageSerializer
{
    private readonly JsonSerializerOptions? _options;

    public JsonRowSerializer(JsonSerializerOptions? options = null)
    {
        _options = options;
    }

    public BinaryData Serialize<T>(T? input) => new(JsonSerializer.SerializeToUtf8Bytes(input, _options));

    public T Deserialize<T>(BinaryData input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return JsonSerializer.Deserialize<T>(input.ToMemory().Span, _options)
            ?? throw new JsonException($"a stored {typeof(T).Name} row is JSON null");
    }
}

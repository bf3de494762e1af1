namespace Federation.Actors.Storage;

/// <summary>
/// Turns grain state into bytes for a storage provider and back. Every provider, the in-memory one
/// included, stores bytes, so a stored state never shares mutable objects with a live activation.
/// </summary>
public interface IGrainStorageSerializer
{
    byte[] Serialize<T>(T value);

    T Deserialize<T>(ReadOnlySpan<byte> data);
}

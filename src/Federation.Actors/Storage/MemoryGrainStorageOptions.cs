namespace Federation.Actors.Storage;

/// <summary>Options of <see cref="MemoryGrainStorage"/>.</summary>
public sealed class MemoryGrainStorageOptions
{
    /// <summary>Default of <see cref="DeleteStateOnClear"/>: keep the row and advance its version.</summary>
    public const bool DefaultDeleteStateOnClear = false;

    /// <summary>
    /// When true, clearing a state deletes its row (the ETag becomes null); when false the row stays
    /// with no payload and its version advances, so a stale ETag can never match a later insert.
    /// </summary>
    public bool DeleteStateOnClear { get; set; } = DefaultDeleteStateOnClear;
}

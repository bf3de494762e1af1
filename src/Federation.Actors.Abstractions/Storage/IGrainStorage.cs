namespace Federation.Actors.Storage;

/// <summary>
/// A grain storage provider. Rows are keyed by grain type, state name and grain key together (so two
/// grain types with the same key and state name never share a row, unlike Orleans' ADO.NET provider,
/// issues #8746 and #9706), and guarded by an ETag:
/// <list type="bullet">
/// <item>Read: loads the row into <paramref name="grainState"/>; with no row, leaves a fresh state, ETag null, RecordExists false.</item>
/// <item>Write with ETag null inserts the first version; if a row already exists it throws <see cref="InconsistentStateException"/>.</item>
/// <item>Write or clear with an ETag that is not the stored one throws <see cref="InconsistentStateException"/> and leaves the row unchanged.</item>
/// <item>Clear resets the stored value and advances the version (or deletes the row when the provider is set to), and sets RecordExists false.</item>
/// </list>
/// On success the provider updates <c>ETag</c> and <c>RecordExists</c> in place.
/// </summary>
public interface IGrainStorage
{
    Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken = default);

    Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken = default);

    Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken = default);
}

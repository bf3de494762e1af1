using Orleans;
using Orleans.Runtime;
using Orleans.Storage;

namespace Federation.Storage.Hosting;

/// <summary>
/// Orleans' ADO.NET provider, given grain keys it cannot misread. The provider decides the kind of a key by parsing its
/// text: a string key that parses as a hexadecimal number is stored as that integer, and 32 hexadecimal digits as a
/// Guid, so the project ids <c>42</c> and <c>042</c>, or <c>abc</c> and <c>0abc</c>, would share one row. Every key is
/// handed to it with <see cref="KeyPrefix"/> in front, which no number or Guid starts with: the provider then stores the
/// key's whole text, and two grains share a row only when their keys are equal. (The provider also keys rows by state
/// name rather than grain type; the grains keep their state names distinct for that.)
/// </summary>
public sealed class StringKeyGrainStorage(IGrainStorage inner) : IGrainStorage
{
    /// <summary>What the stored key starts with; the rest is the grain key's text.</summary>
    public const string KeyPrefix = "s:";

    /// <summary>The key as it is stored in <c>orleansstorage.grainidextensionstring</c>.</summary>
    public static string StoredKey(string key) => KeyPrefix + key;

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ReadStateAsync(stateName, Stored(grainId), grainState);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.WriteStateAsync(stateName, Stored(grainId), grainState);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ClearStateAsync(stateName, Stored(grainId), grainState);

    private static GrainId Stored(GrainId grainId) => GrainId.Create(grainId.Type, IdSpan.Create(StoredKey(grainId.Key.ToString()!)));
}

namespace Federation.Storage;

/// <summary>
/// The keys under which <c>Microsoft.Orleans.Persistence.AdoNet</c> looks up its statements in <c>orleansquery</c>
/// (its <c>AdoNetGrainStorage</c> reads these three at start). Each statement binds <c>@ServiceId</c>,
/// <c>@GrainTypeString</c> (the state name), <c>@GrainIdN0</c>, <c>@GrainIdN1</c>, <c>@GrainIdExtensionString</c> (the
/// string key, or null) and the hashes; the read returns <c>PayloadBinary</c> and <c>Version</c>; the write binds
/// <c>@GrainStateVersion</c> (null for a first write) and <c>@PayloadBinary</c> and returns <c>NewGrainStateVersion</c>,
/// which Orleans takes for a conflict when it equals the version sent (or is empty).
/// </summary>
public static class OrleansQueryKeys
{
    public const string ReadFromStorage = "ReadFromStorageKey";
    public const string WriteToStorage = "WriteToStorageKey";
    public const string ClearStorage = "ClearStorageKey";
}

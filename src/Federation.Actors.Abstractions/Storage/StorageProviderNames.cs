namespace Federation.Actors.Storage;

/// <summary>Well-known storage provider names.</summary>
public static class StorageProviderNames
{
    /// <summary>The provider used when <c>[PersistentState]</c> names none.</summary>
    public const string Default = "Default";
}

namespace Federation.Storage;

/// <summary>The names grains bind their <c>[PersistentState]</c> to (Orleans resolves a keyed <c>IGrainStorage</c> by name).</summary>
public static class StorageNames
{
    /// <summary>The job store (<see cref="Jobs.IJobStore"/>): job rows with their index columns.</summary>
    public const string Jobs = "jobs";

    /// <summary>Orleans' grain storage for everything else: regions, projects, the megaregion.</summary>
    public const string GrainState = "Default";
}

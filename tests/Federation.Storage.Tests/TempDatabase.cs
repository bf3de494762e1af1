namespace Federation.Actors.AdoNet.Tests;

/// <summary>A database file in a fresh temp directory of its own, deleted (with its WAL files) on dispose.</summary>
public sealed class TempDatabase : IDisposable
{
    public TempDatabase()
    {
        Directory = Path.Combine(Path.GetTempPath(), "federation-adonet-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        FilePath = Path.Combine(Directory, "state.db");
    }

    public string Directory { get; }

    public string FilePath { get; }

    public string ConnectionString => "Data Source=" + FilePath;

    public void Dispose()
    {
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}

namespace Federation.Storage.Tests;

/// <summary>A fresh temp directory of a test's own with a job file path in it, deleted (with every file in it) on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "federation-storage-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
        JobFile = System.IO.Path.Combine(Path, "federation.db");
    }

    public string Path { get; }

    /// <summary>Where a test's job file goes; Orleans' grain state goes beside it (<c>federation.orleans.db</c>).</summary>
    public string JobFile { get; }

    /// <summary>The grain-state file that goes with <see cref="JobFile"/>.</summary>
    public string GrainStateFile => System.IO.Path.Combine(Path, "federation.orleans.db");

    public string JobConnectionString => "Data Source=" + JobFile;

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}

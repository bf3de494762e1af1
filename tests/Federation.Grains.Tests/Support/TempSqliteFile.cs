using Federation.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Federation.Grains.Tests.Support;

/// <summary>A SQLite job file in the temp folder, with Orleans' grain-state file beside it, deleted (with their WAL files) on dispose.</summary>
internal sealed class TempSqliteFile : IDisposable
{
    public TempSqliteFile()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"federation-grains-{Guid.NewGuid():N}.db");
    }

    /// <summary>The job file; Orleans' grain state is in <see cref="GrainStatePath"/>.</summary>
    public string Path { get; }

    public string GrainStatePath => SqliteStorageOptions.GrainStateFileOf(Path);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (var file in new[] { Path, GrainStatePath })
        {
            foreach (var f in new[] { file, file + "-wal", file + "-shm" })
            {
                File.Delete(f);
            }
        }
    }
}

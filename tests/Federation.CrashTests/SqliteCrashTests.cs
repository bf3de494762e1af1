using Xunit.Abstractions;

namespace Federation.CrashTests;

public sealed class SqliteCrashTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Kill_9_rounds_on_SQLite_lose_no_acknowledged_job_and_run_none_twice()
    {
        var file = Path.Combine(Path.GetTempPath(), $"federation-crash-{Guid.NewGuid():N}.db");
        try
        {
            await using var run = new CrashRun(
                new CrashScenario
                {
                    Name = "sqlite-kill",
                    StorageArgs = ["--storage", "sqlite", "--connection", file],
                    Seed = Seeds.Next(),
                },
                output);
            await run.RunAsync();
        }
        finally
        {
            foreach (var f in new[] { file, file + "-wal", file + "-shm" })
            {
                File.Delete(f);
            }
        }
    }
}

using Federation.Actors.AdoNet.Sqlite;
using Federation.Actors.Storage;
using Federation.Actors.TestKit;
using Federation.Contracts;
using Federation.Grains.Hosting;
using Federation.Grains.Tests.Support;
using static Federation.Grains.Tests.Support.TestMegaregion;

namespace Federation.Grains.Tests;

public sealed class RestartTests
{
    [Fact]
    public async Task Job_rows_survive_a_restart_on_shared_memory_storage_and_the_region_rebuilds_from_them()
    {
        var storage = new CountingStorage();
        await RestartScenarioAsync(() => storage);
    }

    [Fact]
    public async Task Job_rows_survive_a_restart_on_SQLite_and_the_region_rebuilds_from_them()
    {
        var file = Path.Combine(Path.GetTempPath(), $"federation-grains-{Guid.NewGuid():N}.db");
        var opened = new List<IGrainStorage>();
        try
        {
            // Each host opens the file anew: the second one sees only what reached the database.
            await RestartScenarioAsync(() =>
            {
                var sqlite = SqliteStorage.CreateGrainStorage(
                    FederationGrainsOptions.DefaultStorageName,
                    new SqliteStorageOptions { ConnectionString = $"Data Source={file}" },
                    new JsonGrainStorageSerializer());
                opened.Add(sqlite);
                return new CountingStorage(sqlite);
            });
        }
        finally
        {
            foreach (var s in opened)
            {
                await ((IAsyncDisposable)s).DisposeAsync();
            }

            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var f in new[] { file, file + "-wal", file + "-shm" })
            {
                File.Delete(f);
            }
        }
    }

    private static async Task RestartScenarioAsync(Func<CountingStorage> storage)
    {
        var execution = new ManualTimeProvider();
        string[] all = ["r1", "q1", "q2", "away"];
        await using (var first = await FederationTestHost.StartAsync(storage(), execution))
        {
            await first.SubmitAsync(Job("r1", 6, 2, allowed: ["gwangju"]));
            await first.SubmitAsync(Job("q1", 8, 1, allowed: ["gwangju"]));
            await first.SubmitAsync(Job("q2", 4, 1, allowed: ["gwangju"]));
            await first.SubmitAsync(Job("away", 2, 3, home: "suncheon", allowed: ["suncheon"]));
            await first.Region("daegu").SetOfferAsync(new OfferView { Accelerators = [new OfferedAcceleratorsView { Type = "H100", Count = 1 }] });
            await first.AssertAccountingAsync(all);
        }

        await using var second = await FederationTestHost.StartAsync(storage(), execution);

        var gwangju = await second.Region("gwangju").GetAsync();
        Assert.Equal(6, gwangju.Pools[0].Busy);
        Assert.Equal(1, gwangju.RunningJobs);
        Assert.Equal(2, gwangju.QueuedJobs);
        Assert.Equal(12, gwangju.QueuedDemand);
        Assert.Equal(1, (await second.Region("daegu").GetAsync()).Offer.Accelerators[0].Count);
        await second.AssertAccountingAsync(all);

        // The running jobs were re-attached to the executor: they end at their original start + duration,
        // and the queue behind them moves in its original order.
        await second.AdvanceAsync(TimeSpan.FromHours(2));
        Assert.Equal(JobState.Completed, (await second.Job("r1").GetAsync())!.State);
        Assert.Equal(JobState.Running, (await second.Job("q1").GetAsync())!.State);
        Assert.Equal(JobState.Queued, (await second.Job("q2").GetAsync())!.State);
        await second.AssertAccountingAsync(all);
        await second.AdvanceAsync(TimeSpan.FromHours(1));
        Assert.Equal(JobState.Completed, (await second.Job("away").GetAsync())!.State);
        Assert.Equal(JobState.Running, (await second.Job("q2").GetAsync())!.State);
        await second.AssertAccountingAsync(all);

        // An acknowledged job is still idempotent after the restart.
        var again = await second.Job("q1").SubmitAsync(Job("q1", 8, 1, allowed: ["gwangju"]));
        Assert.False(again.Created);
    }
}

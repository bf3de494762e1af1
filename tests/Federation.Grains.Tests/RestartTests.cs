using Federation.Contracts;
using Federation.Grains.Tests.Support;
using Federation.TestKit;
using static Federation.Grains.Tests.Support.TestMegaregion;

namespace Federation.Grains.Tests;

/// <summary>
/// A cluster stops and another starts on the same storage: the job rows are the source of truth, each region rebuilds
/// its queue and running allocations from them. Orleans' memory grain storage lives inside the cluster, so the regions'
/// own state (an offer) outlives it in SQLite on a file.
/// </summary>
public sealed class RestartTests
{
    [Fact]
    public async Task Job_rows_survive_a_restart_on_shared_memory_storage_and_the_region_rebuilds_from_them()
    {
        // The job rows in one memory store both clusters share; the regions' own state in SQLite.
        using var file = new TempSqliteFile();
        var storage = new CountingStorage();
        var serviceId = Guid.NewGuid().ToString("N");
        await RestartScenarioAsync(execution => FederationTestHost.StartAsync(storage, execution, sqliteFile: file.Path, serviceId: serviceId));
    }

    [Fact]
    public async Task Job_rows_survive_a_restart_on_SQLite_and_the_region_rebuilds_from_them()
    {
        // Each cluster opens the files anew: the second one sees only what reached the database.
        using var file = new TempSqliteFile();
        var serviceId = Guid.NewGuid().ToString("N");
        await RestartScenarioAsync(execution => FederationTestHost.StartAsync(execution: execution, sqliteFile: file.Path, serviceId: serviceId));
    }

    private static async Task RestartScenarioAsync(Func<ManualTimeProvider, Task<FederationTestHost>> start)
    {
        var execution = new ManualTimeProvider();
        string[] all = ["r1", "q1", "q2", "away"];
        await using (var first = await start(execution))
        {
            await first.SubmitAsync(Job("r1", 6, 2, allowed: ["gwangju"]));
            await first.SubmitAsync(Job("q1", 8, 1, allowed: ["gwangju"]));
            await first.SubmitAsync(Job("q2", 4, 1, allowed: ["gwangju"]));
            await first.SubmitAsync(Job("away", 2, 3, home: "suncheon", allowed: ["suncheon"]));
            await first.Region("daegu").SetOfferAsync(new OfferView { Accelerators = [new OfferedAcceleratorsView { Type = "H100", Count = 1 }] });
            await first.AssertAccountingAsync(all);
        }

        await using var second = await start(execution);

        var gwangju = await second.Region("gwangju").GetAsync();
        Assert.Equal(6, gwangju.Pools[0].Busy);
        Assert.Equal(1, gwangju.RunningJobs);
        Assert.Equal(2, gwangju.QueuedJobs);
        Assert.Equal(12, gwangju.QueuedDemand);
        Assert.Equal(1, (await second.Region("daegu").GetAsync()).Offer.Accelerators[0].Count);
        await second.AssertAccountingAsync(all);

        // The running jobs were re-attached to the executor: they end at their original start + duration,
        // and the queue behind them moves in its original order.
        Assert.Equal((1, 1), (second.Executor.StartsOf("gwangju", "r1"), second.Executor.StartsOf("suncheon", "away")));
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

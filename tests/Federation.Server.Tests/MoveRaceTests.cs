using System.Net;
using Federation.Contracts;
using Federation.Grains.Execution;
using Federation.Grains.Regions;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Runtime;

namespace Federation.Server.Tests;

/// <summary>
/// A rebalancer's move that reaches a queued job while its region starts it: the move finds the job no longer queued
/// there and gives up, and the job still records its start and its end (the region's notices are not dropped by the
/// move, or the job would stay Running for ever in a region that holds nothing). It happens after a restart, when the
/// rebalancer plans from stale loads while regions start many jobs at once. Here the database is slowed by a lock on
/// the job table, so the job's row is read (and the move decided) only after the region has started the job, past the
/// end its run would have had.
/// </summary>
public sealed class MoveRaceTests : IAsyncLifetime
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(10);

    private PostgresTestDatabase _database = null!;

    public Task InitializeAsync()
    {
        _database = new PostgresTestDatabase();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task A_move_that_finds_the_job_started_gives_up_and_the_job_runs_and_completes_there()
    {
        await using var server = await ServerHost.StartAsync(null, _database.Args());

        // The other H100 regions drain, and a blocker fills gwangju's H100 pool for an hour: the job queues in gwangju.
        foreach (var region in new[] { "gwangyang", "daegu" })
        {
            using var drained = await server.PostJsonAsync($"api/regions/{region}/drain", """{"drain": true}""");
            Assert.Equal(HttpStatusCode.OK, drained.StatusCode);
        }

        var blocker = Jobs.Request("blocker", count: 1256);
        blocker["allowedRegions"] = new System.Text.Json.Nodes.JsonArray("gwangju");
        blocker["durationHours"] = 1;
        using var blocked = await server.PostJsonAsync("api/jobs", blocker.ToJsonString());
        Assert.Equal(JobState.Running, (await ServerHost.ReadAsync<JobView>(blocked)).State);
        var short3Minutes = Jobs.Request("short-1");
        short3Minutes["allowedRegions"] = new System.Text.Json.Nodes.JsonArray("gwangju", "gwangyang", "daegu");
        short3Minutes["durationHours"] = 0.05;
        using var queued = await server.PostJsonAsync("api/jobs", short3Minutes.ToJsonString());
        var job = await ServerHost.ReadAsync<JobView>(queued);
        Assert.Equal((JobState.Queued, "gwangju"), (job.State, job.Region));

        // No activation of the job is left (a job releases its activation after each call; this makes sure): the move
        // below activates it, and its first read of the row waits on the lock.
        var grains = server.Services.GetRequiredService<IGrainFactory>();
        var shortJob = grains.GetGrain<IJobGrain>("short-1");
        await grains.GetGrain<IManagementGrain>(0).DeactivateGrain(shortJob.GetGrainId());

        Task<bool> move;
        await using (await _database.LockJobTableAsync())
        {
            move = shortJob.TryMoveAsync("gwangju", "gwangyang", "test");

            // The blocker ends and the region starts the job: it holds the job's accelerators and asks the job to record
            // the start, a question that waits behind the move at the job, so nothing runs yet (a region runs a job only
            // once its row says so). Three minutes later it still holds it, unrun: no end can come before the start.
            var clock = server.Services.GetRequiredService<ExecutionClock>();
            server.Clock.Advance(TimeSpan.FromHours(1));
            await clock.WhenIdleAsync().WaitAsync(WaitLimit);
            var started = await Gwangju(server);
            Assert.Equal((1, 0), (started.RunningJobs, started.QueuedJobs));
            server.Clock.Advance(TimeSpan.FromHours(0.05));
            await clock.WhenIdleAsync().WaitAsync(WaitLimit);
            Assert.Equal(1, (await Gwangju(server)).RunningJobs);
            Assert.False(move.IsCompleted);
        }

        // The move finds the job started in gwangju and gives up.
        Assert.False(await move.WaitAsync(WaitLimit));

        // The start, held behind the move at the job, is answered now; the region runs the job from the start it gave it,
        // whose three minutes have passed, so the run ends at once.
        var notices = server.Services.GetRequiredService<NoticeDeliveries>();
        await notices.WhenDeliveredAsync().WaitAsync(WaitLimit);
        server.Clock.Advance(TimeSpan.FromSeconds(1));
        await server.Services.GetRequiredService<ExecutionClock>().WhenIdleAsync().WaitAsync(WaitLimit);
        await notices.WhenDeliveredAsync().WaitAsync(WaitLimit);
        var done = await Job(server, "short-1");
        Assert.True(done.State == JobState.Completed, $"the job is {done.State} in {done.Region} ({string.Join(", ", done.History.Select(e => $"{e.Kind}@{e.Region}"))}), its run ended");
        Assert.Equal(["Submitted", "Queued", "Started", "Completed"], done.History.Select(e => e.Kind));
        Assert.All(done.History.Skip(1), e => Assert.Equal("gwangju", e.Region));
        var gwangju = await Gwangju(server);
        Assert.Equal((0, 0, 0), (gwangju.RunningJobs, gwangju.QueuedJobs, gwangju.Pools.Sum(p => p.Busy)));
    }

    private static async Task<RegionView> Gwangju(ServerHost server) => await ServerHost.ReadAsync<RegionView>(await server.Client.GetAsync("api/regions/gwangju"));

    private static async Task<JobView> Job(ServerHost server, string id) => await ServerHost.ReadAsync<JobView>(await server.Client.GetAsync($"api/jobs/{id}"));
}

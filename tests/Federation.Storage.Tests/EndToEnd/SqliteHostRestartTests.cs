using Federation.Actors.AdoNet.Sqlite;
using Federation.Actors.Storage;
using Federation.Actors.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Actors.AdoNet.Tests.EndToEnd;

/// <summary>
/// The runtime on SQLite across a full host restart: a second host on the same file sees the state
/// the first one wrote (loaded before OnActivateAsync), and reminders registered on the first keep
/// firing on the second, without replaying the ticks missed while no host ran.
/// </summary>
public sealed class SqliteHostRestartTests : IDisposable
{
    private static readonly TimeSpan Period = TimeSpan.FromMinutes(1);
    private readonly TempDatabase _database = new();
    private readonly TickProbe _probe = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task StateWrittenByOneHostIsLoadedBeforeActivationOnTheNext()
    {
        await using (var first = await StartSiloAsync(new ManualTimeProvider()))
        {
            var counter = first.GrainFactory.GetGrain<IDurableCounterGrain>("gwangju");
            Assert.Equal(0, await counter.ValueSeenOnActivate());
            Assert.Equal(1, await counter.Increment());
            Assert.Equal(2, await counter.Increment());
            Assert.Equal(3, await counter.Increment());
        }

        await using var second = await StartSiloAsync(new ManualTimeProvider());
        var again = second.GrainFactory.GetGrain<IDurableCounterGrain>("gwangju");

        Assert.Equal(3, await again.ValueSeenOnActivate());

        // The ETag read at activation is the stored one, so the next write goes through.
        Assert.Equal(4, await again.Increment());
        Assert.Equal(0, await second.GrainFactory.GetGrain<IDurableCounterGrain>("daegu").ValueSeenOnActivate());
    }

    [Fact]
    public async Task Checklist_39_RemindersOnSqliteKeepFiringAfterAFullHostRestartWithoutReplayingMissedTicks()
    {
        var firstTime = new ManualTimeProvider();
        await using (var first = await StartSiloAsync(firstTime))
        {
            await first.GrainFactory.GetGrain<IDurableCounterGrain>("suncheon").StartTicking(Period, Period);
            firstTime.Advance(Period);
            await _probe.WaitForTickAsync(1);
        }

        // Ten and a half periods pass with no host running; ten ticks are missed.
        var restartAt = firstTime.GetUtcNow() + (10 * Period) + (Period / 2);
        var secondTime = new ManualTimeProvider(restartAt);
        await using var second = await StartSiloAsync(secondTime);
        var grain = second.GrainFactory.GetGrain<IDurableCounterGrain>("suncheon");

        secondTime.Advance(Period / 2);
        await _probe.WaitForTickAsync(2);
        Assert.Equal(2, await grain.Ticks());

        secondTime.Advance(Period);
        await _probe.WaitForTickAsync(3);
        Assert.Equal(3, await grain.Ticks());
    }

    [Fact]
    public async Task TwoHostsOnOneFile_TheStaleActivationGetsInconsistentStateAndTheNextCallRereads()
    {
        // Two silos that both activated one grain (what a directory race could produce): the ETag
        // protocol lets only the first writer of each version through.
        await using var first = await StartSiloAsync(new ManualTimeProvider());
        await using var second = await StartSiloAsync(new ManualTimeProvider());
        var onFirst = first.GrainFactory.GetGrain<IDurableCounterGrain>("gwangyang");
        var onSecond = second.GrainFactory.GetGrain<IDurableCounterGrain>("gwangyang");
        Assert.Equal(1, await onFirst.Increment());
        Assert.Equal(2, await onSecond.Increment());

        await Assert.ThrowsAsync<InconsistentStateException>(() => onFirst.Increment());

        // The exception deactivated the stale activation (checklist 16); the next call reads version 2.
        Assert.Equal(3, await onFirst.Increment());
        Assert.Equal(2, await onFirst.ValueSeenOnActivate());
    }

    private Task<TestSilo> StartSiloAsync(ManualTimeProvider time) =>
        TestSilo.StartAsync(
            configureServices: services =>
            {
                services.AddSingleton(_probe);
                services.AddSqliteGrainStorage(o => o.ConnectionString = _database.ConnectionString);
                services.AddSqliteReminderTable(o => o.ConnectionString = _database.ConnectionString);
            },
            time: time);
}

using Federation.Grains.Execution;
using Federation.Server.Hosting;
using Federation.Server.Tests.Support;
using Federation.TestKit;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Runtime;
using Orleans.Storage;

namespace Federation.Server.Tests;

/// <summary>
/// The execution clock never goes back across restarts of the same store: it resumes at max(wall now, the
/// mark the previous process persisted), and the mark is written at start and every interval. The keeper writes
/// to Orleans' "Default" grain storage: here the server's own, on SQLite files of the test's, in a silo.
/// </summary>
public sealed class ExecutionClockKeeperTests : IDisposable
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(10);
    private static readonly DateTimeOffset Start = ManualTimeProvider.DefaultStart;

    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"fed-{Guid.NewGuid():N}");

    public ExecutionClockKeeperTests()
    {
        Directory.CreateDirectory(_folder);
    }

    private string JobFile => Path.Combine(_folder, "federation.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public void ResumeAt_moves_simulated_now_and_keeps_the_scale()
    {
        var wall = new ManualTimeProvider();
        var scaled = new ScaledTimeProvider(wall, 3600);
        var resumed = Start.AddDays(3);

        scaled.ResumeAt(resumed);
        wall.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(resumed.AddHours(2), scaled.GetUtcNow());
        Assert.Equal(TimeSpan.FromDays(3) + TimeSpan.FromHours(2) - TimeSpan.FromSeconds(2), scaled.AheadOfInner);
    }

    [Fact]
    public async Task A_first_start_begins_at_wall_now_and_writes_the_mark_one_lead_ahead()
    {
        await using var silo = await GrainStateSilo.StartAsync(JobFile);
        var storage = silo.Storage;
        var wall = new ManualTimeProvider();
        var clock = new ScaledTimeProvider(wall, 3600);
        var logs = new CapturingLoggerProvider();
        await using var keeper = new ExecutionClockKeeper(storage, clock, wall, logs.CreateLogger("clock"));

        await keeper.StartAsync(CancellationToken.None);

        Assert.Equal(Start, clock.GetUtcNow());
        Assert.Equal(TimeSpan.FromHours(2), keeper.Lead);
        Assert.Equal(Start.AddHours(2), await StoredMarkAsync(storage));
        Assert.Contains(logs.Entries, l => l.Contains("starts at wall time", StringComparison.Ordinal) && l.Contains("no mark in the store", StringComparison.Ordinal));
        await keeper.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task The_mark_is_written_every_interval_of_wall_time()
    {
        await using var silo = await GrainStateSilo.StartAsync(JobFile);
        var storage = silo.Storage;
        var wall = new ManualTimeProvider();
        var clock = new ScaledTimeProvider(wall, 3600);
        await using var keeper = new ExecutionClockKeeper(storage, clock, wall, new CapturingLoggerProvider().CreateLogger("clock"));
        await keeper.StartAsync(CancellationToken.None);

        var first = keeper.NextWriteAsync();
        wall.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(Start.AddHours(1 + 2), await first.WaitAsync(WaitLimit));
        var second = keeper.NextWriteAsync();
        wall.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(Start.AddHours(2 + 2), await second.WaitAsync(WaitLimit));

        Assert.Equal(Start.AddHours(4), await StoredMarkAsync(storage));
        await keeper.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_restart_resumes_at_the_last_mark_when_it_is_ahead_of_wall_time()
    {
        var wall = new ManualTimeProvider();
        DateTimeOffset mark;
        await using (var before = await GrainStateSilo.StartAsync(JobFile))
        {
            mark = await RunAsync(before.Storage, wall, TimeSpan.FromSeconds(10));
        }

        Assert.Equal(Start.AddHours(10 + 2), mark);

        // The restart (a new silo on the same files) comes a second of wall time later: the old clock would start
        // 11 simulated hours back.
        wall.Advance(TimeSpan.FromSeconds(1));
        await using var silo = await GrainStateSilo.StartAsync(JobFile);
        var storage = silo.Storage;
        var clock = new ScaledTimeProvider(wall, 3600);
        var logs = new CapturingLoggerProvider();
        await using var keeper = new ExecutionClockKeeper(storage, clock, wall, logs.CreateLogger("clock"));
        await keeper.StartAsync(CancellationToken.None);

        Assert.Equal(mark, clock.GetUtcNow());
        Assert.Contains(logs.Entries, l => l.Contains($"resumes at {mark:O}, 12.0 h ahead of wall time (time scale 3600)", StringComparison.Ordinal));
        Assert.Equal(mark + keeper.Lead, await StoredMarkAsync(storage));
        await keeper.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_restart_after_the_mark_starts_at_wall_now_never_earlier()
    {
        var wall = new ManualTimeProvider();
        DateTimeOffset mark;
        await using (var before = await GrainStateSilo.StartAsync(JobFile))
        {
            mark = await RunAsync(before.Storage, wall, TimeSpan.FromSeconds(10));
        }

        wall.Advance(TimeSpan.FromDays(1));
        await using var silo = await GrainStateSilo.StartAsync(JobFile);
        var storage = silo.Storage;
        var clock = new ScaledTimeProvider(wall, 3600);
        var logs = new CapturingLoggerProvider();
        await using var keeper = new ExecutionClockKeeper(storage, clock, wall, logs.CreateLogger("clock"));
        await keeper.StartAsync(CancellationToken.None);

        Assert.Equal(wall.GetUtcNow(), clock.GetUtcNow());
        Assert.True(clock.GetUtcNow() > mark);
        Assert.Contains(logs.Entries, l => l.Contains($"the store's mark {mark:O} is behind it", StringComparison.Ordinal));
        await keeper.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_failed_write_is_logged_once_and_retried_on_the_next_tick()
    {
        await using var silo = await GrainStateSilo.StartAsync(JobFile);
        var storage = new FlakyStorage(silo.Storage);
        var wall = new ManualTimeProvider();
        var clock = new ScaledTimeProvider(wall, 60);
        var logs = new CapturingLoggerProvider();
        await using var keeper = new ExecutionClockKeeper(storage, clock, wall, logs.CreateLogger("clock"));
        await keeper.StartAsync(CancellationToken.None);

        storage.Failing = true;
        for (var i = 0; i < 3; i++)
        {
            wall.Advance(TimeSpan.FromSeconds(1));
            Assert.True(await storage.FailedWrites.WaitAsync(WaitLimit));
        }

        storage.Failing = false;
        var recovered = keeper.NextWriteAsync();
        wall.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(Start.AddMinutes(4 + 2), await recovered.WaitAsync(WaitLimit));

        // One more write: the loop has logged the recovery before it starts the next one.
        var next = keeper.NextWriteAsync();
        wall.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(Start.AddMinutes(5 + 2), await next.WaitAsync(WaitLimit));
        Assert.Single(logs.Entries, l => l.Contains("writing its mark to the store failed", StringComparison.Ordinal));
        Assert.Single(logs.Entries, l => l.Contains("its mark is written again", StringComparison.Ordinal));
        Assert.Equal(Start.AddMinutes(7), await StoredMarkAsync(storage));
        await keeper.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task A_conflicting_writer_never_lowers_the_stored_mark()
    {
        await using var silo = await GrainStateSilo.StartAsync(JobFile);
        var storage = silo.Storage;
        var wall = new ManualTimeProvider();
        var clock = new ScaledTimeProvider(wall, 3600);
        await using var keeper = new ExecutionClockKeeper(storage, clock, wall, new CapturingLoggerProvider().CreateLogger("clock"));
        await keeper.StartAsync(CancellationToken.None);

        // Another server on the same store writes a later mark behind this keeper's back.
        var other = new GrainState<ExecutionClockRecord>(new ExecutionClockRecord());
        await storage.ReadStateAsync(ExecutionClockKeeper.StateName, ExecutionClockKeeper.RecordId, other);
        Assert.True(other.RecordExists);
        other.State!.HighWaterMark = Start.AddDays(30);
        await storage.WriteStateAsync(ExecutionClockKeeper.StateName, ExecutionClockKeeper.RecordId, other);

        var next = keeper.NextWriteAsync();
        wall.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(Start.AddDays(30), await next.WaitAsync(WaitLimit));
        Assert.Equal(Start.AddDays(30), await StoredMarkAsync(storage));
        await keeper.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task With_SQLite_the_execution_clock_after_a_restart_is_at_least_the_last_mark()
    {
        string[] args = ["--storage", "sqlite", "--connection", JobFile, "--time-scale", "3600"];
        var wall = new ManualTimeProvider();
        DateTimeOffset mark;
        await using (var first = await ServerHost.StartAsync(wall, null, null, args))
        {
            var keeper = first.Services.GetRequiredService<ExecutionClockKeeper>();
            Assert.Equal(Start, first.Services.GetRequiredService<ExecutionClock>().Time.GetUtcNow());
            mark = await AdvanceAsync(keeper, wall, TimeSpan.FromSeconds(10));
            Assert.Equal(Start.AddHours(10 + 2), mark);
        }

        wall.Advance(TimeSpan.FromSeconds(1));
        var logs = new CapturingLoggerProvider();
        await using var second = await ServerHost.StartAsync(wall, null, logs, args);

        var now = second.Services.GetRequiredService<ExecutionClock>().Time.GetUtcNow();
        Assert.True(now >= mark, $"the clock resumed at {now:O}, before the last mark {mark:O}");
        Assert.Equal(mark, now);
        Assert.Contains(logs.Entries, l => l.Contains($"Execution clock resumes at {mark:O}", StringComparison.Ordinal));

        // The mark is Orleans' grain state: it is in the grain-state file beside the job file, not in the job file.
        Assert.True(File.Exists(Path.Combine(_folder, "federation.orleans.db")));
    }

    [Fact]
    public async Task With_memory_storage_the_execution_clock_starts_at_wall_now()
    {
        var wall = new ManualTimeProvider(Start.AddDays(5));
        await using var host = await ServerHost.StartAsync(wall, null, null, "--time-scale", "3600");

        Assert.Equal(wall.GetUtcNow(), host.Services.GetRequiredService<ExecutionClock>().Time.GetUtcNow());
        Assert.Null(host.Services.GetService<ExecutionClockKeeper>());
        wall.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(Start.AddDays(5).AddHours(1), host.Services.GetRequiredService<ExecutionClock>().Time.GetUtcNow());
    }

    /// <summary>One process's life at scale 3600 on <paramref name="storage"/>: start, run <paramref name="runFor"/> of wall time, stop.</summary>
    private static async Task<DateTimeOffset> RunAsync(IGrainStorage storage, ManualTimeProvider wall, TimeSpan runFor)
    {
        var clock = new ScaledTimeProvider(wall, 3600);
        await using var keeper = new ExecutionClockKeeper(storage, clock, wall, new CapturingLoggerProvider().CreateLogger("clock"));
        await keeper.StartAsync(CancellationToken.None);
        var mark = await AdvanceAsync(keeper, wall, runFor);
        await keeper.StopAsync(CancellationToken.None);
        return mark;
    }

    /// <summary>
    /// Advances the wall clock one interval at a time, waiting for each write, so every mark is read at a known
    /// instant (the loop runs on the thread pool and would otherwise read the clock mid-advance).
    /// </summary>
    private static async Task<DateTimeOffset> AdvanceAsync(ExecutionClockKeeper keeper, ManualTimeProvider wall, TimeSpan by)
    {
        var mark = default(DateTimeOffset);
        for (var moved = TimeSpan.Zero; moved < by; moved += keeper.Interval)
        {
            var written = keeper.NextWriteAsync();
            wall.Advance(keeper.Interval);
            mark = await written.WaitAsync(WaitLimit);
        }

        return mark;
    }

    private static async Task<DateTimeOffset> StoredMarkAsync(IGrainStorage storage)
    {
        var state = new GrainState<ExecutionClockRecord>(new ExecutionClockRecord());
        await storage.ReadStateAsync(ExecutionClockKeeper.StateName, ExecutionClockKeeper.RecordId, state);
        Assert.True(state.RecordExists);
        Assert.NotNull(state.State);
        return state.State.HighWaterMark;
    }

    /// <summary>A store whose writes fail while <see cref="Failing"/>; each failed write releases <see cref="FailedWrites"/>.</summary>
    private sealed class FlakyStorage(IGrainStorage inner) : IGrainStorage
    {
        public volatile bool Failing;

        public SemaphoreSlim FailedWrites { get; } = new(0);

        public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
            ReadStateAsync(stateName, grainId, grainState, CancellationToken.None);

        public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken) =>
            inner.ReadStateAsync(stateName, grainId, grainState, cancellationToken);

        public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
            WriteStateAsync(stateName, grainId, grainState, CancellationToken.None);

        public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
        {
            if (Failing)
            {
                FailedWrites.Release();
                return Task.FromException(new TimeoutException("the store does not answer"));
            }

            return inner.WriteStateAsync(stateName, grainId, grainState, cancellationToken);
        }

        public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
            ClearStateAsync(stateName, grainId, grainState, CancellationToken.None);

        public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken) =>
            inner.ClearStateAsync(stateName, grainId, grainState, cancellationToken);
    }
}

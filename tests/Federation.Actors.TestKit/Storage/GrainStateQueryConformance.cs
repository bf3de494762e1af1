using Federation.Actors.Storage;
using Xunit;

namespace Federation.Actors.TestKit.Storage;

/// <summary>An indexed state: its region, phase and tags become index entries.</summary>
public sealed record IndexedTestState : IIndexedGrainState
{
    public string? Region { get; init; }

    public TestPhase Phase { get; init; }

    public IReadOnlyList<string> Tags { get; init; } = [];

    public int Value { get; init; }

    public void GetIndexEntries(ICollection<KeyValuePair<string, string>> entries)
    {
        if (Region is not null)
        {
            entries.Add(new("region", Region));
        }

        entries.Add(new("phase", Phase.ToString()));
        foreach (var tag in Tags)
        {
            entries.Add(new("tag", tag));
        }
    }
}

/// <summary>
/// The conformance suite of <see cref="IGrainStateQueryable"/>: index entries are written with the
/// row, replaced on every write, gone on clear, and a query pages through matching rows by key.
/// </summary>
public abstract class GrainStateQueryConformance : IAsyncLifetime
{
    private const string StateName = "job";
    private static readonly GrainType JobType = new("job");
    private readonly List<object> _created = [];

    /// <summary>Creates the provider for one test over an empty store; called once per test.</summary>
    protected abstract IGrainStorage CreateStorage(bool deleteStateOnClear);

    protected virtual Task CleanupAsync() => Task.CompletedTask;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var created in _created)
        {
            if (created is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync();
            }
        }

        await CleanupAsync();
    }

    [Fact]
    public async Task QueryReturnsRowsMatchingEveryFilterOrderedByKeyWithTheirETags()
    {
        var (storage, queryable) = Storage();
        await WriteAsync(storage, "j3", new IndexedTestState { Region = "gwangju", Phase = TestPhase.Running, Value = 3 });
        await WriteAsync(storage, "j1", new IndexedTestState { Region = "gwangju", Phase = TestPhase.Running, Value = 1 });
        await WriteAsync(storage, "j2", new IndexedTestState { Region = "gwangju", Phase = TestPhase.Queued, Value = 2 });
        await WriteAsync(storage, "j4", new IndexedTestState { Region = "daegu", Phase = TestPhase.Running, Value = 4 }, writes: 2);

        var running = await queryable.QueryAsync<IndexedTestState>(Query(("phase", "Running")));
        var gwangjuRunning = await queryable.QueryAsync<IndexedTestState>(Query(("region", "gwangju"), ("phase", "Running")));

        Assert.Equal(["j1", "j3", "j4"], running.Items.Select(i => i.GrainId.Key));
        Assert.Equal([1, 3, 4], running.Items.Select(i => i.State.Value));
        Assert.Equal(["1", "1", "2"], running.Items.Select(i => i.ETag));
        Assert.All(running.Items, i => Assert.Equal(JobType, i.GrainId.Type));
        Assert.Equal(3, running.TotalCount);
        Assert.Null(running.NextAfterKey);
        Assert.Equal(["j1", "j3"], gwangjuRunning.Items.Select(i => i.GrainId.Key));
        Assert.Empty((await queryable.QueryAsync<IndexedTestState>(Query(("region", "suncheon")))).Items);
    }

    [Fact]
    public async Task AnEntryWithManyValuesMatchesEachOfThem()
    {
        var (storage, queryable) = Storage();
        await WriteAsync(storage, "j1", new IndexedTestState { Tags = ["h100", "npu", "h100"] });
        await WriteAsync(storage, "j2", new IndexedTestState { Tags = ["npu"] });

        Assert.Equal(["j1"], (await queryable.QueryAsync<IndexedTestState>(Query(("tag", "h100")))).Items.Select(i => i.GrainId.Key));
        Assert.Equal(["j1", "j2"], (await queryable.QueryAsync<IndexedTestState>(Query(("tag", "npu")))).Items.Select(i => i.GrainId.Key));
        Assert.Equal(["j1"], (await queryable.QueryAsync<IndexedTestState>(Query(("tag", "npu"), ("tag", "h100")))).Items.Select(i => i.GrainId.Key));
    }

    [Fact]
    public async Task EveryWriteReplacesTheRowsEntries()
    {
        var (storage, queryable) = Storage();
        var grain = GrainId.Create(JobType, "moving");
        var state = new GrainState<IndexedTestState>(new IndexedTestState { Region = "gwangju", Phase = TestPhase.Queued });
        await storage.WriteStateAsync(StateName, grain, state);

        state.State = state.State with { Region = "daegu", Phase = TestPhase.Running };
        await storage.WriteStateAsync(StateName, grain, state);

        Assert.Empty((await queryable.QueryAsync<IndexedTestState>(Query(("region", "gwangju")))).Items);
        Assert.Empty((await queryable.QueryAsync<IndexedTestState>(Query(("phase", "Queued")))).Items);
        var moved = Assert.Single((await queryable.QueryAsync<IndexedTestState>(Query(("region", "daegu"), ("phase", "Running")))).Items);
        Assert.Equal("2", moved.ETag);

        state.State = state.State with { Region = null };
        await storage.WriteStateAsync(StateName, grain, state);
        Assert.Empty((await queryable.QueryAsync<IndexedTestState>(Query(("region", "daegu")))).Items);
    }

    [Fact]
    public async Task AStaleWriteLeavesTheEntriesAsTheyWere()
    {
        var (storage, queryable) = Storage();
        var grain = GrainId.Create(JobType, "stale");
        await storage.WriteStateAsync(StateName, grain, new GrainState<IndexedTestState>(new IndexedTestState { Region = "gwangju" }));
        var stale = new GrainState<IndexedTestState>(new IndexedTestState { Region = "daegu" }, "7");

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, grain, stale));

        Assert.Single((await queryable.QueryAsync<IndexedTestState>(Query(("region", "gwangju")))).Items);
        Assert.Empty((await queryable.QueryAsync<IndexedTestState>(Query(("region", "daegu")))).Items);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ClearedRowsAreNeverReturned(bool deleteStateOnClear)
    {
        var (storage, queryable) = Storage(deleteStateOnClear);
        var grain = GrainId.Create(JobType, "cleared");
        var state = new GrainState<IndexedTestState>(new IndexedTestState { Region = "gwangju" });
        await storage.WriteStateAsync(StateName, grain, state);
        await WriteAsync(storage, "kept", new IndexedTestState { Region = "gwangju" });

        await storage.ClearStateAsync(StateName, grain, state);

        var page = await queryable.QueryAsync<IndexedTestState>(Query(("region", "gwangju")));
        Assert.Equal(["kept"], page.Items.Select(i => i.GrainId.Key));
        Assert.Equal(1, page.TotalCount);
        Assert.Equal(["kept"], (await queryable.QueryAsync<IndexedTestState>(Query())).Items.Select(i => i.GrainId.Key));
    }

    [Fact]
    public async Task PagesFollowTheKeyOrderAndCarryTheTotal()
    {
        var (storage, queryable) = Storage();
        foreach (var key in new[] { "e", "a", "d", "b", "c" })
        {
            await WriteAsync(storage, key, new IndexedTestState { Phase = TestPhase.Queued });
        }

        var first = await queryable.QueryAsync<IndexedTestState>(Query(("phase", "Queued")) with { Limit = 2 });
        var second = await queryable.QueryAsync<IndexedTestState>(Query(("phase", "Queued")) with { Limit = 2, AfterKey = first.NextAfterKey });
        var third = await queryable.QueryAsync<IndexedTestState>(Query(("phase", "Queued")) with { Limit = 2, AfterKey = second.NextAfterKey });
        var beyond = await queryable.QueryAsync<IndexedTestState>(Query(("phase", "Queued")) with { Limit = 2, AfterKey = "z" });

        Assert.Equal(["a", "b"], first.Items.Select(i => i.GrainId.Key));
        Assert.Equal("b", first.NextAfterKey);
        Assert.Equal(["c", "d"], second.Items.Select(i => i.GrainId.Key));
        Assert.Equal("d", second.NextAfterKey);
        Assert.Equal(["e"], third.Items.Select(i => i.GrainId.Key));
        Assert.Null(third.NextAfterKey);
        Assert.Empty(beyond.Items);
        Assert.All(new[] { first, second, third, beyond }, p => Assert.Equal(5, p.TotalCount));
    }

    [Fact]
    public async Task AnExactlyFullLastPageHasNoNextKey()
    {
        var (storage, queryable) = Storage();
        await WriteAsync(storage, "a", new IndexedTestState());
        await WriteAsync(storage, "b", new IndexedTestState());

        var page = await queryable.QueryAsync<IndexedTestState>(Query() with { Limit = 2 });

        Assert.Equal(2, page.Items.Count);
        Assert.Null(page.NextAfterKey);
    }

    [Fact]
    public async Task QueriesAreScopedToGrainTypeAndStateName()
    {
        var (storage, queryable) = Storage();
        await WriteAsync(storage, "same", new IndexedTestState { Region = "gwangju", Value = 1 });
        await storage.WriteStateAsync(StateName, GrainId.Create(new GrainType("other"), "same"), new GrainState<IndexedTestState>(new IndexedTestState { Region = "gwangju", Value = 2 }));
        await storage.WriteStateAsync("archive", GrainId.Create(JobType, "same"), new GrainState<IndexedTestState>(new IndexedTestState { Region = "gwangju", Value = 3 }));

        var row = Assert.Single((await queryable.QueryAsync<IndexedTestState>(Query(("region", "gwangju")))).Items);

        Assert.Equal(1, row.State.Value);
    }

    [Fact]
    public async Task AnInvalidQueryIsRejected()
    {
        var (_, queryable) = Storage();

        await Assert.ThrowsAnyAsync<ArgumentException>(() => queryable.QueryAsync<IndexedTestState>(Query() with { Limit = 0 }));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => queryable.QueryAsync<IndexedTestState>(new GrainStateQuery(JobType, string.Empty, [])));
    }

    private static GrainStateQuery Query(params (string Name, string Value)[] filters) =>
        new(JobType, StateName, filters.Select(f => new IndexFilter(f.Name, f.Value)).ToArray());

    private static async Task WriteAsync(IGrainStorage storage, string key, IndexedTestState state, int writes = 1)
    {
        var grainState = new GrainState<IndexedTestState>(state);
        for (var i = 0; i < writes; i++)
        {
            await storage.WriteStateAsync(StateName, GrainId.Create(JobType, key), grainState);
        }
    }

    private (IGrainStorage Storage, IGrainStateQueryable Queryable) Storage(bool deleteStateOnClear = false)
    {
        var storage = CreateStorage(deleteStateOnClear);
        _created.Add(storage);
        return (storage, Assert.IsAssignableFrom<IGrainStateQueryable>(storage));
    }
}

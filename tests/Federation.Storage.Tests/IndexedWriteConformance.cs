using Federation.Actors.Storage;

namespace Federation.Actors.AdoNet.Tests;

/// <summary>A state whose index entries are exactly the listed ones, none included.</summary>
public sealed record EntriesTestState : IIndexedGrainState
{
    public int Value { get; init; }

    public IReadOnlyList<KeyValuePair<string, string>> Entries { get; init; } = [];

    public void GetIndexEntries(ICollection<KeyValuePair<string, string>> entries)
    {
        foreach (var entry in Entries)
        {
            entries.Add(entry);
        }
    }
}

/// <summary>
/// How a keyed write changes a row's index entries, checked against the index table itself on every
/// ADO.NET provider: SQLite writes the row and its entries as several statements in one transaction,
/// PostgreSQL as one statement; both must leave exactly the new entries after a write that took effect
/// and exactly the old ones after a stale write, and return the same ETags.
/// </summary>
public abstract class IndexedWriteConformance : IAsyncLifetime
{
    private const string StateName = "job";
    private static readonly GrainType JobType = new("job");
    private readonly List<IAsyncDisposable> _created = [];

    /// <summary>Creates a provider over this test's store (every call sees the same database).</summary>
    protected abstract IGrainStorage CreateStorage(bool deleteStateOnClear);

    /// <summary>The index table's entries of one row, read directly as "name=value".</summary>
    protected abstract Task<IReadOnlyList<string>> StoredEntriesAsync(string stateName, string key);

    protected virtual Task CleanupAsync() => Task.CompletedTask;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var created in _created)
        {
            await created.DisposeAsync();
        }

        await CleanupAsync();
    }

    [Fact]
    public async Task AWriteKeepsTheSharedEntriesReplacesTheOthersAndAdvancesTheETag()
    {
        var storage = Storage();
        var state = new GrainState<EntriesTestState>(State(1, ("region", "gwangju"), ("phase", "Queued"), ("tag", "a"), ("tag", "b")));
        await storage.WriteStateAsync(StateName, Grain("j"), state);
        Assert.Equal("1", state.ETag);

        state.State = State(2, ("region", "gwangju"), ("phase", "Running"), ("tag", "b"), ("tag", "c"));
        await storage.WriteStateAsync(StateName, Grain("j"), state);

        Assert.Equal("2", state.ETag);
        Assert.Equal(["phase=Running", "region=gwangju", "tag=b", "tag=c"], await StoredEntriesAsync(StateName, "j"));
        var read = await ReadAsync(storage, "j");
        Assert.Equal(2, read.State.Value);
        Assert.Equal("2", read.ETag);
    }

    [Fact]
    public async Task AWriteWithNoEntriesAfterOneWithSeveralRemovesThemAllAndTheNextAddsThemBack()
    {
        var storage = Storage();
        var state = new GrainState<EntriesTestState>(State(1, ("region", "gwangju"), ("phase", "Queued"), ("project", "p"), ("active", "true")));
        await storage.WriteStateAsync(StateName, Grain("j"), state);

        state.State = State(2);
        await storage.WriteStateAsync(StateName, Grain("j"), state);
        Assert.Empty(await StoredEntriesAsync(StateName, "j"));
        Assert.Equal("2", state.ETag);

        state.State = State(3, ("region", "daegu"));
        await storage.WriteStateAsync(StateName, Grain("j"), state);
        Assert.Equal(["region=daegu"], await StoredEntriesAsync(StateName, "j"));
        Assert.Equal("3", state.ETag);
    }

    [Fact]
    public async Task AFirstWriteWithNoEntriesStoresTheRowAndNoEntries()
    {
        var storage = Storage();
        var state = new GrainState<EntriesTestState>(State(1));

        await storage.WriteStateAsync(StateName, Grain("j"), state);

        Assert.Equal("1", state.ETag);
        Assert.Empty(await StoredEntriesAsync(StateName, "j"));
        Assert.Equal(1, (await ReadAsync(storage, "j")).State.Value);
    }

    [Fact]
    public async Task AStaleUpdateLeavesTheRowAndItsEntriesUnchanged()
    {
        var storage = Storage();
        var state = new GrainState<EntriesTestState>(State(1, ("region", "gwangju"), ("tag", "a")));
        await storage.WriteStateAsync(StateName, Grain("j"), state);
        await storage.WriteStateAsync(StateName, Grain("j"), state);

        var stale = new GrainState<EntriesTestState>(State(9, ("region", "daegu"), ("tag", "a")), "1");
        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, Grain("j"), stale));

        Assert.Equal("2", error.StoredETag);
        Assert.Equal("1", stale.ETag);
        Assert.Equal(["region=gwangju", "tag=a"], await StoredEntriesAsync(StateName, "j"));
        var read = await ReadAsync(storage, "j");
        Assert.Equal((1, "2"), (read.State.Value, read.ETag));
    }

    [Fact]
    public async Task AFirstWriteOverAnExistingRowLeavesTheRowAndItsEntriesUnchanged()
    {
        var storage = Storage();
        await storage.WriteStateAsync(StateName, Grain("j"), new GrainState<EntriesTestState>(State(1, ("region", "gwangju"))));

        var second = new GrainState<EntriesTestState>(State(2, ("region", "daegu"), ("tag", "x")));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, Grain("j"), second));

        Assert.Null(second.ETag);
        Assert.Equal(["region=gwangju"], await StoredEntriesAsync(StateName, "j"));
        var read = await ReadAsync(storage, "j");
        Assert.Equal((1, "1"), (read.State.Value, read.ETag));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AClearRemovesEveryEntryAndAStaleClearNone(bool deleteStateOnClear)
    {
        var storage = Storage(deleteStateOnClear);
        var state = new GrainState<EntriesTestState>(State(1, ("region", "gwangju"), ("tag", "a")));
        await storage.WriteStateAsync(StateName, Grain("j"), state);
        await storage.WriteStateAsync(StateName, Grain("j"), state);

        var stale = new GrainState<EntriesTestState>(state.State, "1");
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(StateName, Grain("j"), stale));
        Assert.Equal(["region=gwangju", "tag=a"], await StoredEntriesAsync(StateName, "j"));

        await storage.ClearStateAsync(StateName, Grain("j"), state);

        Assert.Empty(await StoredEntriesAsync(StateName, "j"));
        Assert.Equal(deleteStateOnClear ? null : "3", state.ETag);
        Assert.False(state.RecordExists);
        var read = await ReadAsync(storage, "j");
        Assert.Equal((false, deleteStateOnClear ? null : "3"), (read.RecordExists, read.ETag));

        state.State = State(4, ("region", "daegu"));
        await storage.WriteStateAsync(StateName, Grain("j"), state);
        Assert.Equal(deleteStateOnClear ? "1" : "4", state.ETag);
        Assert.Equal(["region=daegu"], await StoredEntriesAsync(StateName, "j"));
    }

    [Fact]
    public async Task AWriteChangesOnlyItsOwnRowsEntries()
    {
        var storage = Storage();
        await storage.WriteStateAsync(StateName, Grain("other"), new GrainState<EntriesTestState>(State(1, ("region", "gwangju"))));
        await storage.WriteStateAsync("archive", Grain("j"), new GrainState<EntriesTestState>(State(1, ("region", "gwangju"))));
        var state = new GrainState<EntriesTestState>(State(1, ("region", "gwangju")));
        await storage.WriteStateAsync(StateName, Grain("j"), state);

        state.State = State(2, ("region", "daegu"));
        await storage.WriteStateAsync(StateName, Grain("j"), state);
        await storage.ClearStateAsync(StateName, Grain("j"), state);

        Assert.Equal(["region=gwangju"], await StoredEntriesAsync(StateName, "other"));
        Assert.Equal(["region=gwangju"], await StoredEntriesAsync("archive", "j"));
        Assert.Empty(await StoredEntriesAsync(StateName, "j"));
    }

    [Fact]
    public async Task OfRacingWritersWithOneETagOnlyTheWinnersEntriesAreStored()
    {
        const int Racers = 16;
        var storage = Storage();
        await storage.WriteStateAsync(StateName, Grain("j"), new GrainState<EntriesTestState>(State(0, ("region", "start"), ("tag", "shared"))));
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var racers = Enumerable.Range(1, Racers).Select(i => Task.Run(async () =>
        {
            await start.Task;
            var state = new GrainState<EntriesTestState>(State(i, ("region", "r" + i), ("tag", "shared"), ("tag", "t" + i)), "1");
            try
            {
                await storage.WriteStateAsync(StateName, Grain("j"), state);
                return state.ETag;
            }
            catch (InconsistentStateException)
            {
                return null;
            }
        })).ToArray();

        start.SetResult();
        var results = await Task.WhenAll(racers);

        Assert.Equal(["2"], results.Where(r => r is not null));
        var winner = (await ReadAsync(storage, "j")).State.Value;
        Assert.Equal([$"region=r{winner}", "tag=shared", $"tag=t{winner}"], await StoredEntriesAsync(StateName, "j"));
    }

    private static GrainId Grain(string key) => GrainId.Create(JobType, key);

    private static EntriesTestState State(int value, params (string Name, string Value)[] entries) =>
        new() { Value = value, Entries = entries.Select(e => new KeyValuePair<string, string>(e.Name, e.Value)).ToArray() };

    private static async Task<GrainState<EntriesTestState>> ReadAsync(IGrainStorage storage, string key)
    {
        var state = new GrainState<EntriesTestState>(null!);
        await storage.ReadStateAsync(StateName, Grain(key), state);
        return state;
    }

    private IGrainStorage Storage(bool deleteStateOnClear = false)
    {
        var storage = CreateStorage(deleteStateOnClear);
        _created.Add(Assert.IsAssignableFrom<IAsyncDisposable>(storage));
        return storage;
    }
}

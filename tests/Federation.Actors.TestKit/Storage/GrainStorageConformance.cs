using System.Collections.Immutable;
using Federation.Actors.Storage;
using Xunit;

namespace Federation.Actors.TestKit.Storage;

/// <summary>
/// The conformance suite every <see cref="IGrainStorage"/> passes (checklist items 35–37 of
/// reference/orleans-semantics.md plus round-trips and races). A subclass supplies the provider; xUnit
/// creates one instance per test, so each test starts from an empty store.
/// </summary>
public abstract class GrainStorageConformance : IAsyncLifetime
{
    private const string StateName = "state";
    private const int RacingWriters = 16;

    private static readonly GrainType CounterType = new("counter");
    private readonly List<object> _created = [];

    /// <summary>Creates the provider for one test over an empty store; called once per test.</summary>
    protected abstract IGrainStorage CreateStorage(bool deleteStateOnClear);

    /// <summary>Runs after every provider created by the test is disposed (delete files here).</summary>
    protected virtual Task CleanupAsync() => Task.CompletedTask;

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var created in _created)
        {
            switch (created)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync();
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }

        await CleanupAsync();
    }

    [Fact]
    public async Task Checklist_35_FirstWriteWithNullETagInsertsVersion1()
    {
        var storage = Storage();
        var grain = GrainId.Create(CounterType, "first");
        var state = new GrainState<MutableTestState>(new MutableTestState { Value = 7, Text = "seven" });

        await storage.WriteStateAsync(StateName, grain, state);

        Assert.Equal("1", state.ETag);
        Assert.True(state.RecordExists);
        var read = await ReadAsync<MutableTestState>(storage, StateName, grain);
        Assert.Equal("1", read.ETag);
        Assert.True(read.RecordExists);
        Assert.Equal(7, read.State.Value);
        Assert.Equal("seven", read.State.Text);
    }

    [Fact]
    public async Task Checklist_35_SecondInserterWithNullETagGetsInconsistentState()
    {
        var storage = Storage();
        var grain = GrainId.Create(CounterType, "duplicate");
        await storage.WriteStateAsync(StateName, grain, new GrainState<MutableTestState>(new MutableTestState { Value = 1 }));
        var second = new GrainState<MutableTestState>(new MutableTestState { Value = 2 });

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, grain, second));

        Assert.Equal("1", error.StoredETag);
        Assert.Null(error.CurrentETag);
        Assert.Null(second.ETag);
        var read = await ReadAsync<MutableTestState>(storage, StateName, grain);
        Assert.Equal(1, read.State.Value);
        Assert.Equal("1", read.ETag);
    }

    [Fact]
    public async Task Checklist_35_StaleWriteFailsAndLeavesRowUnchanged()
    {
        var storage = Storage();
        var grain = GrainId.Create(CounterType, "stale");
        var current = new GrainState<MutableTestState>(new MutableTestState { Value = 1 });
        await storage.WriteStateAsync(StateName, grain, current);
        var stale = await ReadAsync<MutableTestState>(storage, StateName, grain);
        current.State.Value = 2;
        await storage.WriteStateAsync(StateName, grain, current);
        Assert.Equal("2", current.ETag);

        stale.State.Value = 99;
        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, grain, stale));

        Assert.Equal("2", error.StoredETag);
        Assert.Equal("1", error.CurrentETag);
        Assert.Equal("1", stale.ETag);
        var read = await ReadAsync<MutableTestState>(storage, StateName, grain);
        Assert.Equal(2, read.State.Value);
        Assert.Equal("2", read.ETag);
    }

    [Fact]
    public async Task Checklist_35_WriteWithETagButNoRowFails()
    {
        var storage = Storage();
        var grain = GrainId.Create(CounterType, "phantom");
        var state = new GrainState<MutableTestState>(new MutableTestState { Value = 1 }, "3");

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, grain, state));

        var read = await ReadAsync<MutableTestState>(storage, StateName, grain);
        Assert.Null(read.ETag);
        Assert.False(read.RecordExists);
    }

    [Fact]
    public async Task Checklist_35_ForeignETagIsRejected()
    {
        var storage = Storage();
        var grain = GrainId.Create(CounterType, "foreign");
        await storage.WriteStateAsync(StateName, grain, new GrainState<MutableTestState>(new MutableTestState { Value = 1 }));

        foreach (var eTag in new[] { "W/\"1\"", "abc", "0", "-1", " 1", "1.0" })
        {
            var state = new GrainState<MutableTestState>(new MutableTestState { Value = 5 }, eTag);
            await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, grain, state));
        }

        var read = await ReadAsync<MutableTestState>(storage, StateName, grain);
        Assert.Equal(1, read.State.Value);
        Assert.Equal("1", read.ETag);
    }

    [Fact]
    public async Task Checklist_35_SequentialWritesAdvanceTheVersionByOne()
    {
        var storage = Storage();
        var grain = GrainId.Create(CounterType, "sequence");
        var state = new GrainState<MutableTestState>(new MutableTestState());

        for (var i = 1; i <= 5; i++)
        {
            state.State.Value = i;
            await storage.WriteStateAsync(StateName, grain, state);
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), state.ETag);
        }

        var read = await ReadAsync<MutableTestState>(storage, StateName, grain);
        Assert.Equal(5, read.State.Value);
        Assert.Equal("5", read.ETag);
    }

    [Fact]
    public async Task Checklist_36_ClearResetsStateAndAdvancesVersion()
    {
        var storage = Storage();
        var grain = GrainId.Create(CounterType, "clear");
        var state = new GrainState<MutableTestState>(new MutableTestState { Value = 3, Text = "x" });
        await storage.WriteStateAsync(StateName, grain, state);

        await storage.ClearStateAsync(StateName, grain, state);

        Assert.Equal("2", state.ETag);
        Assert.False(state.RecordExists);
        Assert.Equal(0, state.State.Value);
        Assert.Equal(string.Empty, state.State.Text);
        var read = await ReadAsync<MutableTestState>(storage, StateName, grain);
        Assert.Equal("2", read.ETag);
        Assert.False(read.RecordExists);
        Assert.Equal(0, read.State.Value);

        state.State.Value = 4;
        await storage.WriteStateAsync(StateName, grain, state);
        Assert.Equal("3", state.ETag);
        Assert.True(state.RecordExists);
        Assert.Equal(4, (await ReadAsync<MutableTestState>(storage, StateName, grain)).State.Value);
    }

    [Fact]
    public async Task Checklist_36_ClearWithDeleteStateOnClearDeletesRow()
    {
        var storage = Storage(deleteStateOnClear: true);
        var grain = GrainId.Create(CounterType, "delete");
        var state = new GrainState<MutableTestState>(new MutableTestState { Value = 3 });
        await storage.WriteStateAsync(StateName, grain, state);

        await storage.ClearStateAsync(StateName, grain, state);

        Assert.Null(state.ETag);
        Assert.False(state.RecordExists);
        Assert.Equal(0, state.State.Value);
        var read = await ReadAsync<MutableTestState>(storage, StateName, grain);
        Assert.Null(read.ETag);
        Assert.False(read.RecordExists);

        state.State.Value = 5;
        await storage.WriteStateAsync(StateName, grain, state);
        Assert.Equal("1", state.ETag);
    }

    [Fact]
    public async Task Checklist_36_ClearWithStaleETagFailsAndLeavesRowUnchanged()
    {
        var storage = Storage();
        var grain = GrainId.Create(CounterType, "clear-stale");
        var current = new GrainState<MutableTestState>(new MutableTestState { Value = 1 });
        await storage.WriteStateAsync(StateName, grain, current);
        var stale = await ReadAsync<MutableTestState>(storage, StateName, grain);
        current.State.Value = 2;
        await storage.WriteStateAsync(StateName, grain, current);

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(StateName, grain, stale));

        Assert.Equal("1", stale.ETag);
        Assert.Equal(1, stale.State.Value);
        var read = await ReadAsync<MutableTestState>(storage, StateName, grain);
        Assert.Equal(2, read.State.Value);
        Assert.Equal("2", read.ETag);
        Assert.True(read.RecordExists);
    }

    [Fact]
    public async Task Checklist_36_ClearOfNeverStoredStateIsANoOp()
    {
        var storage = Storage();
        var grain = GrainId.Create(CounterType, "never");
        var state = new GrainState<MutableTestState>(new MutableTestState { Value = 9 });

        await storage.ClearStateAsync(StateName, grain, state);

        Assert.Null(state.ETag);
        Assert.False(state.RecordExists);
        Assert.Equal(0, state.State.Value);
        var read = await ReadAsync<MutableTestState>(storage, StateName, grain);
        Assert.Null(read.ETag);
    }

    [Fact]
    public async Task Checklist_36_ClearWithNullETagWhenARowExistsFails()
    {
        var storage = Storage();
        var grain = GrainId.Create(CounterType, "blind-clear");
        await storage.WriteStateAsync(StateName, grain, new GrainState<MutableTestState>(new MutableTestState { Value = 1 }));
        var blind = new GrainState<MutableTestState>(new MutableTestState());

        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(StateName, grain, blind));

        var read = await ReadAsync<MutableTestState>(storage, StateName, grain);
        Assert.Equal(1, read.State.Value);
        Assert.Equal("1", read.ETag);
    }

    [Fact]
    public async Task Checklist_37_TwoGrainTypesSameKeyAndStateNameDoNotShareARow()
    {
        var storage = Storage();
        var alpha = GrainId.Create(new GrainType("alpha"), "shared-key");
        var beta = GrainId.Create(new GrainType("beta"), "shared-key");
        await storage.WriteStateAsync(StateName, alpha, new GrainState<MutableTestState>(new MutableTestState { Value = 1 }));

        // With a shared row this would be a second insert and fail.
        var betaState = new GrainState<MutableTestState>(new MutableTestState { Value = 2 });
        await storage.WriteStateAsync(StateName, beta, betaState);

        Assert.Equal("1", betaState.ETag);
        Assert.Equal(1, (await ReadAsync<MutableTestState>(storage, StateName, alpha)).State.Value);
        Assert.Equal(2, (await ReadAsync<MutableTestState>(storage, StateName, beta)).State.Value);
        await storage.ClearStateAsync(StateName, beta, betaState);
        Assert.True((await ReadAsync<MutableTestState>(storage, StateName, alpha)).RecordExists);
    }

    [Fact]
    public async Task Checklist_37_HexLikeStringKeysDoNotCollide()
    {
        // Orleans #9706: "020235" and "20235" both parse as the integer 0x20235 and share a row there;
        // a 32-hex-digit string is taken for a Guid.
        var storage = Storage();
        string[] keys = ["020235", "20235", "abc", "ABC", "2748", "0123456789abcdef0123456789abcdef", "0123456789ABCDEF0123456789ABCDEF"];
        for (var i = 0; i < keys.Length; i++)
        {
            var state = new GrainState<MutableTestState>(new MutableTestState { Value = i });
            await storage.WriteStateAsync(StateName, GrainId.Create(CounterType, keys[i]), state);
            Assert.Equal("1", state.ETag);
        }

        for (var i = 0; i < keys.Length; i++)
        {
            Assert.Equal(i, (await ReadAsync<MutableTestState>(storage, StateName, GrainId.Create(CounterType, keys[i]))).State.Value);
        }
    }

    [Fact]
    public async Task StateNamesOfOneGrainDoNotShareARow()
    {
        var storage = Storage();
        var grain = GrainId.Create(CounterType, "two-states");
        await storage.WriteStateAsync("profile", grain, new GrainState<MutableTestState>(new MutableTestState { Value = 1 }));
        await storage.WriteStateAsync("history", grain, new GrainState<MutableTestState>(new MutableTestState { Value = 2 }));

        Assert.Equal(1, (await ReadAsync<MutableTestState>(storage, "profile", grain)).State.Value);
        Assert.Equal(2, (await ReadAsync<MutableTestState>(storage, "history", grain)).State.Value);
    }

    [Fact]
    public async Task ReadOfMissingStateGivesFreshStateWithNullETag()
    {
        var storage = Storage();
        var state = new GrainState<MutableTestState>(new MutableTestState { Value = 42, Text = "stale" }, "17") { RecordExists = true };

        await storage.ReadStateAsync(StateName, GrainId.Create(CounterType, "missing"), state);

        Assert.Null(state.ETag);
        Assert.False(state.RecordExists);
        Assert.NotNull(state.State);
        Assert.Equal(0, state.State.Value);
        Assert.Equal(string.Empty, state.State.Text);
    }

    [Fact]
    public async Task RoundTrip_ImmutableRecordWithImmutableCollections()
    {
        var storage = Storage();
        var grain = GrainId.Create(new GrainType("job"), "job-1");
        var original = new ImmutableTestState("gwangju", 3)
        {
            Numbers = [1, 2, 3],
            Tags = ImmutableList.Create("h100", "npu"),
            Allocations = ImmutableDictionary<string, TestAllocation>.Empty
                .Add("gwangju", new TestAllocation("gwangju", 64))
                .Add("daegu", new TestAllocation("daegu", 8)),
            Phase = TestPhase.Running,
            UpdatedAt = new DateTimeOffset(2026, 11, 22, 3, 4, 5, 678, TimeSpan.FromHours(9)),
            Budget = 12345.6789m,
            Ratio = double.NaN,
            Owner = new Guid("0f8fad5b-d9cb-469f-a165-70867728950e"),
            Note = null,
        };
        await storage.WriteStateAsync(StateName, grain, new GrainState<ImmutableTestState>(original));

        var read = await ReadAsync<ImmutableTestState>(storage, StateName, grain);

        var state = read.State;
        Assert.Equal("gwangju", state.Name);
        Assert.Equal(3, state.Count);
        Assert.Equal([1, 2, 3], state.Numbers.ToArray());
        Assert.Equal(["h100", "npu"], state.Tags.ToArray());
        Assert.Equal(2, state.Allocations.Count);
        Assert.Equal(new TestAllocation("gwangju", 64), state.Allocations["gwangju"]);
        Assert.Equal(new TestAllocation("daegu", 8), state.Allocations["daegu"]);
        Assert.Equal(TestPhase.Running, state.Phase);
        Assert.Equal(original.UpdatedAt, state.UpdatedAt);
        Assert.Equal(original.UpdatedAt.Offset, state.UpdatedAt.Offset);
        Assert.Equal(12345.6789m, state.Budget);
        Assert.True(double.IsNaN(state.Ratio));
        Assert.Equal(original.Owner, state.Owner);
        Assert.Null(state.Note);
    }

    [Fact]
    public async Task RoundTrip_RecordWithoutParameterlessConstructorReadsAsNullWhenMissing()
    {
        var storage = Storage();
        var read = await ReadAsync<ImmutableTestState>(storage, StateName, GrainId.Create(new GrainType("job"), "none"));

        Assert.Null(read.State);
        Assert.Null(read.ETag);
    }

    [Fact]
    public async Task RoundTrip_LargePayload()
    {
        var storage = Storage();
        var grain = GrainId.Create(CounterType, "large");
        var items = Enumerable.Range(0, 200_000).ToList();
        var text = new string('동', 300_000);
        await storage.WriteStateAsync(StateName, grain, new GrainState<MutableTestState>(new MutableTestState { Items = items, Text = text }));

        var read = await ReadAsync<MutableTestState>(storage, StateName, grain);

        Assert.Equal(items, read.State.Items);
        Assert.Equal(text, read.State.Text);
    }

    [Fact]
    public async Task RoundTrip_UnicodeKeysTypesAndStateNames()
    {
        var storage = Storage();
        var grain = GrainId.Create(new GrainType("지역"), "광주/순천 🚀 ' \" ; -- ");
        await storage.WriteStateAsync("상태 ☃", grain, new GrainState<MutableTestState>(new MutableTestState { Value = 1, Text = "대구 🌏" }));

        var read = await ReadAsync<MutableTestState>(storage, "상태 ☃", grain);

        Assert.Equal("대구 🌏", read.State.Text);
        Assert.Equal("1", read.ETag);
        Assert.False((await ReadAsync<MutableTestState>(storage, "상태", grain)).RecordExists);
    }

    [Fact]
    public async Task RoundTrip_IntegerGuidAndCompoundKeysAreDistinctRows()
    {
        var storage = Storage();
        var guid = new Guid("6f9619ff-8b86-d011-b42d-00c04fc964ff");
        GrainId[] grains =
        [
            GrainId.Create(CounterType, 42L),
            GrainId.Create(CounterType, -1L),
            GrainId.Create(CounterType, guid),
            GrainId.Create(CounterType, 42L, "ext"),
            GrainId.Create(CounterType, guid, "ext"),
            GrainId.Create(CounterType, "42"),
        ];
        Assert.Equal(grains.Length, grains.Distinct().Count());
        for (var i = 0; i < grains.Length; i++)
        {
            await storage.WriteStateAsync(StateName, grains[i], new GrainState<MutableTestState>(new MutableTestState { Value = i }));
        }

        for (var i = 0; i < grains.Length; i++)
        {
            var read = await ReadAsync<MutableTestState>(storage, StateName, grains[i]);
            Assert.Equal(i, read.State.Value);
            Assert.Equal("1", read.ETag);
        }

        // "2A" is the text form of the integer key 42, so it is the same grain, by identity.
        Assert.Equal(0, (await ReadAsync<MutableTestState>(storage, StateName, GrainId.Create(CounterType, "2A"))).State.Value);
    }

    [Fact]
    public async Task StoredStateIsNotSharedWithTheWriter()
    {
        var storage = Storage();
        var grain = GrainId.Create(CounterType, "isolated");
        var state = new GrainState<MutableTestState>(new MutableTestState { Items = [1, 2] });
        await storage.WriteStateAsync(StateName, grain, state);

        state.State.Items.Add(3);
        var first = await ReadAsync<MutableTestState>(storage, StateName, grain);
        first.State.Items.Add(4);
        var second = await ReadAsync<MutableTestState>(storage, StateName, grain);

        Assert.Equal([1, 2], second.State.Items);
        Assert.NotSame(first.State, second.State);
    }

    [Fact]
    public async Task ConcurrentWritersWithTheSameETag_ExactlyOneWins()
    {
        var storage = Storage();
        var grain = GrainId.Create(CounterType, "race");
        await storage.WriteStateAsync(StateName, grain, new GrainState<MutableTestState>(new MutableTestState { Value = -1 }));
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writers = Enumerable.Range(0, RacingWriters).Select(i => Task.Run(async () =>
        {
            var state = new GrainState<MutableTestState>(new MutableTestState { Value = i }, "1");
            await start.Task;
            try
            {
                await storage.WriteStateAsync(StateName, grain, state);
                return (Writer: i, Won: true, state.ETag);
            }
            catch (InconsistentStateException)
            {
                return (Writer: i, Won: false, state.ETag);
            }
        })).ToArray();

        start.SetResult();
        var results = await Task.WhenAll(writers);

        var winners = results.Where(r => r.Won).ToArray();
        Assert.Single(winners);
        Assert.Equal("2", winners[0].ETag);
        Assert.All(results.Where(r => !r.Won), r => Assert.Equal("1", r.ETag));
        var read = await ReadAsync<MutableTestState>(storage, StateName, grain);
        Assert.Equal(winners[0].Writer, read.State.Value);
        Assert.Equal("2", read.ETag);
    }

    [Fact]
    public async Task ConcurrentInsertersWithNullETag_ExactlyOneWins()
    {
        var storage = Storage();
        var grain = GrainId.Create(CounterType, "insert-race");
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var inserters = Enumerable.Range(0, RacingWriters).Select(i => Task.Run(async () =>
        {
            var state = new GrainState<MutableTestState>(new MutableTestState { Value = i });
            await start.Task;
            try
            {
                await storage.WriteStateAsync(StateName, grain, state);
                return (Writer: i, Won: true);
            }
            catch (InconsistentStateException)
            {
                return (Writer: i, Won: false);
            }
        })).ToArray();

        start.SetResult();
        var results = await Task.WhenAll(inserters);

        var winner = Assert.Single(results, r => r.Won);
        var read = await ReadAsync<MutableTestState>(storage, StateName, grain);
        Assert.Equal(winner.Writer, read.State.Value);
        Assert.Equal("1", read.ETag);
    }

    [Fact]
    public async Task ManyGrainsWritingAtOnce_AllWritesLand()
    {
        const int Grains = 32;
        const int WritesPerGrain = 10;
        var storage = Storage();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var activations = Enumerable.Range(0, Grains).Select(g => Task.Run(async () =>
        {
            var grain = GrainId.Create(CounterType, (long)g);
            var state = new GrainState<MutableTestState>(new MutableTestState());
            await start.Task;
            for (var w = 1; w <= WritesPerGrain; w++)
            {
                state.State.Value = w;
                await storage.WriteStateAsync(StateName, grain, state);
                var read = await ReadAsync<MutableTestState>(storage, StateName, grain);
                Assert.Equal(w, read.State.Value);
            }

            return state.ETag;
        })).ToArray();

        start.SetResult();
        var eTags = await Task.WhenAll(activations);

        Assert.All(eTags, e => Assert.Equal("10", e));
        for (var g = 0; g < Grains; g++)
        {
            var read = await ReadAsync<MutableTestState>(storage, StateName, GrainId.Create(CounterType, (long)g));
            Assert.Equal(WritesPerGrain, read.State.Value);
            Assert.Equal("10", read.ETag);
        }
    }

    [Fact]
    public async Task CancelledWriteThrowsAndStoresNothing()
    {
        var storage = Storage();
        var grain = GrainId.Create(CounterType, "cancelled");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => storage.WriteStateAsync(StateName, grain, new GrainState<MutableTestState>(new MutableTestState { Value = 1 }), cancelled.Token));

        Assert.False((await ReadAsync<MutableTestState>(storage, StateName, grain)).RecordExists);
    }

    [Fact]
    public async Task DefaultGrainIdAndEmptyStateNameAreRejected()
    {
        var storage = Storage();
        var state = new GrainState<MutableTestState>(new MutableTestState());

        await Assert.ThrowsAsync<ArgumentException>(() => storage.WriteStateAsync(StateName, default, state));
        await Assert.ThrowsAsync<ArgumentException>(() => storage.WriteStateAsync(string.Empty, GrainId.Create(CounterType, "k"), state));
    }

    private IGrainStorage Storage(bool deleteStateOnClear = false)
    {
        var storage = CreateStorage(deleteStateOnClear);
        _created.Add(storage);
        return storage;
    }

    private static async Task<GrainState<T>> ReadAsync<T>(IGrainStorage storage, string stateName, GrainId grainId)
    {
        var state = new GrainState<T>(default!);
        await storage.ReadStateAsync(stateName, grainId, state);
        return state;
    }
}

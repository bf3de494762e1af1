using System.Globalization;
using Federation.Storage.Hosting;
using Federation.Storage.Tests.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Storage;

namespace Federation.Storage.Tests.OrleansStorage;

/// <summary>
/// A silo shared by the tests of one class (every test uses keys of its own), with the federation's storage on one
/// location; the tests use the <c>IGrainStorage</c> it resolves under <c>StorageNames.GrainState</c> directly.
/// </summary>
public abstract class GrainStateSilo(GrainStateLocation location) : IAsyncLifetime
{
    public GrainStateLocation Location { get; } = location;

    public TestSilo Silo { get; private set; } = null!;

    public async Task InitializeAsync() => Silo = await TestSilo.StartAsync(Location.AddStorage);

    public async Task DisposeAsync()
    {
        if (Silo is not null)
        {
            await Silo.DisposeAsync();
        }

        await Location.DisposeAsync();
    }
}

/// <summary>
/// Orleans' own <c>AdoNetGrainStorage</c> running the project's statements (the <c>orleansquery</c> rows the dialects
/// store): the version protocol Orleans expects of them, durability across a restart, and how rows are keyed, which is
/// why the grains keep their state names distinct.
/// </summary>
public abstract class OrleansGrainStorageConformance(GrainStateSilo silo)
{
    private const string StateName = "counter";
    private const int RacingWriters = 8;

    private static readonly GrainType CounterType = GrainType.Create("counter");

    /// <summary>A key of this test's own.</summary>
    private readonly string _key = "key-" + Guid.NewGuid().ToString("N");

    /// <summary>What grains use: Orleans' provider behind <see cref="StringKeyGrainStorage"/>.</summary>
    private IGrainStorage Storage => silo.Silo.GrainState;

    /// <summary>Orleans' provider itself, as registered under its own name.</summary>
    private IGrainStorage OrleansProvider => silo.Silo.Services.GetRequiredKeyedService<IGrainStorage>(FederationStorageSiloBuilderExtensions.OrleansProviderName);

    /// <summary>A fresh location (file or schema) of the test's own, for tests that start silos of their own.</summary>
    protected abstract GrainStateLocation NewLocation();

    [Fact]
    public async Task AFirstWriteStoresVersion1AndReadsBack()
    {
        var state = new TestGrainState<CounterState>(new CounterState { Value = 7, Text = "seven", Items = [1, 2] });

        await Storage.WriteStateAsync(StateName, Counter(), state);

        Assert.Equal(("1", true), (state.ETag, state.RecordExists));
        var read = await ReadAsync(StateName, Counter());
        Assert.Equal((7, "seven", "1", true), (read.State.Value, read.State.Text, read.ETag, read.RecordExists));
        Assert.Equal([1, 2], read.State.Items);
        Assert.Equal([new StoredGrainRow(StateName, Stored(_key), 1, false)], await silo.Location.RowsAsync(_key));
    }

    [Fact]
    public async Task AReadOfAMissingRowGivesAFreshStateAndNoETag()
    {
        var read = await ReadAsync(StateName, Counter());

        Assert.Equal((0, string.Empty, null, false), (read.State.Value, read.State.Text, read.ETag, read.RecordExists));
        Assert.Empty(await silo.Location.RowsAsync(_key));
    }

    [Fact]
    public async Task AStaleETagWriteIsRefusedAndLeavesTheRowUnchanged()
    {
        var current = await WriteAsync(StateName, Counter(), 1);
        var stale = await ReadAsync(StateName, Counter());
        current.State.Value = 2;
        await Storage.WriteStateAsync(StateName, Counter(), current);

        stale.State.Value = 99;
        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteStateAsync(StateName, Counter(), stale));

        Assert.Equal("1", stale.ETag);
        var read = await ReadAsync(StateName, Counter());
        Assert.Equal((2, "2"), (read.State.Value, read.ETag));
        Assert.Equal([new StoredGrainRow(StateName, Stored(_key), 2, false)], await silo.Location.RowsAsync(_key));
    }

    [Fact]
    public async Task ANullETagWriteWhenARowExistsConflicts()
    {
        await WriteAsync(StateName, Counter(), 1);
        var blind = new TestGrainState<CounterState>(new CounterState { Value = 2 });

        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteStateAsync(StateName, Counter(), blind));

        Assert.Null(blind.ETag);
        var read = await ReadAsync(StateName, Counter());
        Assert.Equal((1, "1"), (read.State.Value, read.ETag));
        Assert.Equal([new StoredGrainRow(StateName, Stored(_key), 1, false)], await silo.Location.RowsAsync(_key));
    }

    [Fact]
    public async Task AWriteWithAnETagButNoRowConflictsAndStoresNothing()
    {
        var phantom = new TestGrainState<CounterState>(new CounterState { Value = 1 }, "3");

        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteStateAsync(StateName, Counter(), phantom));

        var read = await ReadAsync(StateName, Counter());
        Assert.Equal((null, false), (read.ETag, read.RecordExists));
        Assert.Empty(await silo.Location.RowsAsync(_key));
    }

    [Fact]
    public async Task SequentialWritesAdvanceTheVersionByOne()
    {
        var state = new TestGrainState<CounterState>(new CounterState());

        for (var i = 1; i <= 4; i++)
        {
            state.State.Value = i;
            await Storage.WriteStateAsync(StateName, Counter(), state);
            Assert.Equal(i.ToString(CultureInfo.InvariantCulture), state.ETag);
        }

        Assert.Equal([new StoredGrainRow(StateName, Stored(_key), 4, false)], await silo.Location.RowsAsync(_key));
    }

    [Fact]
    public async Task ClearEmptiesTheRowAndTheNextWriteContinuesItsVersion()
    {
        var state = await WriteAsync(StateName, Counter(), 3);
        var stale = await ReadAsync(StateName, Counter());

        await Storage.ClearStateAsync(StateName, Counter(), state);

        Assert.Equal(("2", false, 0), (state.ETag, state.RecordExists, state.State.Value));

        // The project's clear keeps the row (payload null, version advanced), as Orleans' own scripts do; Orleans reads
        // such a row as a fresh state with the row's ETag, so a grain that cleared and writes again is not a conflict.
        var read = await ReadAsync(StateName, Counter());
        Assert.Equal((0, string.Empty, "2"), (read.State.Value, read.State.Text, read.ETag));
        Assert.Equal([new StoredGrainRow(StateName, Stored(_key), 2, true)], await silo.Location.RowsAsync(_key));
        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.ClearStateAsync(StateName, Counter(), stale));
        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteStateAsync(StateName, Counter(), stale));

        state.State.Value = 4;
        await Storage.WriteStateAsync(StateName, Counter(), state);
        Assert.Equal("3", state.ETag);
        var again = await ReadAsync(StateName, Counter());
        Assert.Equal((4, "3"), (again.State.Value, again.ETag));
        Assert.Equal([new StoredGrainRow(StateName, Stored(_key), 3, false)], await silo.Location.RowsAsync(_key));
    }

    [Fact]
    public async Task AClearOfNeverStoredStateStoresNothing()
    {
        var state = new TestGrainState<CounterState>(new CounterState { Value = 9 });

        await Storage.ClearStateAsync(StateName, Counter(), state);

        Assert.Equal((null, false), (state.ETag, state.RecordExists));
        Assert.Empty(await silo.Location.RowsAsync(_key));
    }

    [Fact]
    public async Task StateSurvivesARestartOnTheSameDatabase()
    {
        await using var location = NewLocation();
        var grain = Counter();
        var state = new TestGrainState<CounterState>(new CounterState { Value = 1, Text = "before" });
        await using (var first = await TestSilo.StartAsync(location.AddStorage))
        {
            await first.GrainState.WriteStateAsync(StateName, grain, state);
            state.State.Value = 2;
            await first.GrainState.WriteStateAsync(StateName, grain, state);
        }

        await using var second = await TestSilo.StartAsync(location.AddStorage);
        var read = new TestGrainState<CounterState>(new CounterState());
        await second.GrainState.ReadStateAsync(StateName, grain, read);

        Assert.Equal((2, "before", "2", true), (read.State.Value, read.State.Text, read.ETag, read.RecordExists));

        // The ETag held across the restart is still the current one.
        state.State.Value = 3;
        await second.GrainState.WriteStateAsync(StateName, grain, state);
        Assert.Equal("3", state.ETag);
        Assert.Equal([new StoredGrainRow(StateName, Stored(_key), 3, false)], await location.RowsAsync(_key));
    }

    [Fact]
    public async Task TwoStateNamesWithOneKeyNeverShareARow()
    {
        // As the region grain's "region" state and the project grain's "project" state of one id.
        var region = GrainId.Create(GrainType.Create("region"), _key);
        var project = GrainId.Create(GrainType.Create("project"), _key);
        var regionState = await WriteAsync("region", region, 1);
        await WriteAsync("project", project, 2);

        Assert.Equal((1, "1"), ((await ReadAsync("region", region)).State.Value, regionState.ETag));
        Assert.Equal(2, (await ReadAsync("project", project)).State.Value);
        Assert.Equal([new StoredGrainRow("project", Stored(_key), 1, false), new StoredGrainRow("region", Stored(_key), 1, false)], await silo.Location.RowsAsync(_key));

        await Storage.ClearStateAsync("region", region, regionState);

        Assert.Equal(2, (await ReadAsync("project", project)).State.Value);
        Assert.Equal([new StoredGrainRow("project", Stored(_key), 1, false), new StoredGrainRow("region", Stored(_key), 2, true)], await silo.Location.RowsAsync(_key));
    }

    [Fact]
    public async Task OrleansKeysARowByStateNameAndKeyNotByGrainType()
    {
        // Upstream #8746: two grain types with one state name and one key meet in one row. The grains therefore never
        // share a state name.
        var alpha = GrainId.Create(GrainType.Create("alpha"), _key);
        var beta = GrainId.Create(GrainType.Create("beta"), _key);
        await WriteAsync("shared", alpha, 1);
        var betaState = new TestGrainState<CounterState>(new CounterState { Value = 2 });

        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteStateAsync("shared", beta, betaState));

        var betaRead = await ReadAsync("shared", beta);
        Assert.Equal((1, "1", true), (betaRead.State.Value, betaRead.ETag, betaRead.RecordExists));
        Assert.Equal([new StoredGrainRow("shared", Stored(_key), 1, false)], await silo.Location.RowsAsync(_key));
    }

    [Fact]
    public async Task OrleansProviderReadsAHexadecimalStringKeyAsANumber()
    {
        // Given the key itself, Orleans' provider takes a string key that parses as hexadecimal for an integer key:
        // "0abc" and "abc" are one row. This is why the grains reach it through StringKeyGrainStorage.
        var number = Random.Shared.NextInt64(0x1000_0000, 0x7FFF_FFFF).ToString("x", CultureInfo.InvariantCulture);
        var padded = GrainId.Create(CounterType, "0" + number);
        var plain = GrainId.Create(CounterType, number);
        await OrleansProvider.WriteStateAsync(StateName, padded, new TestGrainState<CounterState>(new CounterState { Value = 1 }));

        await Assert.ThrowsAsync<InconsistentStateException>(() => OrleansProvider.WriteStateAsync(StateName, plain, new TestGrainState<CounterState>(new CounterState { Value = 2 })));

        var read = new TestGrainState<CounterState>(new CounterState());
        await OrleansProvider.ReadStateAsync(StateName, plain, read);
        Assert.Equal((1, "1"), (read.State.Value, read.ETag));
    }

    [Fact]
    public async Task KeysThatReadAsHexadecimalNumbersOrGuidsKeepRowsOfTheirOwn()
    {
        // Project ids such as "42" and "042" are different projects.
        var number = Random.Shared.NextInt64(0x1000_0000, 0x7FFF_FFFF).ToString("x", CultureInfo.InvariantCulture);
        var guid = Guid.NewGuid();
        string[] keys = ["0" + number, number, number.ToUpperInvariant() + "+ext", guid.ToString("N"), guid.ToString("N").ToUpperInvariant()];
        for (var i = 0; i < keys.Length; i++)
        {
            await WriteAsync(StateName, GrainId.Create(CounterType, keys[i]), i + 1);
        }

        for (var i = 0; i < keys.Length; i++)
        {
            var read = await ReadAsync(StateName, GrainId.Create(CounterType, keys[i]));
            Assert.Equal((i + 1, "1"), (read.State.Value, read.ETag));
            Assert.Equal([new StoredGrainRow(StateName, Stored(keys[i]), 1, false)], await silo.Location.RowsAsync(keys[i]));
        }
    }

    [Fact]
    public async Task UnicodeStateNamesAndKeysRoundTrip()
    {
        var key = "광주/순천 🚀 ' \" ; -- " + _key;
        var grain = GrainId.Create(GrainType.Create("지역"), key);
        await Storage.WriteStateAsync("상태 ☃", grain, new TestGrainState<CounterState>(new CounterState { Value = 1, Text = "대구 🌏" }));

        var read = await ReadAsync("상태 ☃", grain);

        Assert.Equal(("대구 🌏", "1"), (read.State.Text, read.ETag));
        Assert.False((await ReadAsync("상태", grain)).RecordExists);
        Assert.Equal([new StoredGrainRow("상태 ☃", Stored(key), 1, false)], await silo.Location.RowsAsync(key));
    }

    [Fact]
    public async Task ConcurrentWritersWithOneETag_ExactlyOneWins()
    {
        await WriteAsync(StateName, Counter(), -1);
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writers = Enumerable.Range(0, RacingWriters).Select(i => Task.Run(async () =>
        {
            var state = new TestGrainState<CounterState>(new CounterState { Value = i }, "1") { RecordExists = true };
            await start.Task;
            try
            {
                await Storage.WriteStateAsync(StateName, Counter(), state);
                return (Writer: i, Won: true);
            }
            catch (InconsistentStateException)
            {
                return (Writer: i, Won: false);
            }
        })).ToArray();

        start.SetResult();
        var results = await Task.WhenAll(writers);

        var winner = Assert.Single(results, r => r.Won);
        var read = await ReadAsync(StateName, Counter());
        Assert.Equal((winner.Writer, "2"), (read.State.Value, read.ETag));
        Assert.Equal([new StoredGrainRow(StateName, Stored(_key), 2, false)], await silo.Location.RowsAsync(_key));
    }

    [Fact]
    public async Task ConcurrentInsertersWithNullETag_ExactlyOneWins()
    {
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var inserters = Enumerable.Range(0, RacingWriters).Select(i => Task.Run(async () =>
        {
            var state = new TestGrainState<CounterState>(new CounterState { Value = i });
            await start.Task;
            try
            {
                await Storage.WriteStateAsync(StateName, Counter(), state);
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
        var read = await ReadAsync(StateName, Counter());
        Assert.Equal((winner.Writer, "1"), (read.State.Value, read.ETag));
        Assert.Equal([new StoredGrainRow(StateName, Stored(_key), 1, false)], await silo.Location.RowsAsync(_key));
    }

    private static string Stored(string key) => StringKeyGrainStorage.StoredKey(key);

    private GrainId Counter() => GrainId.Create(CounterType, _key);

    private async Task<TestGrainState<CounterState>> WriteAsync(string stateName, GrainId grain, int value)
    {
        var state = new TestGrainState<CounterState>(new CounterState { Value = value });
        await Storage.WriteStateAsync(stateName, grain, state);
        return state;
    }

    private async Task<TestGrainState<CounterState>> ReadAsync(string stateName, GrainId grain)
    {
        var state = new TestGrainState<CounterState>(new CounterState { Value = -99, Text = "unread" }, "stale") { RecordExists = true };
        await Storage.ReadStateAsync(stateName, grain, state);
        return state;
    }
}

public sealed class SqliteGrainStateSilo() : GrainStateSilo(new SqliteGrainStateLocation());

public sealed class PostgresGrainStateSilo() : GrainStateSilo(new PostgresGrainStateLocation());

/// <summary>Orleans' provider on the SQLite grain-state file (invariant System.Data.SQLite, the project's SQL).</summary>
public sealed class SqliteOrleansGrainStorageTests(SqliteGrainStateSilo silo) : OrleansGrainStorageConformance(silo), IClassFixture<SqliteGrainStateSilo>
{
    protected override GrainStateLocation NewLocation() => new SqliteGrainStateLocation();
}

/// <summary>Orleans' provider on PostgreSQL (invariant Npgsql, the project's SQL), in a schema of the class's own.</summary>
public sealed class PostgresOrleansGrainStorageTests(PostgresGrainStateSilo silo) : OrleansGrainStorageConformance(silo), IClassFixture<PostgresGrainStateSilo>
{
    protected override GrainStateLocation NewLocation() => new PostgresGrainStateLocation();
}

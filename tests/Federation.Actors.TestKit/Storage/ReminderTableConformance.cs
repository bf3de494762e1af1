using Federation.Actors.Reminders;
using Xunit;

namespace Federation.Actors.TestKit.Storage;

/// <summary>
/// The conformance suite every <see cref="IReminderTable"/> passes: upsert and replace with new ETags,
/// reads by grain and by ring range (wrapping ranges included), and ETag-guarded removal. A subclass
/// supplies the table; xUnit creates one instance per test, so each test starts from an empty table.
/// </summary>
public abstract class ReminderTableConformance : IAsyncLifetime
{
    private const int RangeGrains = 20;

    private static readonly GrainType RegionType = new("region");
    private static readonly DateTimeOffset Start = new(2026, 11, 22, 2, 0, 0, 125, TimeSpan.Zero);
    private IReminderTable? _table;

    /// <summary>Creates the table for one test over an empty store; called once per test.</summary>
    protected abstract IReminderTable CreateTable();

    /// <summary>Runs after the table is disposed (delete files here).</summary>
    protected virtual Task CleanupAsync() => Task.CompletedTask;

    protected IReminderTable Table => _table ?? throw new InvalidOperationException("The table is created in InitializeAsync.");

    public async Task InitializeAsync()
    {
        _table = CreateTable();
        await _table.InitAsync();
    }

    public async Task DisposeAsync()
    {
        switch (_table)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync();
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }

        await CleanupAsync();
    }

    [Fact]
    public async Task InitIsIdempotent()
    {
        await Table.InitAsync();
        await Table.InitAsync();

        Assert.Empty(await Table.ReadRangeAsync(0, 0));
    }

    [Fact]
    public async Task UpsertInsertsAndReturnsTheETagReadBack()
    {
        var grain = GrainId.Create(RegionType, "gwangju");
        var entry = new ReminderEntry(grain, "rebalance", Start, TimeSpan.FromMinutes(5));

        var eTag = await Table.UpsertRowAsync(entry);

        Assert.False(string.IsNullOrEmpty(eTag));
        var read = await Table.ReadRowAsync(grain, "rebalance");
        Assert.NotNull(read);
        Assert.Equal(grain, read.GrainId);
        Assert.Equal("rebalance", read.ReminderName);
        Assert.Equal(Start, read.StartAt);
        Assert.Equal(TimeSpan.FromMinutes(5), read.Period);
        Assert.Equal(eTag, read.ETag);
        Assert.Equal(grain.GetUniformHashCode(), read.GrainHash);
    }

    [Fact]
    public async Task UpsertOfTheSameNameReplacesAndReturnsANewETag()
    {
        var grain = GrainId.Create(RegionType, "daegu");
        var first = await Table.UpsertRowAsync(new ReminderEntry(grain, "tick", Start, TimeSpan.FromMinutes(1)));

        var second = await Table.UpsertRowAsync(new ReminderEntry(grain, "tick", Start.AddHours(1), TimeSpan.FromMinutes(10)));

        Assert.NotEqual(first, second);
        var rows = await Table.ReadRowsAsync(grain);
        var row = Assert.Single(rows);
        Assert.Equal(Start.AddHours(1), row.StartAt);
        Assert.Equal(TimeSpan.FromMinutes(10), row.Period);
        Assert.Equal(second, row.ETag);
    }

    [Fact]
    public async Task StartTimeWithAnOffsetIsTheSameInstantWhenReadBack()
    {
        var grain = GrainId.Create(RegionType, "suncheon");
        var local = new DateTimeOffset(2026, 11, 22, 11, 30, 0, TimeSpan.FromHours(9));
        await Table.UpsertRowAsync(new ReminderEntry(grain, "r", local, TimeSpan.FromHours(25)));

        var read = await Table.ReadRowAsync(grain, "r");

        Assert.NotNull(read);
        Assert.Equal(local.UtcDateTime, read.StartAt.UtcDateTime);
        Assert.Equal(TimeSpan.FromHours(25), read.Period);
    }

    [Fact]
    public async Task ReadRowsReturnsOnlyThatGrainsReminders()
    {
        var gwangju = GrainId.Create(RegionType, "gwangju");
        var gwangyang = GrainId.Create(RegionType, "gwangyang");
        var otherType = GrainId.Create(new GrainType("job"), "gwangju");
        await Table.UpsertRowAsync(new ReminderEntry(gwangju, "a", Start, TimeSpan.FromMinutes(1)));
        await Table.UpsertRowAsync(new ReminderEntry(gwangju, "b", Start, TimeSpan.FromMinutes(2)));
        await Table.UpsertRowAsync(new ReminderEntry(gwangyang, "a", Start, TimeSpan.FromMinutes(3)));
        await Table.UpsertRowAsync(new ReminderEntry(otherType, "a", Start, TimeSpan.FromMinutes(4)));

        var rows = await Table.ReadRowsAsync(gwangju);

        Assert.Equal(["a", "b"], rows.Select(r => r.ReminderName).Order(StringComparer.Ordinal).ToArray());
        Assert.All(rows, r => Assert.Equal(gwangju, r.GrainId));
        Assert.Empty(await Table.ReadRowsAsync(GrainId.Create(RegionType, "nowhere")));
    }

    [Fact]
    public async Task ReadRowOfAMissingReminderIsNull()
    {
        var grain = GrainId.Create(RegionType, "gwangju");
        await Table.UpsertRowAsync(new ReminderEntry(grain, "a", Start, TimeSpan.FromMinutes(1)));

        Assert.Null(await Table.ReadRowAsync(grain, "b"));
        Assert.Null(await Table.ReadRowAsync(GrainId.Create(RegionType, "other"), "a"));
    }

    [Fact]
    public async Task ReadRangeReturnsHashesInTheHalfOpenRange()
    {
        var hashes = await SeedRangeGrainsAsync();

        var rows = await Table.ReadRangeAsync(hashes[4], hashes[10]);

        // (h4, h10]: h4 itself is excluded, h10 included.
        Assert.Equal(hashes[5..11], rows.Select(r => r.GrainHash).Order().ToArray());
    }

    [Fact]
    public async Task ReadRangeThatWrapsReturnsBothEnds()
    {
        var hashes = await SeedRangeGrainsAsync();

        var rows = await Table.ReadRangeAsync(hashes[15], hashes[3]);

        uint[] expected = [.. hashes[0..4], .. hashes[16..]];
        Assert.Equal(expected, rows.Select(r => r.GrainHash).Order().ToArray());
    }

    [Fact]
    public async Task ReadRangeWithEqualBoundsReturnsTheWholeRing()
    {
        var hashes = await SeedRangeGrainsAsync();

        Assert.Equal(RangeGrains, (await Table.ReadRangeAsync(hashes[7], hashes[7])).Count);
        Assert.Equal(RangeGrains, (await Table.ReadRangeAsync(0, 0)).Count);
    }

    [Fact]
    public async Task ReadRangeAtTheTopOfTheRing()
    {
        var hashes = await SeedRangeGrainsAsync();

        Assert.Equal(hashes, (await Table.ReadRangeAsync(0, uint.MaxValue)).Select(r => r.GrainHash).Order().ToArray());
        Assert.Equal(hashes[0..3], (await Table.ReadRangeAsync(uint.MaxValue, hashes[2])).Select(r => r.GrainHash).Order().ToArray());
        Assert.Empty(await Table.ReadRangeAsync(hashes[^1], uint.MaxValue));
    }

    [Fact]
    public async Task RemoveWithAStaleETagFailsAndKeepsTheRow()
    {
        var grain = GrainId.Create(RegionType, "gwangju");
        var first = await Table.UpsertRowAsync(new ReminderEntry(grain, "tick", Start, TimeSpan.FromMinutes(1)));
        var second = await Table.UpsertRowAsync(new ReminderEntry(grain, "tick", Start, TimeSpan.FromMinutes(2)));

        Assert.False(await Table.RemoveRowAsync(grain, "tick", first));
        Assert.False(await Table.RemoveRowAsync(grain, "tick", "not-an-etag"));
        Assert.NotNull(await Table.ReadRowAsync(grain, "tick"));

        Assert.True(await Table.RemoveRowAsync(grain, "tick", second));
        Assert.Null(await Table.ReadRowAsync(grain, "tick"));
        Assert.False(await Table.RemoveRowAsync(grain, "tick", second));
    }

    [Fact]
    public async Task RemoveOfOneReminderLeavesTheGrainsOthers()
    {
        var grain = GrainId.Create(RegionType, "gwangju");
        var a = await Table.UpsertRowAsync(new ReminderEntry(grain, "a", Start, TimeSpan.FromMinutes(1)));
        await Table.UpsertRowAsync(new ReminderEntry(grain, "b", Start, TimeSpan.FromMinutes(1)));

        Assert.True(await Table.RemoveRowAsync(grain, "a", a));

        Assert.Equal("b", Assert.Single(await Table.ReadRowsAsync(grain)).ReminderName);
    }

    [Fact]
    public async Task ReinsertAfterRemoveStartsAFreshRow()
    {
        var grain = GrainId.Create(RegionType, "gwangju");
        var first = await Table.UpsertRowAsync(new ReminderEntry(grain, "a", Start, TimeSpan.FromMinutes(1)));
        Assert.True(await Table.RemoveRowAsync(grain, "a", first));

        var again = await Table.UpsertRowAsync(new ReminderEntry(grain, "a", Start.AddDays(1), TimeSpan.FromMinutes(3)));

        var read = await Table.ReadRowAsync(grain, "a");
        Assert.NotNull(read);
        Assert.Equal(again, read.ETag);
        Assert.Equal(Start.AddDays(1), read.StartAt);
    }

    [Fact]
    public async Task ConcurrentUpsertsOfOneReminderAllGetDistinctETags()
    {
        const int Writers = 16;
        var grain = GrainId.Create(RegionType, "race");
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writers = Enumerable.Range(1, Writers).Select(i => Task.Run(async () =>
        {
            await start.Task;
            return await Table.UpsertRowAsync(new ReminderEntry(grain, "tick", Start, TimeSpan.FromMinutes(i)));
        })).ToArray();

        start.SetResult();
        var eTags = await Task.WhenAll(writers);

        Assert.Equal(Writers, eTags.Distinct(StringComparer.Ordinal).Count());
        var row = Assert.Single(await Table.ReadRowsAsync(grain));
        Assert.Contains(row.ETag, eTags);
    }

    private async Task<uint[]> SeedRangeGrainsAsync()
    {
        var hashes = new uint[RangeGrains];
        for (var i = 0; i < RangeGrains; i++)
        {
            var grain = GrainId.Create(RegionType, (long)i);
            hashes[i] = grain.GetUniformHashCode();
            await Table.UpsertRowAsync(new ReminderEntry(grain, "r", Start, TimeSpan.FromMinutes(1)));
        }

        Array.Sort(hashes);
        Assert.Equal(RangeGrains, hashes.Distinct().Count());
        return hashes;
    }
}

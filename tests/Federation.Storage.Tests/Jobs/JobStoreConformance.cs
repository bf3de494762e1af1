using System.Globalization;
using Federation.Storage.Jobs;
using Orleans;
using Orleans.Runtime;
using Orleans.Storage;

namespace Federation.Storage.Tests.Jobs;

/// <summary>
/// The suite every <see cref="IJobStore"/> passes: Orleans' ETag protocol as the job grain relies on it (a stale or
/// blind write changes nothing, racing writers have exactly one winner), the refusal of any other grain's state, and
/// the listing the API and a region's rebuild use (by column, in job id order, keyset pages with the total). A
/// subclass supplies the store; xUnit makes one instance per test, so every test starts from an empty store.
/// </summary>
public abstract class JobStoreConformance : IAsyncLifetime
{
    private const string StateName = JobStoreOptions.DefaultStateName;
    private const int RacingWriters = 16;

    private static readonly GrainType JobType = GrainType.Create(JobStoreOptions.DefaultGrainType);

    /// <summary>Submission times are seconds after this instant.</summary>
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private IJobStore _store = null!;

    /// <summary>
    /// A store over this test's storage, configured with <paramref name="options"/>. Every call of one test sees the
    /// same (initially empty) rows where the store can share them (a database); a memory store is its own.
    /// </summary>
    protected abstract Task<IJobStore> CreateStoreAsync(JobStoreOptions options);

    /// <summary>Runs after the test: close databases, drop schemas, delete files.</summary>
    protected virtual Task CleanupAsync() => Task.CompletedTask;

    public async Task InitializeAsync() => _store = await CreateStoreAsync(new JobStoreOptions());

    public Task DisposeAsync() => CleanupAsync();

    [Fact]
    public async Task FirstWriteWithNullETagInsertsVersion1()
    {
        var state = new TestGrainState<TestJobRow>(Row("Queued", "gwangju", value: 7, text: "seven"));

        await _store.WriteStateAsync(StateName, Grain("first"), state);

        Assert.Equal("1", state.ETag);
        Assert.True(state.RecordExists);
        var read = await ReadAsync("first");
        Assert.Equal("1", read.ETag);
        Assert.True(read.RecordExists);
        Assert.Equal((7, "seven", "Queued", "gwangju"), (read.State.Value, read.State.Text, read.State.State, read.State.Region));
        var stored = await _store.ReadAsync<TestJobRow>("first");
        Assert.NotNull(stored);
        Assert.Equal(("first", "1", 7), (stored.JobId, stored.ETag, stored.Row.Value));
        Assert.Equal(["first"], Ids(await ListAsync(new JobRowFilter { State = "Queued" })));
    }

    [Fact]
    public async Task ASecondInserterWithNullETagGetsInconsistentStateAndChangesNothing()
    {
        await WriteAsync("duplicate", Row("Queued", "gwangju", value: 1));
        var second = new TestGrainState<TestJobRow>(Row("Running", "daegu", value: 2));

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => _store.WriteStateAsync(StateName, Grain("duplicate"), second));

        Assert.Equal("1", error.StoredEtag);
        Assert.Null(error.CurrentEtag);
        Assert.Null(second.ETag);
        Assert.False(second.RecordExists);
        var read = await ReadAsync("duplicate");
        Assert.Equal((1, "1"), (read.State.Value, read.ETag));
        Assert.Equal(["duplicate"], Ids(await ListAsync(new JobRowFilter { Region = "gwangju", State = "Queued" })));
        Assert.Empty(Ids(await ListAsync(new JobRowFilter { Region = "daegu" })));
    }

    [Fact]
    public async Task AStaleWriteFailsAndLeavesTheRowAndItsColumnsUnchanged()
    {
        var current = await WriteAsync("stale", Row("Queued", "gwangju", value: 1));
        var stale = await ReadAsync("stale");
        current.State.State = "Running";
        current.State.Value = 2;
        await _store.WriteStateAsync(StateName, Grain("stale"), current);
        Assert.Equal("2", current.ETag);

        stale.State.Value = 99;
        stale.State.State = "Cancelled";
        stale.State.Region = "daegu";
        stale.State.Active = false;
        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => _store.WriteStateAsync(StateName, Grain("stale"), stale));

        Assert.Equal("2", error.StoredEtag);
        Assert.Equal("1", error.CurrentEtag);
        Assert.Equal("1", stale.ETag);
        var read = await ReadAsync("stale");
        Assert.Equal((2, "Running", "2"), (read.State.Value, read.State.State, read.ETag));
        Assert.Equal(["stale"], Ids(await ListAsync(new JobRowFilter { State = "Running", Region = "gwangju", ActiveOnly = true })));
        Assert.Empty(Ids(await ListAsync(new JobRowFilter { State = "Cancelled" })));
        Assert.Empty(Ids(await ListAsync(new JobRowFilter { Region = "daegu" })));
    }

    [Fact]
    public async Task AWriteWithAnETagButNoRowFailsAndStoresNothing()
    {
        var state = new TestGrainState<TestJobRow>(Row("Queued", "gwangju", value: 1), "3");

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => _store.WriteStateAsync(StateName, Grain("phantom"), state));

        Assert.Null(error.StoredEtag);
        Assert.Equal("3", error.CurrentEtag);
        Assert.Equal("3", state.ETag);
        var read = await ReadAsync("phantom");
        Assert.Null(read.ETag);
        Assert.False(read.RecordExists);
        Assert.Null(await _store.ReadAsync<TestJobRow>("phantom"));
        Assert.Equal(0, (await ListAsync(new JobRowFilter())).Total);
    }

    [Theory]
    [InlineData("W/\"1\"")]
    [InlineData("abc")]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("+1")]
    [InlineData("1.0")]
    [InlineData("")]
    [InlineData("99999999999999999999")]
    public async Task AForeignETagIsRejectedAndChangesNothing(string eTag)
    {
        await WriteAsync("foreign", Row("Queued", "gwangju", value: 1));
        var state = new TestGrainState<TestJobRow>(Row("Running", "daegu", value: 5), eTag);

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => _store.WriteStateAsync(StateName, Grain("foreign"), state));
        await Assert.ThrowsAsync<InconsistentStateException>(() => _store.ClearStateAsync(StateName, Grain("foreign"), new TestGrainState<TestJobRow>(new TestJobRow(), eTag)));

        Assert.Equal("1", error.StoredEtag);
        Assert.Equal(eTag, error.CurrentEtag);
        var read = await ReadAsync("foreign");
        Assert.Equal((1, "Queued", "1"), (read.State.Value, read.State.State, read.ETag));
        Assert.Empty(Ids(await ListAsync(new JobRowFilter { Region = "daegu" })));
    }

    [Fact]
    public async Task SequentialWritesAdvanceTheVersionByOne()
    {
        var state = new TestGrainState<TestJobRow>(Row("Submitted", region: null));

        for (var i = 1; i <= 5; i++)
        {
            state.State.Value = i;
            await _store.WriteStateAsync(StateName, Grain("sequence"), state);
            Assert.Equal(i.ToString(CultureInfo.InvariantCulture), state.ETag);
        }

        var read = await ReadAsync("sequence");
        Assert.Equal((5, "5"), (read.State.Value, read.ETag));
        Assert.Equal("5", Assert.Single((await ListAsync(new JobRowFilter())).Rows).ETag);
    }

    [Fact]
    public async Task ClearDeletesTheRowAndALaterWriteInsertsAfresh()
    {
        var state = await WriteAsync("cleared", Row("Completed", "gwangju", value: 3, text: "x"));
        state.State.Value = 4;
        await _store.WriteStateAsync(StateName, Grain("cleared"), state);
        await WriteAsync("kept", Row("Completed", "gwangju"));

        await _store.ClearStateAsync(StateName, Grain("cleared"), state);

        Assert.Null(state.ETag);
        Assert.False(state.RecordExists);
        Assert.Equal((0, string.Empty), (state.State.Value, state.State.Text));
        var read = await ReadAsync("cleared");
        Assert.Null(read.ETag);
        Assert.False(read.RecordExists);
        Assert.Null(await _store.ReadAsync<TestJobRow>("cleared"));
        var page = await ListAsync(new JobRowFilter { Region = "gwangju" });
        Assert.Equal(["kept"], Ids(page));
        Assert.Equal(1, page.Total);

        state.State = Row("Queued", "daegu", value: 5);
        await _store.WriteStateAsync(StateName, Grain("cleared"), state);
        Assert.Equal("1", state.ETag);
        Assert.Equal(5, (await ReadAsync("cleared")).State.Value);
    }

    [Fact]
    public async Task ClearOfNeverStoredStateIsANoOp()
    {
        var state = new TestGrainState<TestJobRow>(Row("Queued", "gwangju", value: 9));

        await _store.ClearStateAsync(StateName, Grain("never"), state);

        Assert.Null(state.ETag);
        Assert.False(state.RecordExists);
        Assert.Equal(0, state.State.Value);
        Assert.False((await ReadAsync("never")).RecordExists);
        Assert.Equal(0, (await ListAsync(new JobRowFilter())).Total);
    }

    [Fact]
    public async Task ClearWithAStaleETagFailsAndLeavesTheRowUnchanged()
    {
        var current = await WriteAsync("clear-stale", Row("Queued", "gwangju", value: 1));
        var stale = await ReadAsync("clear-stale");
        current.State.Value = 2;
        await _store.WriteStateAsync(StateName, Grain("clear-stale"), current);

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => _store.ClearStateAsync(StateName, Grain("clear-stale"), stale));

        Assert.Equal(("2", "1"), (error.StoredEtag, error.CurrentEtag));
        Assert.Equal(("1", 1), (stale.ETag, stale.State.Value));
        var read = await ReadAsync("clear-stale");
        Assert.Equal((2, "2", true), (read.State.Value, read.ETag, read.RecordExists));
    }

    [Fact]
    public async Task ClearWithNullETagWhenARowExistsFails()
    {
        await WriteAsync("blind-clear", Row("Queued", "gwangju", value: 1));

        var error = await Assert.ThrowsAsync<InconsistentStateException>(
            () => _store.ClearStateAsync(StateName, Grain("blind-clear"), new TestGrainState<TestJobRow>(new TestJobRow())));

        Assert.Equal("1", error.StoredEtag);
        Assert.Null(error.CurrentEtag);
        var read = await ReadAsync("blind-clear");
        Assert.Equal((1, "1"), (read.State.Value, read.ETag));
    }

    [Fact]
    public async Task ClearWithAnETagButNoRowFails()
    {
        var state = new TestGrainState<TestJobRow>(Row("Queued", "gwangju"), "1");

        var error = await Assert.ThrowsAsync<InconsistentStateException>(() => _store.ClearStateAsync(StateName, Grain("gone"), state));

        Assert.Null(error.StoredEtag);
        Assert.Equal("1", state.ETag);
        Assert.False((await ReadAsync("gone")).RecordExists);
    }

    [Fact]
    public async Task AReadOfAMissingRowGivesAFreshStateANullETagAndNoRecord()
    {
        var state = new TestGrainState<TestJobRow>(Row("Running", "gwangju", value: 42, text: "stale"), "17") { RecordExists = true };

        await _store.ReadStateAsync(StateName, Grain("missing"), state);

        Assert.Null(state.ETag);
        Assert.False(state.RecordExists);
        Assert.NotNull(state.State);
        Assert.Equal((0, string.Empty, "Submitted", null), (state.State.Value, state.State.Text, state.State.State, state.State.Region));
        Assert.Null(await _store.ReadAsync<TestJobRow>("missing"));
    }

    [Fact]
    public async Task AnotherGrainTypeOrStateNameIsRefusedAndNothingIsStored()
    {
        var otherType = GrainId.Create(GrainType.Create("region"), "shared");
        var row = new TestGrainState<TestJobRow>(Row("Queued", "gwangju", value: 1));

        var byType = await Assert.ThrowsAsync<ArgumentException>(() => _store.WriteStateAsync(StateName, otherType, row));
        var byName = await Assert.ThrowsAsync<ArgumentException>(() => _store.WriteStateAsync("archive", Grain("shared"), row));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.ReadStateAsync(StateName, otherType, row));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.ReadStateAsync("archive", Grain("shared"), row));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.ClearStateAsync(StateName, otherType, row));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.ClearStateAsync("archive", Grain("shared"), row));

        Assert.Contains("holds state 'job' of grain type 'job' only; it was asked for state 'job' of 'region'", byType.Message, StringComparison.Ordinal);
        Assert.Contains("it was asked for state 'archive' of 'job'", byName.Message, StringComparison.Ordinal);
        Assert.Null(row.ETag);
        Assert.Null(await _store.ReadAsync<TestJobRow>("shared"));
        Assert.Equal(0, (await ListAsync(new JobRowFilter())).Total);
    }

    [Fact]
    public async Task AStoreConfiguredForAnotherGrainHoldsThatGrainsStateOnly()
    {
        var store = await CreateStoreAsync(new JobStoreOptions { GrainType = "task", StateName = "row" });
        var task = GrainId.Create(GrainType.Create("task"), "t1");
        var state = new TestGrainState<TestJobRow>(Row("Queued", "suncheon", value: 3));

        await store.WriteStateAsync("row", task, state);
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => store.WriteStateAsync(StateName, Grain("t2"), new TestGrainState<TestJobRow>(Row("Queued", "suncheon"))));

        Assert.Equal("1", state.ETag);
        Assert.Contains("holds state 'row' of grain type 'task' only", refused.Message, StringComparison.Ordinal);
        Assert.Equal(["t1"], Ids(await store.QueryAsync<TestJobRow>(new JobRowFilter { Region = "suncheon" }, JobRowOrder.Id, 10, null)));
    }

    [Fact]
    public async Task ADefaultGrainIdOrAnEmptyStateNameIsRejected()
    {
        var state = new TestGrainState<TestJobRow>(Row("Queued", "gwangju"));

        await Assert.ThrowsAsync<ArgumentException>(() => _store.WriteStateAsync(StateName, default, state));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.WriteStateAsync(string.Empty, Grain("k"), state));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.ReadStateAsync(StateName, default, state));

        Assert.Equal(0, (await ListAsync(new JobRowFilter())).Total);
    }

    [Fact]
    public async Task ListingByEachColumnReturnsTheMatchingRowsInJobIdOrderWithTheirETags()
    {
        await WriteListingRowsAsync();

        Assert.Equal(["j01", "j04"], Ids(await ListAsync(new JobRowFilter { State = "Queued" })));
        Assert.Equal(["j02", "j06"], Ids(await ListAsync(new JobRowFilter { State = "Running" })));
        Assert.Equal(["j01", "j02", "j03"], Ids(await ListAsync(new JobRowFilter { Region = "gwangju" })));
        Assert.Equal(["j04", "j07"], Ids(await ListAsync(new JobRowFilter { Region = "daegu" })));
        Assert.Equal(["j01", "j02", "j05", "j07"], Ids(await ListAsync(new JobRowFilter { Project = "p-ai" })));
        Assert.Equal(["j03", "j04"], Ids(await ListAsync(new JobRowFilter { Project = "p-bio" })));
        Assert.Equal(["j01", "j03", "j05"], Ids(await ListAsync(new JobRowFilter { Owner = "alice" })));
        Assert.Equal(["j02", "j06"], Ids(await ListAsync(new JobRowFilter { Owner = "bob" })));
        Assert.Equal(["j01", "j02", "j04", "j06"], Ids(await ListAsync(new JobRowFilter { ActiveOnly = true })));
        Assert.Empty(Ids(await ListAsync(new JobRowFilter { Region = "gwangyang" })));

        var all = await ListAsync(new JobRowFilter());
        Assert.Equal(["j01", "j02", "j03", "j04", "j05", "j06", "j07"], Ids(all));
        Assert.Equal(7, all.Total);
        Assert.Null(all.NextAfter);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], all.Rows.Select(r => r.Row.Value));
        Assert.Equal(["1", "2", "1", "1", "1", "1", "3"], all.Rows.Select(r => r.ETag));
        var running = await ListAsync(new JobRowFilter { State = "Running" });
        Assert.Equal(2, running.Total);
        Assert.Equal([("j02", "Running", "gwangju", "p-ai", "bob", true), ("j06", "Running", "suncheon", null, "bob", true)],
            running.Rows.Select(r => (r.JobId, r.Row.State, r.Row.Region, r.Row.Project, r.Row.Owner, r.Row.Active)));
    }

    [Fact]
    public async Task ListingByCombinedColumnsMatchesEveryGivenColumn()
    {
        await WriteListingRowsAsync();

        Assert.Equal(["j01", "j02"], Ids(await ListAsync(new JobRowFilter { Region = "gwangju", ActiveOnly = true })));
        Assert.Equal(["j04"], Ids(await ListAsync(new JobRowFilter { Region = "daegu", ActiveOnly = true })));
        Assert.Equal(["j01", "j03"], Ids(await ListAsync(new JobRowFilter { Region = "gwangju", Owner = "alice" })));
        Assert.Equal(["j04"], Ids(await ListAsync(new JobRowFilter { State = "Queued", Project = "p-bio" })));
        Assert.Equal(["j01"], Ids(await ListAsync(new JobRowFilter { Project = "p-ai", Owner = "alice", ActiveOnly = true })));
        Assert.Equal(["j01"], Ids(await ListAsync(new JobRowFilter { State = "Queued", Region = "gwangju", Project = "p-ai", Owner = "alice", ActiveOnly = true })));
        var none = await ListAsync(new JobRowFilter { State = "Running", Region = "daegu" });
        Assert.Empty(none.Rows);
        Assert.Equal(0, none.Total);
        Assert.Null(none.NextAfter);
        var combined = await ListAsync(new JobRowFilter { Project = "p-ai", ActiveOnly = true }, limit: 1);
        Assert.Equal(["j01"], Ids(combined));
        Assert.Equal(2, combined.Total);
        Assert.Equal("j01", combined.NextAfter);
    }

    [Fact]
    public async Task PagesFollowTheJobIdOrderAndEachCarriesTheTotalOverAllPages()
    {
        foreach (var key in new[] { "e", "a", "d", "b", "c" })
        {
            await WriteAsync(key, Row("Queued", "gwangju"));
        }

        // Rows the filter excludes, between and around the matching ones.
        await WriteAsync("bb", Row("Running", "gwangju"));
        await WriteAsync("0", Row("Running", "gwangju"));
        var queued = new JobRowFilter { State = "Queued" };

        var first = await ListAsync(queued, limit: 2);
        var second = await ListAsync(queued, limit: 2, after: first.NextAfter);
        var third = await ListAsync(queued, limit: 2, after: second.NextAfter);
        var fromBetween = await ListAsync(queued, limit: 2, after: "bb");

        Assert.Equal(["a", "b"], Ids(first));
        Assert.Equal("b", first.NextAfter);
        Assert.Equal(["c", "d"], Ids(second));
        Assert.Equal("d", second.NextAfter);
        Assert.Equal(["e"], Ids(third));
        Assert.Null(third.NextAfter);
        Assert.Equal(["c", "d"], Ids(fromBetween));
        Assert.Equal("d", fromBetween.NextAfter);
        Assert.All(new[] { first, second, third, fromBetween }, p => Assert.Equal(5, p.Total));
    }

    [Fact]
    public async Task AnExactlyFullLastPageHasNoNextKey()
    {
        foreach (var key in new[] { "a", "b", "c", "d" })
        {
            await WriteAsync(key, Row("Queued", "daegu", active: true));
        }

        var first = await ListAsync(new JobRowFilter { Region = "daegu" }, limit: 2);
        var last = await ListAsync(new JobRowFilter { Region = "daegu" }, limit: 2, after: first.NextAfter);
        var whole = await ListAsync(new JobRowFilter { ActiveOnly = true }, limit: 4);

        Assert.Equal(["a", "b"], Ids(first));
        Assert.Equal("b", first.NextAfter);
        Assert.Equal(["c", "d"], Ids(last));
        Assert.Equal((null, 4), (last.NextAfter, last.Total));
        Assert.Equal((4, (string?)null, 4), (whole.Rows.Count, whole.NextAfter, whole.Total));
    }

    [Fact]
    public async Task APagePastTheEndIsEmptyAndCarriesTheTotal()
    {
        foreach (var key in new[] { "a", "b", "c" })
        {
            await WriteAsync(key, Row("Queued", "suncheon"));
        }

        var beyond = await ListAsync(new JobRowFilter { Region = "suncheon" }, limit: 2, after: "z");
        var afterLast = await ListAsync(new JobRowFilter { Region = "suncheon" }, limit: 2, after: "c");

        Assert.Empty(beyond.Rows);
        Assert.Equal((3, (string?)null), (beyond.Total, beyond.NextAfter));
        Assert.Empty(afterLast.Rows);
        Assert.Equal((3, (string?)null), (afterLast.Total, afterLast.NextAfter));
    }

    [Fact]
    public async Task NewestFirstListsBySubmissionTimeThenIdDescendingUnderEachFilter()
    {
        await WriteListingRowsAsync();

        var all = await ListNewestAsync(new JobRowFilter());
        Assert.Equal(["j03", "j06", "j01", "j07", "j04", "j02", "j05"], Ids(all));
        Assert.Equal((7, (string?)null, false), (all.Total, all.NextAfter, all.UnknownAfter));
        Assert.Equal([3, 6, 1, 7, 4, 2, 5], all.Rows.Select(r => r.Row.Value));
        Assert.Equal(["1", "1", "1", "3", "1", "2", "1"], all.Rows.Select(r => r.ETag));
        Assert.Equal(["j01", "j04"], Ids(await ListNewestAsync(new JobRowFilter { State = "Queued" })));
        Assert.Equal(["j06", "j02"], Ids(await ListNewestAsync(new JobRowFilter { State = "Running" })));
        Assert.Equal(["j03", "j01", "j02"], Ids(await ListNewestAsync(new JobRowFilter { Region = "gwangju" })));
        Assert.Equal(["j07", "j04"], Ids(await ListNewestAsync(new JobRowFilter { Region = "daegu" })));
        Assert.Equal(["j01", "j07", "j02", "j05"], Ids(await ListNewestAsync(new JobRowFilter { Project = "p-ai" })));
        Assert.Equal(["j03", "j04"], Ids(await ListNewestAsync(new JobRowFilter { Project = "p-bio" })));
        Assert.Equal(["j03", "j01", "j05"], Ids(await ListNewestAsync(new JobRowFilter { Owner = "alice" })));
        Assert.Equal(["j06", "j02"], Ids(await ListNewestAsync(new JobRowFilter { Owner = "bob" })));
        Assert.Equal(["j06", "j01", "j04", "j02"], Ids(await ListNewestAsync(new JobRowFilter { ActiveOnly = true })));
        Assert.Equal(["j03", "j01"], Ids(await ListNewestAsync(new JobRowFilter { Region = "gwangju", Owner = "alice" })));
        Assert.Equal(["j07", "j02", "j05"], Ids(await ListNewestAsync(new JobRowFilter { Project = "p-ai" }, after: "j01")));
        var none = await ListNewestAsync(new JobRowFilter { Region = "gwangyang" });
        Assert.Equal((0, 0, (string?)null, false), (none.Rows.Count, none.Total, none.NextAfter, none.UnknownAfter));
    }

    [Fact]
    public async Task NewestFirstPagesAcrossTiesInSubmissionTimeAndEachPageCarriesTheTotal()
    {
        await WriteAsync("k1", Row("Queued", "gwangju", submitted: 2));
        await WriteAsync("k4", Row("Queued", "gwangju", submitted: 1));
        await WriteAsync("k3", Row("Queued", "gwangju", submitted: 2));
        await WriteAsync("k5", Row("Queued", "gwangju", submitted: 3));
        await WriteAsync("k2", Row("Queued", "gwangju", submitted: 2));

        // Rows the filter excludes, at the tied instant between and around the matching ones.
        await WriteAsync("k25", Row("Running", "gwangju", submitted: 2));
        await WriteAsync("k0", Row("Running", "gwangju", submitted: 2));
        var queued = new JobRowFilter { State = "Queued" };

        var first = await ListNewestAsync(queued, limit: 2);
        var second = await ListNewestAsync(queued, limit: 2, after: first.NextAfter);
        var third = await ListNewestAsync(queued, limit: 2, after: second.NextAfter);
        var fromExcluded = await ListNewestAsync(queued, limit: 2, after: "k25");
        var whole = await ListNewestAsync(queued, limit: 5);
        var afterLast = await ListNewestAsync(queued, limit: 2, after: "k4");

        Assert.Equal(["k5", "k3"], Ids(first));
        Assert.Equal("k3", first.NextAfter);
        Assert.Equal(["k2", "k1"], Ids(second));
        Assert.Equal("k1", second.NextAfter);
        Assert.Equal(["k4"], Ids(third));
        Assert.Null(third.NextAfter);
        Assert.Equal(["k2", "k1"], Ids(fromExcluded));
        Assert.Equal("k1", fromExcluded.NextAfter);
        Assert.Equal(["k5", "k3", "k2", "k1", "k4"], Ids(whole));
        Assert.Null(whole.NextAfter);
        Assert.Empty(afterLast.Rows);
        Assert.Equal((null, false), (afterLast.NextAfter, afterLast.UnknownAfter));
        Assert.All(new[] { first, second, third, fromExcluded, whole, afterLast }, p => Assert.Equal(5, p.Total));
        Assert.All(new[] { first, second, third, fromExcluded, whole }, p => Assert.False(p.UnknownAfter));
    }

    [Fact]
    public async Task NewestFirstAfterAJobThatNoLongerMatchesContinuesFromItsPlace()
    {
        foreach (var (key, submitted) in new[] { ("n1", 1), ("n2", 2), ("n3", 3), ("n4", 4), ("n5", 5) })
        {
            await WriteAsync(key, Row("Queued", "daegu", submitted: submitted));
        }

        var queued = new JobRowFilter { State = "Queued", Region = "daegu" };
        var first = await ListNewestAsync(queued, limit: 2);

        // The last job of the page starts running (and its later write carries another submission time, which is not
        // stored): it leaves the filter but keeps its place, so the next page starts right after it.
        var moved = await ReadAsync("n4");
        moved.State.State = "Running";
        moved.State.SubmittedOn = T0.AddSeconds(100);
        await _store.WriteStateAsync(StateName, Grain("n4"), moved);
        var second = await ListNewestAsync(queued, limit: 2, after: first.NextAfter);
        var third = await ListNewestAsync(queued, limit: 2, after: second.NextAfter);

        Assert.Equal(["n5", "n4"], Ids(first));
        Assert.Equal(("n4", 5), (first.NextAfter, first.Total));
        Assert.Equal(["n3", "n2"], Ids(second));
        Assert.Equal(("n2", 4, false), (second.NextAfter, second.Total, second.UnknownAfter));
        Assert.Equal(["n1"], Ids(third));
        Assert.Equal(((string?)null, 4), (third.NextAfter, third.Total));
        Assert.Equal(["n5", "n4", "n3", "n2", "n1"], Ids(await ListNewestAsync(new JobRowFilter { Region = "daegu" })));
    }

    [Fact]
    public async Task NewestFirstAfterAnIdWithNoRowIsAnEmptyPageThatSaysSo()
    {
        await WriteAsync("u1", Row("Queued", "suncheon", submitted: 1));
        await WriteAsync("u3", Row("Queued", "suncheon", submitted: 3));
        var gone = await WriteAsync("u2", Row("Queued", "suncheon", submitted: 2));
        await _store.ClearStateAsync(StateName, Grain("u2"), gone);

        var newest = await ListNewestAsync(new JobRowFilter { Region = "suncheon" }, limit: 1, after: "u2");
        var byId = await ListAsync(new JobRowFilter { Region = "suncheon" }, limit: 1, after: "u2");

        Assert.Empty(newest.Rows);
        Assert.Equal((2, (string?)null, true), (newest.Total, newest.NextAfter, newest.UnknownAfter));
        Assert.Equal(["u3"], Ids(byId));
        Assert.Equal(((string?)null, false), (byId.NextAfter, byId.UnknownAfter));
    }

    [Fact]
    public async Task TheSubmissionTimeIsKeptFromTheFirstWriteToTheMillisecond()
    {
        var early = await WriteAsync("s1", Row("Queued", "gwangyang", submitted: 1));
        await WriteAsync("s2", Row("Queued", "gwangyang", submitted: 2));

        // Later writes carry another submission time (the row's, or a mistaken one): the stored one stays.
        early.State.SubmittedOn = T0.AddSeconds(50);
        early.State.State = "Running";
        await _store.WriteStateAsync(StateName, Grain("s1"), early);

        // Stored to the millisecond on every store: 0.9 ms and 0.4 ms after one millisecond are a tie, broken by id.
        await WriteAsync("s3", Row("Queued", "gwangyang", submitted: 3.0019));
        await WriteAsync("s4", Row("Queued", "gwangyang", submitted: 3.0014));

        Assert.Equal(["s4", "s3", "s2", "s1"], Ids(await ListNewestAsync(new JobRowFilter { Region = "gwangyang" })));
        Assert.Equal(["s1"], Ids(await ListNewestAsync(new JobRowFilter { State = "Running" })));
    }

    [Fact]
    public async Task JobIdOrderIsOrdinalNotCultural()
    {
        string[] keys = ["b", "B", "a", "A", "10", "9", "_", "é", "Z"];
        foreach (var key in keys)
        {
            await WriteAsync(key, Row("Queued", "gwangju"));
        }

        var page = await ListAsync(new JobRowFilter { Region = "gwangju" });

        Assert.Equal(keys.Order(StringComparer.Ordinal), Ids(page));
        Assert.Equal(["10", "9", "A", "B", "Z", "_", "a", "b", "é"], Ids(page));
    }

    [Fact]
    public async Task TheColumnsAreReplacedOnEveryWrite()
    {
        var state = await WriteAsync("moving", Row("Queued", "gwangju", project: "p-ai", owner: "alice", active: true));

        state.State = Row("Running", "daegu", project: "p-bio", owner: "bob", active: true);
        await _store.WriteStateAsync(StateName, Grain("moving"), state);

        Assert.Empty(Ids(await ListAsync(new JobRowFilter { Region = "gwangju" })));
        Assert.Empty(Ids(await ListAsync(new JobRowFilter { State = "Queued" })));
        Assert.Empty(Ids(await ListAsync(new JobRowFilter { Project = "p-ai" })));
        Assert.Empty(Ids(await ListAsync(new JobRowFilter { Owner = "alice" })));
        var moved = Assert.Single((await ListAsync(new JobRowFilter { State = "Running", Region = "daegu", Project = "p-bio", Owner = "bob", ActiveOnly = true })).Rows);
        Assert.Equal("2", moved.ETag);

        state.State = Row("Completed", region: null, project: null, owner: null, active: false);
        await _store.WriteStateAsync(StateName, Grain("moving"), state);

        Assert.Empty(Ids(await ListAsync(new JobRowFilter { Region = "daegu" })));
        Assert.Empty(Ids(await ListAsync(new JobRowFilter { Project = "p-bio" })));
        Assert.Empty(Ids(await ListAsync(new JobRowFilter { Owner = "bob" })));
        Assert.Empty(Ids(await ListAsync(new JobRowFilter { ActiveOnly = true })));
        var completed = Assert.Single((await ListAsync(new JobRowFilter { State = "Completed" })).Rows);
        Assert.Equal(("3", null, null, null, false), (completed.ETag, completed.Row.Region, completed.Row.Project, completed.Row.Owner, completed.Row.Active));
    }

    [Fact]
    public async Task ConcurrentWritersWithTheSameETag_ExactlyOneWins()
    {
        await WriteAsync("race", Row("Queued", "gwangju", value: -1));
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writers = Enumerable.Range(0, RacingWriters).Select(i => Task.Run(async () =>
        {
            var state = new TestGrainState<TestJobRow>(Row("Running", "r" + i.ToString(CultureInfo.InvariantCulture), value: i), "1");
            await start.Task;
            try
            {
                await _store.WriteStateAsync(StateName, Grain("race"), state);
                return (Writer: i, Won: true, state.ETag);
            }
            catch (InconsistentStateException)
            {
                return (Writer: i, Won: false, state.ETag);
            }
        })).ToArray();

        start.SetResult();
        var results = await Task.WhenAll(writers);

        var winner = Assert.Single(results, r => r.Won);
        Assert.Equal("2", winner.ETag);
        Assert.All(results.Where(r => !r.Won), r => Assert.Equal("1", r.ETag));
        var read = await ReadAsync("race");
        Assert.Equal((winner.Writer, "2"), (read.State.Value, read.ETag));
        var row = Assert.Single((await ListAsync(new JobRowFilter { State = "Running" })).Rows);
        Assert.Equal("r" + winner.Writer.ToString(CultureInfo.InvariantCulture), row.Row.Region);
        Assert.Empty(Ids(await ListAsync(new JobRowFilter { Region = "gwangju" })));
    }

    [Fact]
    public async Task ConcurrentInsertersWithNullETag_ExactlyOneWins()
    {
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var inserters = Enumerable.Range(0, RacingWriters).Select(i => Task.Run(async () =>
        {
            var state = new TestGrainState<TestJobRow>(Row("Queued", "r" + i.ToString(CultureInfo.InvariantCulture), value: i));
            await start.Task;
            try
            {
                await _store.WriteStateAsync(StateName, Grain("insert-race"), state);
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
        var read = await ReadAsync("insert-race");
        Assert.Equal((winner.Writer, "1"), (read.State.Value, read.ETag));
        var page = await ListAsync(new JobRowFilter());
        Assert.Equal(1, page.Total);
        Assert.Equal("r" + winner.Writer.ToString(CultureInfo.InvariantCulture), Assert.Single(page.Rows).Row.Region);
    }

    [Fact]
    public async Task ManyGrainsWritingAtOnce_AllWritesLand()
    {
        const int Grains = 32;
        const int WritesPerGrain = 10;
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var activations = Enumerable.Range(0, Grains).Select(g => Task.Run(async () =>
        {
            var key = "g" + g.ToString("D2", CultureInfo.InvariantCulture);
            var state = new TestGrainState<TestJobRow>(Row("Queued", "gwangju"));
            await start.Task;
            for (var w = 1; w <= WritesPerGrain; w++)
            {
                state.State.Value = w;
                state.State.State = w == WritesPerGrain ? "Completed" : "Running";
                await _store.WriteStateAsync(StateName, Grain(key), state);
                var read = await ReadAsync(key);
                Assert.Equal(w, read.State.Value);
            }

            return state.ETag;
        })).ToArray();

        start.SetResult();
        var eTags = await Task.WhenAll(activations);

        Assert.All(eTags, e => Assert.Equal("10", e));
        var completed = await ListAsync(new JobRowFilter { State = "Completed" }, limit: Grains);
        Assert.Equal(Grains, completed.Total);
        Assert.Equal(Enumerable.Range(0, Grains).Select(g => "g" + g.ToString("D2", CultureInfo.InvariantCulture)), Ids(completed));
        Assert.All(completed.Rows, r => Assert.Equal((WritesPerGrain, "10"), (r.Row.Value, r.ETag)));
    }

    [Fact]
    public async Task UnicodeJobIdsRoundTrip()
    {
        const string Key = "광주/순천 🚀 ' \" ; -- %_\\ 대구";
        await WriteAsync(Key, Row("Queued", "광양", project: "프로젝트 🌏", owner: "연구자", value: 1, text: "대구 🌏"));
        await WriteAsync(Key + "2", Row("Queued", "광양"));

        var read = await ReadAsync(Key);
        var stored = await _store.ReadAsync<TestJobRow>(Key);
        var page = await ListAsync(new JobRowFilter { Region = "광양", Project = "프로젝트 🌏", Owner = "연구자" });

        Assert.Equal(("대구 🌏", "1"), (read.State.Text, read.ETag));
        Assert.NotNull(stored);
        Assert.Equal(Key, stored.JobId);
        Assert.Equal([Key], Ids(page));
        Assert.Equal([Key + "2"], Ids(await ListAsync(new JobRowFilter { Region = "광양" }, limit: 1, after: Key)));
        Assert.False((await ReadAsync("광주/순천 🚀")).RecordExists);
    }

    [Fact]
    public async Task KeysThatReadAsNumbersAreDistinctRows()
    {
        // Orleans' own provider takes a hexadecimal string key for an integer ("020235" and "20235" meet); job ids are
        // strings here, compared as such.
        string[] keys = ["020235", "20235", "abc", "ABC", "2748", "0123456789abcdef0123456789abcdef", "0123456789ABCDEF0123456789ABCDEF"];
        for (var i = 0; i < keys.Length; i++)
        {
            var state = await WriteAsync(keys[i], Row("Queued", "gwangju", value: i));
            Assert.Equal("1", state.ETag);
        }

        for (var i = 0; i < keys.Length; i++)
        {
            Assert.Equal(i, (await ReadAsync(keys[i])).State.Value);
        }

        Assert.Equal(keys.Length, (await ListAsync(new JobRowFilter { Region = "gwangju" })).Total);
    }

    [Fact]
    public async Task StoredStateIsNotSharedWithTheWriter()
    {
        var state = new TestGrainState<TestJobRow>(new TestJobRow { Items = [1, 2] });
        await _store.WriteStateAsync(StateName, Grain("isolated"), state);

        state.State.Items.Add(3);
        state.State.Region = "daegu";
        var first = await ReadAsync("isolated");
        first.State.Items.Add(4);
        var second = await ReadAsync("isolated");

        Assert.Equal([1, 2], second.State.Items);
        Assert.Null(second.State.Region);
        Assert.NotSame(first.State, second.State);
        Assert.NotSame(state.State, second.State);
        Assert.Empty(Ids(await ListAsync(new JobRowFilter { Region = "daegu" })));
    }

    [Fact]
    public async Task ALargePayloadRoundTrips()
    {
        var items = Enumerable.Range(0, 200_000).ToList();
        var text = new string('동', 300_000);
        await WriteAsync("large", new TestJobRow { Items = items, Text = text });

        var read = await ReadAsync("large");

        Assert.Equal(items, read.State.Items);
        Assert.Equal(text, read.State.Text);
    }

    [Fact]
    public async Task ACancelledWriteThrowsAndStoresNothing()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => _store.WriteStateAsync(StateName, Grain("cancelled"), new TestGrainState<TestJobRow>(Row("Queued", "gwangju")), cancelled.Token));

        Assert.False((await ReadAsync("cancelled")).RecordExists);
        Assert.Equal(0, (await ListAsync(new JobRowFilter())).Total);
    }

    [Fact]
    public async Task AnInvalidQueryIsRejected()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _store.QueryAsync<TestJobRow>(new JobRowFilter(), JobRowOrder.Id, 0, null));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _store.QueryAsync<TestJobRow>(new JobRowFilter(), JobRowOrder.Id, JobStoreOptions.MaxPageSize + 1, null));
        await Assert.ThrowsAsync<ArgumentNullException>(() => _store.QueryAsync<TestJobRow>(null!, JobRowOrder.Id, 10, null));
        var order = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _store.QueryAsync<TestJobRow>(new JobRowFilter(), (JobRowOrder)7, 10, null));
        Assert.Equal("order", order.ParamName);
        await Assert.ThrowsAsync<ArgumentException>(() => _store.ReadAsync<TestJobRow>(string.Empty));
    }

    /// <summary>
    /// Seven jobs over the columns, written out of id order; j02 written twice and j07 three times. Submitted (seconds
    /// after <see cref="T0"/>) out of id order too, j02, j04 and j07 at one instant: newest first is j03 (7), j06 (6),
    /// j01 (5), j07, j04, j02 (3, by id descending), j05 (1).
    /// </summary>
    private async Task WriteListingRowsAsync()
    {
        await WriteAsync("j04", Row("Queued", "daegu", project: "p-bio", owner: "carol", active: true, value: 4, submitted: 3));
        await WriteAsync("j01", Row("Queued", "gwangju", project: "p-ai", owner: "alice", active: true, value: 1, submitted: 5));
        await WriteAsync("j07", Row("Failed", "daegu", project: "p-ai", owner: null, active: false, value: 7, submitted: 3), writes: 3);
        await WriteAsync("j02", Row("Running", "gwangju", project: "p-ai", owner: "bob", active: true, value: 2, submitted: 3), writes: 2);
        await WriteAsync("j06", Row("Running", "suncheon", project: null, owner: "bob", active: true, value: 6, submitted: 6));
        await WriteAsync("j03", Row("Completed", "gwangju", project: "p-bio", owner: "alice", active: false, value: 3, submitted: 7));
        await WriteAsync("j05", Row("Submitted", region: null, project: "p-ai", owner: "alice", active: false, value: 5, submitted: 1));
    }

    private static TestJobRow Row(
        string state, string? region, string? project = null, string? owner = null, bool? active = null, int value = 0, string text = "", double submitted = 0) => new()
    {
        State = state,
        Region = region,
        Project = project,
        Owner = owner,
        Active = active ?? state is "Queued" or "Running",
        Value = value,
        Text = text,
        SubmittedOn = T0.AddSeconds(submitted),
    };

    private static GrainId Grain(string key) => GrainId.Create(JobType, key);

    private static IEnumerable<string> Ids(JobRowPage<TestJobRow> page) => page.Rows.Select(r => r.JobId);

    private async Task<TestGrainState<TestJobRow>> WriteAsync(string key, TestJobRow row, int writes = 1)
    {
        var state = new TestGrainState<TestJobRow>(row);
        for (var i = 0; i < writes; i++)
        {
            await _store.WriteStateAsync(StateName, Grain(key), state);
        }

        return state;
    }

    private async Task<TestGrainState<TestJobRow>> ReadAsync(string key)
    {
        var state = new TestGrainState<TestJobRow>(new TestJobRow { Value = -99 });
        await _store.ReadStateAsync(StateName, Grain(key), state);
        return state;
    }

    private Task<JobRowPage<TestJobRow>> ListAsync(JobRowFilter filter, int limit = 100, string? after = null) =>
        _store.QueryAsync<TestJobRow>(filter, JobRowOrder.Id, limit, after);

    private Task<JobRowPage<TestJobRow>> ListNewestAsync(JobRowFilter filter, int limit = 100, string? after = null) =>
        _store.QueryAsync<TestJobRow>(filter, JobRowOrder.Newest, limit, after);
}

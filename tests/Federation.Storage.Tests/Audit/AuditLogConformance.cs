using Federation.Storage.Audit;
using Federation.Storage.Jobs;
using Federation.Storage.Tests.Jobs;
using Orleans.Runtime;
using Orleans.Storage;

namespace Federation.Storage.Tests.Audit;

/// <summary>
/// The suite every <see cref="IAuditLog"/> passes, with the job store of the same storage: every field read back as
/// appended (times to the millisecond, in UTC), idempotent appends by id, newest-first keyset pages under every filter,
/// the bounds of a query, deployments kept apart by service id, and a job row's entries written with the row and only
/// when the ETag guard let the row through. A subclass supplies the storage; xUnit makes one instance per test, so every
/// test starts from empty tables.
/// </summary>
public abstract class AuditLogConformance : IAsyncLifetime
{
    protected const string ServiceId = "audit-conformance";

    private const string StateName = JobStoreOptions.DefaultStateName;

    private static readonly GrainType JobType = GrainType.Create(JobStoreOptions.DefaultGrainType);

    /// <summary>A time with ticks below the millisecond (and an offset), which every store keeps to the millisecond in UTC.</summary>
    private static readonly DateTimeOffset T0 = new DateTimeOffset(2026, 3, 1, 18, 30, 15, 123, TimeSpan.FromHours(9)).AddTicks(4567);

    /// <summary>
    /// The audit log and the job store of the deployment <paramref name="serviceId"/> on this test's storage: the
    /// job store writes its rows' entries where the log reads them. Deployments of one test share the storage where it
    /// can be shared (a database).
    /// </summary>
    protected abstract Task<(IAuditLog Log, IJobStore Jobs)> CreateAsync(string serviceId);

    /// <summary>Runs after the test: close databases, drop schemas, delete files.</summary>
    protected virtual Task CleanupAsync() => Task.CompletedTask;

    protected IAuditLog Log { get; private set; } = null!;

    protected IJobStore Jobs { get; private set; } = null!;

    public async Task InitializeAsync() => (Log, Jobs) = await CreateAsync(ServiceId);

    public Task DisposeAsync() => CleanupAsync();

    [Fact]
    public async Task EveryFieldReadsBackAsAppendedWithTheTimeToTheMillisecondInUtc()
    {
        var full = new AuditRecord
        {
            Id = "01J9Z3Q4B7-job-00123-cancel",
            At = T0,
            Actor = "alice@gwangju.example",
            Role = "operator",
            Action = "job.cancel",
            Target = "job/00123",
            Region = "gwangju",
            Before = """{"state":"Running","note":"äöü 光州 \"quoted\""}""",
            After = """{"state":"Cancelled"}""",
            Origin = "203.0.113.7",
            Detail = "maintenance window, line one\nline two",
        };
        var bare = new AuditRecord { Id = "e2", At = T0.AddDays(-400), Actor = "system", Role = "system", Action = "region.drain", Target = "region/daegu" };

        await Log.AppendAsync([full, bare]);
        var page = await Log.QueryAsync(new AuditFilter(), 10, null);

        var millisecond = DateTimeOffset.FromUnixTimeMilliseconds(T0.ToUnixTimeMilliseconds());
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 9, 30, 15, 123, TimeSpan.Zero), millisecond);
        Assert.Equal([bare with { At = millisecond.AddDays(-400), Sequence = 2 }, full with { At = millisecond, Sequence = 1 }], page.Records);
        Assert.All(page.Records, r => Assert.Equal(TimeSpan.Zero, r.At.Offset));
        Assert.Null(page.NextBefore);
    }

    [Fact]
    public async Task AnEntryAppendedAgainIsKeptOnceAsFirstWritten()
    {
        var first = Entry("once", actor: "alice");
        await Log.AppendAsync([first]);

        await Log.AppendAsync([Entry("once", actor: "bob"), Entry("other", actor: "carol")]);
        await Log.AppendAsync([Entry("twice-in-one", actor: "dave"), Entry("twice-in-one", actor: "erin")]);
        var page = await Log.QueryAsync(new AuditFilter(), 10, null);

        Assert.Equal([("twice-in-one", "dave"), ("other", "carol"), ("once", "alice")], page.Records.Select(r => (r.Id, r.Actor)));
        Assert.Equal(first with { Sequence = 1 }, page.Records[^1]);
        Assert.Empty((await Log.QueryAsync(new AuditFilter { Actor = "bob" }, 10, null)).Records);
        Assert.Empty((await Log.QueryAsync(new AuditFilter { Actor = "erin" }, 10, null)).Records);
    }

    [Fact]
    public async Task AnEmptyAppendStoresNothing()
    {
        await Log.AppendAsync([]);
        var page = await Log.QueryAsync(new AuditFilter(), 10, null);

        Assert.Equal((0, (long?)null), (page.Records.Count, page.NextBefore));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("actor")]
    [InlineData("region")]
    [InlineData("target")]
    [InlineData("action")]
    [InlineData("actor+action")]
    public async Task PagesAreNewestFirstAndKeysetPagingVisitsEveryMatchOnce(string? filterName)
    {
        // 30 entries in six appends of five: the order of appends, and within one the order of the list, is the order of sequences.
        var appended = Enumerable.Range(0, 30).Select(i => Entry(
            $"e{i:D2}", actor: $"user{i % 3}", region: i % 5 == 0 ? null : $"region{i % 2}", target: $"job/{i % 4:D5}", action: i % 7 == 0 ? "job.cancel" : "job.submit")).ToList();
        foreach (var batch in appended.Chunk(5))
        {
            await Log.AppendAsync(batch);
        }

        var (filter, matches) = filterName switch
        {
            "actor" => (new AuditFilter { Actor = "user1" }, (Func<AuditRecord, bool>)(r => r.Actor == "user1")),
            "region" => (new AuditFilter { Region = "region0" }, r => r.Region == "region0"),
            "target" => (new AuditFilter { Target = "job/00002" }, r => r.Target == "job/00002"),
            "action" => (new AuditFilter { Action = "job.cancel" }, r => r.Action == "job.cancel"),
            "actor+action" => (new AuditFilter { Actor = "user0", Action = "job.submit" }, r => r.Actor == "user0" && r.Action == "job.submit"),
            _ => (new AuditFilter(), (Func<AuditRecord, bool>)(_ => true)),
        };
        var all = (await Log.QueryAsync(new AuditFilter(), IAuditLog.MaxPageSize, null)).Records;
        Assert.Equal(appended.Select(r => r.Id).Reverse(), all.Select(r => r.Id));
        Assert.All(all.Zip(all.Skip(1)), pair => Assert.True(pair.First.Sequence > pair.Second.Sequence));
        var expected = all.Where(matches).ToList();
        Assert.NotEmpty(expected);

        const int Limit = 3;
        var pages = new List<AuditPage>();
        long? before = null;
        do
        {
            var page = await Log.QueryAsync(filter, Limit, before);
            pages.Add(page);
            before = page.NextBefore;
        }
        while (before is not null && pages.Count <= all.Count);

        Assert.Equal(expected, pages.SelectMany(p => p.Records));
        Assert.Equal((expected.Count + Limit - 1) / Limit, pages.Count);
        Assert.All(pages.SkipLast(1), p => Assert.Equal((Limit, p.Records[^1].Sequence), (p.Records.Count, p.NextBefore!.Value)));
        Assert.Null(pages[^1].NextBefore);
    }

    [Fact]
    public async Task APageThatEndsExactlyAtTheLastMatchHasNoNextAndBeforeTheFirstEntryIsEmpty()
    {
        await Log.AppendAsync([Entry("a"), Entry("b"), Entry("c"), Entry("d")]);

        var first = await Log.QueryAsync(new AuditFilter(), 2, null);
        var second = await Log.QueryAsync(new AuditFilter(), 2, first.NextBefore);
        var oldest = second.Records[^1].Sequence;

        Assert.Equal([("d", 4L), ("c", 3L)], first.Records.Select(r => (r.Id, r.Sequence)));
        Assert.Equal(3, first.NextBefore);
        Assert.Equal([("b", 2L), ("a", 1L)], second.Records.Select(r => (r.Id, r.Sequence)));
        Assert.Null(second.NextBefore);
        var beforeOldest = await Log.QueryAsync(new AuditFilter(), 2, oldest);
        Assert.Equal((0, (long?)null), (beforeOldest.Records.Count, beforeOldest.NextBefore));
        Assert.Equal(["d", "c", "b", "a"], (await Log.QueryAsync(new AuditFilter(), 4, long.MaxValue)).Records.Select(r => r.Id));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(IAuditLog.MaxPageSize + 1)]
    public async Task ALimitOutsideOneToTheMaximumIsRefused(int limit)
    {
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Log.QueryAsync(new AuditFilter(), limit, null));

        Assert.Equal("limit", error.ParamName);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-5L)]
    public async Task ABeforeBelowOneIsRefused(long before)
    {
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Log.QueryAsync(new AuditFilter(), 10, before));

        Assert.Equal("before", error.ParamName);
    }

    [Fact]
    public async Task TheLargestPageIsAllowedAndANullFilterIsRefused()
    {
        await Log.AppendAsync([Entry("only")]);

        Assert.Equal(["only"], (await Log.QueryAsync(new AuditFilter(), IAuditLog.MaxPageSize, null)).Records.Select(r => r.Id));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Log.QueryAsync(null!, 10, null));
    }

    [Theory]
    [InlineData("Id", "")]
    [InlineData("Id", "x65")]
    [InlineData("Actor", "")]
    [InlineData("Role", "")]
    [InlineData("Action", "")]
    [InlineData("Target", "")]
    public async Task AnInvalidEntryIsRefusedNamingTheFieldAndNothingOfItsAppendIsStored(string field, string value)
    {
        var text = value == "x65" ? new string('x', AuditRecord.MaxIdLength + 1) : value;
        var bad = field switch
        {
            "Id" => Entry("placeholder") with { Id = text },
            "Actor" => Entry("bad") with { Actor = text },
            "Role" => Entry("bad") with { Role = text },
            "Action" => Entry("bad") with { Action = text },
            _ => Entry("bad") with { Target = text },
        };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => Log.AppendAsync([Entry("good"), bad]));

        Assert.Equal("records", error.ParamName);
        Assert.Contains(field, error.Message, StringComparison.Ordinal);
        Assert.Empty((await Log.QueryAsync(new AuditFilter(), 10, null)).Records);
    }

    [Fact]
    public async Task AnIdOfTheLongestLengthIsStored()
    {
        var id = new string('z', AuditRecord.MaxIdLength);

        await Log.AppendAsync([Entry(id)]);

        Assert.Equal([id], (await Log.QueryAsync(new AuditFilter(), 10, null)).Records.Select(r => r.Id));
    }

    [Fact]
    public async Task DeploymentsSharingTheStorageSeeOnlyTheirOwnEntriesAndEachKeepsItsOwnIds()
    {
        var (other, _) = await CreateAsync("audit-other-deployment");

        await Log.AppendAsync([Entry("shared-id", actor: "alice"), Entry("mine", actor: "alice")]);
        await other.AppendAsync([Entry("shared-id", actor: "bob")]);

        Assert.Equal([("mine", "alice"), ("shared-id", "alice")], (await Log.QueryAsync(new AuditFilter(), 10, null)).Records.Select(r => (r.Id, r.Actor)));
        Assert.Equal([("shared-id", "bob")], (await other.QueryAsync(new AuditFilter(), 10, null)).Records.Select(r => (r.Id, r.Actor)));
        Assert.Empty((await other.QueryAsync(new AuditFilter { Actor = "alice" }, 10, null)).Records);
    }

    [Fact]
    public async Task AJobRowsInsertAndUpdateEachStoreTheirEntries()
    {
        var state = new TestGrainState<TestJobRow>(new TestJobRow { State = "Queued", AuditRecords = [Entry("submit-1", action: "job.submit")] });

        await Jobs.WriteStateAsync(StateName, Grain("j1"), state);
        var afterInsert = await IdsAsync();
        state.State.State = "Cancelled";
        state.State.AuditRecords = [Entry("cancel-1", action: "job.cancel"), Entry("cancel-1-note", action: "job.note")];
        await Jobs.WriteStateAsync(StateName, Grain("j1"), state);

        Assert.Equal(["submit-1"], afterInsert);
        Assert.Equal("2", state.ETag);
        Assert.Equal(["cancel-1-note", "cancel-1", "submit-1"], await IdsAsync());
        Assert.Equal(["cancel-1"], (await Log.QueryAsync(new AuditFilter { Action = "job.cancel" }, 10, null)).Records.Select(r => r.Id));
    }

    [Fact]
    public async Task AWriteRefusedByTheETagGuardStoresNoEntries()
    {
        var state = new TestGrainState<TestJobRow>(new TestJobRow { State = "Queued", AuditRecords = [Entry("submit")] });
        await Jobs.WriteStateAsync(StateName, Grain("j1"), state);
        state.State.AuditRecords = [Entry("start")];
        await Jobs.WriteStateAsync(StateName, Grain("j1"), state);

        var stale = new TestGrainState<TestJobRow>(new TestJobRow { State = "Cancelled", AuditRecords = [Entry("stale-cancel")] }, "1");
        var secondInsert = new TestGrainState<TestJobRow>(new TestJobRow { State = "Queued", AuditRecords = [Entry("second-submit")] });
        var noRow = new TestGrainState<TestJobRow>(new TestJobRow { State = "Queued", AuditRecords = [Entry("phantom-update")] }, "4");

        await Assert.ThrowsAsync<InconsistentStateException>(() => Jobs.WriteStateAsync(StateName, Grain("j1"), stale));
        await Assert.ThrowsAsync<InconsistentStateException>(() => Jobs.WriteStateAsync(StateName, Grain("j1"), secondInsert));
        await Assert.ThrowsAsync<InconsistentStateException>(() => Jobs.WriteStateAsync(StateName, Grain("j2"), noRow));

        Assert.Equal(["start", "submit"], await IdsAsync());
        Assert.Equal("2", (await Jobs.ReadAsync<TestJobRow>("j1"))!.ETag);
    }

    [Fact]
    public async Task AnEntryStoredAlreadyIsSkippedAndTheRowWriteStillSucceeds()
    {
        var original = Entry("retried", actor: "alice");
        await Log.AppendAsync([original]);
        var state = new TestGrainState<TestJobRow>(new TestJobRow { State = "Queued", Value = 1, AuditRecords = [Entry("retried", actor: "bob"), Entry("fresh")] });

        await Jobs.WriteStateAsync(StateName, Grain("j1"), state);
        state.State.Value = 2;
        await Jobs.WriteStateAsync(StateName, Grain("j1"), state);

        Assert.Equal("2", state.ETag);
        Assert.Equal(2, (await Jobs.ReadAsync<TestJobRow>("j1"))!.Row.Value);
        var page = await Log.QueryAsync(new AuditFilter(), 10, null);
        Assert.Equal(["fresh", "retried"], page.Records.Select(r => r.Id));
        Assert.Equal(original with { Sequence = page.Records[1].Sequence }, page.Records[1]);
    }

    [Fact]
    public async Task ARowWithAnInvalidEntryIsRefusedBeforeAnythingIsWritten()
    {
        var state = new TestGrainState<TestJobRow>(new TestJobRow { State = "Queued", AuditRecords = [Entry("ok"), Entry("bad") with { Role = "" }] });

        var error = await Assert.ThrowsAsync<ArgumentException>(() => Jobs.WriteStateAsync(StateName, Grain("j1"), state));

        Assert.Equal("grainState", error.ParamName);
        Assert.Contains(nameof(AuditRecord.Role), error.Message, StringComparison.Ordinal);
        Assert.Null(state.ETag);
        Assert.Null(await Jobs.ReadAsync<TestJobRow>("j1"));
        Assert.Empty(await IdsAsync());
    }

    /// <summary>An entry at <see cref="T0"/> to the millisecond (as stored), so a read compares equal to it.</summary>
    protected static AuditRecord Entry(string id, string actor = "alice", string? region = "gwangju", string target = "job/00001", string action = "job.submit") => new()
    {
        Id = id,
        At = DateTimeOffset.FromUnixTimeMilliseconds(T0.ToUnixTimeMilliseconds()),
        Actor = actor,
        Role = "researcher",
        Action = action,
        Target = target,
        Region = region,
        After = "{\"id\":\"" + id + "\"}",
    };

    protected static GrainId Grain(string key) => GrainId.Create(JobType, key);

    protected async Task<List<string>> IdsAsync() => [.. (await Log.QueryAsync(new AuditFilter(), IAuditLog.MaxPageSize, null)).Records.Select(r => r.Id)];
}

using System.Collections.Concurrent;
using Federation.Storage.Audit;
using Orleans.Storage;

namespace Federation.Storage.Jobs;

/// <summary>
/// Job rows in process memory, with the same ETag protocol as the database stores: for demos, tests and benchmarks
/// (lost on exit). It keeps serialized bytes, never the caller's objects, so a stored row cannot change through a live
/// activation. Every change is a compare-and-swap on one dictionary slot: exactly one of racing writers wins, and the
/// columns live in the slot with the payload, so a listing never sees one without the other. A listing scans every
/// row (memory holds what one process placed; a database store serves listings from its indexes). A row's audit
/// entries go to the <see cref="MemoryAuditLog"/> it was given, right after the compare-and-swap that stored the row, and
/// not at all when the swap failed. Unlike a database's transaction, a reader in between may see the row before its
/// entries; nothing here survives a crash, so no crash can keep one without the other.
/// </summary>
/// <remarks>
/// Every job writes its row from its own activation, on any thread, so the rows are spread over
/// <see cref="ShardCount"/> dictionaries by the id's hash: a dictionary's writers share a handful of lock stripes, and
/// growing it takes all of them, which with one dictionary stopped every writer of the silo at once.
/// </remarks>
public sealed class MemoryJobStore : JobStoreBase
{
    /// <summary>Dictionaries the rows are spread over (a power of two).</summary>
    public const int ShardCount = 16;

    private const int InitialShardCapacity = 4_096;

    private readonly ConcurrentDictionary<string, Row>[] _shards = new ConcurrentDictionary<string, Row>[ShardCount];
    private readonly MemoryAuditLog? _auditLog;

    /// <param name="auditLog">Where rows' audit entries go; null: they are dropped.</param>
    public MemoryJobStore(JobStoreOptions options, IGrainStorageSerializer serializer, MemoryAuditLog? auditLog = null)
        : base(options, serializer)
    {
        _auditLog = auditLog;
        for (var i = 0; i < _shards.Length; i++)
        {
            _shards[i] = new ConcurrentDictionary<string, Row>(Environment.ProcessorCount, InitialShardCapacity, StringComparer.Ordinal);
        }
    }

    public override string Description => "memory";

    /// <summary>The number of stored rows (tests and diagnostics).</summary>
    public int Count
    {
        get
        {
            var count = 0;
            foreach (var shard in _shards)
            {
                count += shard.Count;
            }

            return count;
        }
    }

    public override Task<StoredJobRow<T>?> ReadAsync<T>(string jobId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(ShardOf(jobId).TryGetValue(jobId, out var row) ? ToStored<T>(jobId, row) : null);
    }

    public override Task<JobRowPage<T>> QueryAsync<T>(JobRowFilter filter, JobRowOrder order, int limit, string? after, CancellationToken cancellationToken = default)
    {
        CheckQuery(filter, order, limit);
        cancellationToken.ThrowIfCancellationRequested();
        var newest = order == JobRowOrder.Newest;
        var matches = new List<KeyValuePair<string, Row>>();
        foreach (var shard in _shards)
        {
            foreach (var pair in shard)
            {
                if (Matches(pair.Value.Columns, filter))
                {
                    matches.Add(pair);
                }
            }
        }

        // Newest first, the position of `after` is its row's: it need not match the filter, but it must exist.
        long afterSubmitted = 0;
        if (newest && after is not null)
        {
            if (!ShardOf(after).TryGetValue(after, out var afterRow))
            {
                return Task.FromResult(new JobRowPage<T>([], matches.Count, null, UnknownAfter: true));
            }

            afterSubmitted = afterRow.SubmittedOn;
        }

        matches.Sort(newest ? NewestFirst : ById);
        var items = new List<StoredJobRow<T>>(Math.Min(limit, matches.Count));
        string? next = null;
        foreach (var (id, row) in matches)
        {
            if (after is not null && !(newest ? FollowsNewestFirst(row.SubmittedOn, id, afterSubmitted, after) : string.CompareOrdinal(id, after) > 0))
            {
                continue;
            }

            if (items.Count == limit)
            {
                next = items[^1].JobId;
                break;
            }

            items.Add(ToStored<T>(id, row));
        }

        return Task.FromResult(new JobRowPage<T>(items, matches.Count, next));
    }

    protected override Task<bool> WriteAsync(
        string jobId, JobRowColumns columns, BinaryData payload, long? expectedVersion, IReadOnlyList<AuditRecord> auditRecords, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var bytes = PayloadBytes(payload);
        var rows = ShardOf(jobId);
        var written = expectedVersion is not { } expected
            ? rows.TryAdd(jobId, new Row(bytes, 1, columns, columns.SubmittedOn.ToUnixTimeMilliseconds()))
            : rows.TryGetValue(jobId, out var current)
                && current.Version == expected
                && rows.TryUpdate(jobId, new Row(bytes, expected + 1, columns, current.SubmittedOn), current);
        if (written && auditRecords.Count > 0)
        {
            _auditLog?.Append(auditRecords);
        }

        return Task.FromResult(written);
    }

    protected override Task<bool> DeleteAsync(string jobId, long expectedVersion, CancellationToken cancellationToken)
    {
        var rows = ShardOf(jobId);
        return Task.FromResult(rows.TryGetValue(jobId, out var current) && current.Version == expectedVersion && rows.TryRemove(new(jobId, current)));
    }

    protected override Task<long?> ReadVersionAsync(string jobId, CancellationToken cancellationToken) =>
        Task.FromResult(ShardOf(jobId).TryGetValue(jobId, out var row) ? row.Version : (long?)null);

    private ConcurrentDictionary<string, Row> ShardOf(string jobId) =>
        _shards[StringComparer.Ordinal.GetHashCode(jobId) & (ShardCount - 1)];

    private static bool Matches(in JobRowColumns c, JobRowFilter f) =>
        (f.State is null || string.Equals(c.State, f.State, StringComparison.Ordinal))
        && (f.Region is null || string.Equals(c.Region, f.Region, StringComparison.Ordinal))
        && (f.Project is null || string.Equals(c.Project, f.Project, StringComparison.Ordinal))
        && (f.Owner is null || string.Equals(c.Owner, f.Owner, StringComparison.Ordinal))
        && (!f.ActiveOnly || c.Active);

    /// <summary>Job id order, ordinal, as the databases compare ids.</summary>
    private static int ById(KeyValuePair<string, Row> a, KeyValuePair<string, Row> b) => string.CompareOrdinal(a.Key, b.Key);

    /// <summary>Submission time (milliseconds) descending, then job id descending.</summary>
    private static int NewestFirst(KeyValuePair<string, Row> a, KeyValuePair<string, Row> b)
    {
        var bySubmission = b.Value.SubmittedOn.CompareTo(a.Value.SubmittedOn);
        return bySubmission != 0 ? bySubmission : string.CompareOrdinal(b.Key, a.Key);
    }

    /// <summary>True when the row (submitted, id) comes after the position (afterSubmitted, afterId) newest first.</summary>
    private static bool FollowsNewestFirst(long submitted, string id, long afterSubmitted, string afterId) =>
        submitted < afterSubmitted || (submitted == afterSubmitted && string.CompareOrdinal(id, afterId) < 0);

    private StoredJobRow<T> ToStored<T>(string jobId, Row row) =>
        new(jobId, Serializer.Deserialize<T>(new BinaryData(row.Payload))!, Format(row.Version));

    /// <summary>A class, not a record: TryUpdate/TryRemove must compare by reference, not by value.</summary>
    /// <param name="submittedOn">Unix milliseconds, from the first write (the databases keep the same precision).</param>
    private sealed class Row(byte[] payload, long version, JobRowColumns columns, long submittedOn)
    {
        public byte[] Payload { get; } = payload;

        public long Version { get; } = version;

        /// <summary>The columns of the latest write (its <see cref="JobRowColumns.SubmittedOn"/> is not used: see <see cref="SubmittedOn"/>).</summary>
        public JobRowColumns Columns { get; } = columns;

        public long SubmittedOn { get; } = submittedOn;
    }
}

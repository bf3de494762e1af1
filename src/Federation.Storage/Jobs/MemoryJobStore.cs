using System.Collections.Concurrent;
using Orleans.Storage;

namespace Federation.Storage.Jobs;

/// <summary>
/// Job rows in process memory, with the same ETag protocol as the database stores: for demos, tests and benchmarks
/// (lost on exit). It keeps serialized bytes, never the caller's objects, so a stored row cannot change through a live
/// activation. Every change is a compare-and-swap on one dictionary slot: exactly one of racing writers wins, and the
/// columns live in the slot with the payload, so a listing never sees one without the other. A listing scans every
/// row (memory holds what one process placed; a database store serves listings from its indexes).
/// </summary>
public sealed class MemoryJobStore(JobStoreOptions options, IGrainStorageSerializer serializer) : JobStoreBase(options, serializer)
{
    /// <summary>Every job writes its row from its own activation, on any thread: sized so the map rarely grows.</summary>
    private const int InitialCapacity = 16_384;

    private readonly ConcurrentDictionary<string, Row> _rows = new(Environment.ProcessorCount, InitialCapacity, StringComparer.Ordinal);

    public override string Description => "memory";

    /// <summary>The number of stored rows (tests and diagnostics).</summary>
    public int Count => _rows.Count;

    public override Task<StoredJobRow<T>?> ReadAsync<T>(string jobId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_rows.TryGetValue(jobId, out var row) ? ToStored<T>(jobId, row) : null);
    }

    public override Task<JobRowPage<T>> QueryAsync<T>(JobRowFilter filter, int limit, string? after, CancellationToken cancellationToken = default)
    {
        CheckQuery(filter, limit);
        cancellationToken.ThrowIfCancellationRequested();
        var matches = new List<KeyValuePair<string, Row>>();
        foreach (var pair in _rows)
        {
            if (Matches(pair.Value.Columns, filter))
            {
                matches.Add(pair);
            }
        }

        matches.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        var items = new List<StoredJobRow<T>>(Math.Min(limit, matches.Count));
        string? next = null;
        foreach (var (id, row) in matches)
        {
            if (after is not null && string.CompareOrdinal(id, after) <= 0)
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

    protected override Task<bool> WriteAsync(string jobId, JobRowColumns columns, BinaryData payload, long? expectedVersion, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var bytes = payload.ToArray();
        if (expectedVersion is not { } expected)
        {
            return Task.FromResult(_rows.TryAdd(jobId, new Row(bytes, 1, columns)));
        }

        return Task.FromResult(
            _rows.TryGetValue(jobId, out var current)
            && current.Version == expected
            && _rows.TryUpdate(jobId, new Row(bytes, expected + 1, columns), current));
    }

    protected override Task<bool> DeleteAsync(string jobId, long expectedVersion, CancellationToken cancellationToken) =>
        Task.FromResult(_rows.TryGetValue(jobId, out var current) && current.Version == expectedVersion && _rows.TryRemove(new(jobId, current)));

    protected override Task<long?> ReadVersionAsync(string jobId, CancellationToken cancellationToken) =>
        Task.FromResult(_rows.TryGetValue(jobId, out var row) ? row.Version : (long?)null);

    private static bool Matches(in JobRowColumns c, JobRowFilter f) =>
        (f.State is null || string.Equals(c.State, f.State, StringComparison.Ordinal))
        && (f.Region is null || string.Equals(c.Region, f.Region, StringComparison.Ordinal))
        && (f.Project is null || string.Equals(c.Project, f.Project, StringComparison.Ordinal))
        && (f.Owner is null || string.Equals(c.Owner, f.Owner, StringComparison.Ordinal))
        && (!f.ActiveOnly || c.Active);

    private StoredJobRow<T> ToStored<T>(string jobId, Row row) =>
        new(jobId, Serializer.Deserialize<T>(new BinaryData(row.Payload))!, Format(row.Version));

    /// <summary>A class, not a record: TryUpdate/TryRemove must compare by reference, not by value.</summary>
    private sealed class Row(byte[] payload, long version, JobRowColumns columns)
    {
        public byte[] Payload { get; } = payload;

        public long Version { get; } = version;

        public JobRowColumns Columns { get; } = columns;
    }
}

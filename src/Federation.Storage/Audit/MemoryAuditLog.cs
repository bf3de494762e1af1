namespace Federation.Storage.Audit;

/// <summary>
/// The audit table in process memory, with the same semantics as the database's: for demos, tests and benchmarks (lost
/// on exit). Entries are numbered 1, 2, 3, ... as they are appended, an id stored already is skipped, and the times are
/// kept to the millisecond in UTC, as the databases keep them. There is no update or delete. Thread-safe: one lock
/// orders the appends, and a query reads under it.
/// </summary>
public sealed class MemoryAuditLog : IAuditLog
{
    private readonly Lock _gate = new();
    private readonly List<AuditRecord> _records = [];
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);

    public string Description => "memory";

    /// <summary>The number of stored entries (tests and diagnostics).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _records.Count;
            }
        }
    }

    public Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken = default)
    {
        AuditChecks.ThrowIfInvalid(records, nameof(records));
        cancellationToken.ThrowIfCancellationRequested();
        Append(records);
        return Task.CompletedTask;
    }

    public Task<AuditPage> QueryAsync(AuditFilter filter, int limit, long? before, CancellationToken cancellationToken = default)
    {
        AuditChecks.CheckQuery(filter, limit, before);
        cancellationToken.ThrowIfCancellationRequested();
        var page = new List<AuditRecord>(Math.Min(limit, 128));
        long? next = null;
        lock (_gate)
        {
            // The entry with sequence s is at index s - 1.
            var start = before is { } position ? (int)Math.Min(position - 1, _records.Count) - 1 : _records.Count - 1;
            for (var i = start; i >= 0; i--)
            {
                var record = _records[i];
                if (!Matches(record, filter))
                {
                    continue;
                }

                if (page.Count == limit)
                {
                    next = page[^1].Sequence;
                    break;
                }

                page.Add(record);
            }
        }

        return Task.FromResult(new AuditPage(page, next));
    }

    /// <summary>Appends entries that passed <see cref="AuditChecks.ThrowIfInvalid"/> (the job store's, after its row write).</summary>
    internal void Append(IReadOnlyList<AuditRecord> records)
    {
        lock (_gate)
        {
            foreach (var record in records)
            {
                if (_ids.Add(record.Id))
                {
                    _records.Add(record with
                    {
                        At = DateTimeOffset.FromUnixTimeMilliseconds(record.At.ToUnixTimeMilliseconds()),
                        Sequence = _records.Count + 1,
                    });
                }
            }
        }
    }

    private static bool Matches(AuditRecord r, AuditFilter f) =>
        (f.Actor is null || string.Equals(r.Actor, f.Actor, StringComparison.Ordinal))
        && (f.Region is null || string.Equals(r.Region, f.Region, StringComparison.Ordinal))
        && (f.Target is null || string.Equals(r.Target, f.Target, StringComparison.Ordinal))
        && (f.Action is null || string.Equals(r.Action, f.Action, StringComparison.Ordinal));
}

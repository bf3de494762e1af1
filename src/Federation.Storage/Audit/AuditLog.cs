namespace Federation.Storage.Audit;

/// <summary>
/// One entry of the audit table: who changed what, when and from where, with the target's state before and after. The
/// table is append-only: entries are inserted, never updated or deleted (the database refuses both).
/// </summary>
public sealed record AuditRecord
{
    /// <summary>Longest <see cref="Id"/> the table takes.</summary>
    public const int MaxIdLength = 64;

    /// <summary>
    /// Unique id, made by the writer when the change is made: appending an entry whose id is stored already does
    /// nothing, so an entry written again after a crash is kept once.
    /// </summary>
    public required string Id { get; init; }

    /// <summary>When the change was made.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>Who made it: the caller's subject, or <c>system</c> for the federation's own changes.</summary>
    public required string Actor { get; init; }

    /// <summary>The caller's role (researcher, operator, coordinator), or <c>system</c>.</summary>
    public required string Role { get; init; }

    /// <summary>What was done, <c>area.verb</c>: <c>job.submit</c>, <c>region.drain</c>, <c>token.revoke</c>, ...</summary>
    public required string Action { get; init; }

    /// <summary>What it was done to, <c>kind/id</c>: <c>job/00123</c>, <c>region/gwangju</c>, <c>project/p1</c>.</summary>
    public required string Target { get; init; }

    /// <summary>The region the change concerns (an operator reads their region's entries), or null.</summary>
    public string? Region { get; init; }

    /// <summary>The target's state before the change (JSON), or null when it did not exist.</summary>
    public string? Before { get; init; }

    /// <summary>The target's state after the change (JSON), or null when it no longer exists.</summary>
    public string? After { get; init; }

    /// <summary>Where the request came from (the client's address), or null for the federation's own changes.</summary>
    public string? Origin { get; init; }

    /// <summary>Why, in words: a cancel's reason, the residency check that allowed a move.</summary>
    public string? Detail { get; init; }

    /// <summary>The position in the table, ascending in insertion order; set by the log when read (0 on append).</summary>
    public long Sequence { get; init; }
}

/// <summary>Which entries to list: every given field must match exactly (null = any).</summary>
public sealed record AuditFilter
{
    public string? Actor { get; init; }

    public string? Region { get; init; }

    public string? Target { get; init; }

    public string? Action { get; init; }
}

/// <summary>
/// A page of entries, newest first (by <see cref="AuditRecord.Sequence"/> descending), and the sequence to continue
/// before (null at the end).
/// </summary>
public sealed record AuditPage(IReadOnlyList<AuditRecord> Records, long? NextBefore);

/// <summary>
/// The audit table. Appends are idempotent by <see cref="AuditRecord.Id"/> and durable when the call returns; reads
/// see committed entries only. A change that has a row of its own in the same database (a job's) writes its entries in
/// that row's transaction instead (<see cref="Jobs.IJobRow.AuditRecords"/>).
/// </summary>
public interface IAuditLog
{
    /// <summary>Largest page a query returns.</summary>
    const int MaxPageSize = 1_000;

    /// <summary>Where the entries are, in words safe to log.</summary>
    string Description { get; }

    /// <summary>Appends the entries in one transaction; entries whose id is stored already are skipped.</summary>
    Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken = default);

    /// <summary>
    /// Entries matching <paramref name="filter"/>, newest first, at most <paramref name="limit"/> (1 to
    /// <see cref="MaxPageSize"/>), starting before the sequence <paramref name="before"/> (null: the newest).
    /// </summary>
    Task<AuditPage> QueryAsync(AuditFilter filter, int limit, long? before, CancellationToken cancellationToken = default);
}

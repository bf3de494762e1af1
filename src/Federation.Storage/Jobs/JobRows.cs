namespace Federation.Storage.Jobs;

/// <summary>
/// The index columns of a job row, written in the same statement as the row, so a listing or a region's rebuild never
/// sees one without the other. The state type a job store holds implements <see cref="IJobRow"/>.
/// </summary>
/// <param name="State">The job's state (Submitted, Queued, Running, ...).</param>
/// <param name="Region">The region it is queued or running in, or ran in; null before placement.</param>
/// <param name="Project">The project it belongs to.</param>
/// <param name="Owner">Who submitted it.</param>
/// <param name="Active">True while it is queued or running (what a region rebuilds its queue from).</param>
/// <param name="SubmittedOn">
/// When the job was submitted: what <see cref="JobRowOrder.Newest"/> lists by. Stored to the millisecond by the write
/// that inserts the row and never changed by a later write, so a job keeps its place in the newest-first order.
/// </param>
public readonly record struct JobRowColumns(string State, string? Region, string? Project, string? Owner, bool Active, DateTimeOffset SubmittedOn);

/// <summary>A state a job store can hold: it says its own index columns.</summary>
public interface IJobRow
{
    JobRowColumns Columns { get; }

    /// <summary>
    /// Audit entries of the change this write stores, inserted in the same transaction as the row (none when the write
    /// is refused); an entry already stored is skipped. The writer clears them once the write returns.
    /// </summary>
    IReadOnlyList<Audit.AuditRecord> AuditRecords => [];
}

/// <summary>Which job rows to list: every given column must match (null = any).</summary>
public sealed record JobRowFilter
{
    public string? State { get; init; }

    public string? Region { get; init; }

    public string? Project { get; init; }

    public string? Owner { get; init; }

    /// <summary>True: only queued or running jobs.</summary>
    public bool ActiveOnly { get; init; }
}

/// <summary>The order a listing returns rows in, and what its keyset <c>after</c> is a position in.</summary>
public enum JobRowOrder
{
    /// <summary>By job id, ordinal (byte-wise) ascending; <c>after</c> is any id, stored or not.</summary>
    Id,

    /// <summary>
    /// By submission time (<see cref="JobRowColumns.SubmittedOn"/>, to the millisecond) descending, ties by job id
    /// descending; <c>after</c> must name a stored row (its submission time is the position), matching the filter or not.
    /// </summary>
    Newest,
}

/// <summary>One stored job row.</summary>
public sealed record StoredJobRow<T>(string JobId, T Row, string ETag);

/// <summary>
/// A page of rows in the order asked for: the rows, how many matched in all, and the id to continue after (null at the
/// end). <paramref name="UnknownAfter"/> is true when the order is <see cref="JobRowOrder.Newest"/> and <c>after</c>
/// names no stored row: there is no position to continue from, so the page is empty (the total is still counted).
/// </summary>
public sealed record JobRowPage<T>(IReadOnlyList<StoredJobRow<T>> Rows, int Total, string? NextAfter, bool UnknownAfter = false);

/// <summary>
/// The job store: Orleans grain storage for the job grain's state (the <see cref="Orleans.Storage.IGrainStorage"/> it
/// implements, with Orleans' ETag protocol), and the queries Orleans has no notion of: listing by column with keyset
/// paging, and reading one committed row outside any grain. Reads see committed rows only.
/// </summary>
public interface IJobStore : Orleans.Storage.IGrainStorage
{
    /// <summary>Where the rows are, in words safe to log (a file, a server and database; never credentials).</summary>
    string Description { get; }

    /// <summary>
    /// Rows matching <paramref name="filter"/> in <paramref name="order"/>, at most <paramref name="limit"/>, starting
    /// after the job <paramref name="after"/> in that order. Served by an index on the filtered column for either
    /// order; the total is counted in the same statement.
    /// </summary>
    Task<JobRowPage<T>> QueryAsync<T>(JobRowFilter filter, JobRowOrder order, int limit, string? after, CancellationToken cancellationToken = default);

    /// <summary>The committed row of one job, or null when it has none.</summary>
    Task<StoredJobRow<T>?> ReadAsync<T>(string jobId, CancellationToken cancellationToken = default);
}

/// <summary>What a job store is told about the grain whose state it holds, so no other grain's state can land in it.</summary>
public sealed class JobStoreOptions
{
    /// <summary>Default for <see cref="GrainType"/>: Orleans' name for a class <c>JobGrain</c>.</summary>
    public const string DefaultGrainType = "job";

    /// <summary>Default for <see cref="StateName"/>.</summary>
    public const string DefaultStateName = "job";

    /// <summary>Largest page a query returns.</summary>
    public const int MaxPageSize = 10_000;

    /// <summary>The grain type whose state the store holds; a call for another grain type is refused.</summary>
    public string GrainType { get; set; } = DefaultGrainType;

    /// <summary>The state name the grain uses; a call with another state name is refused.</summary>
    public string StateName { get; set; } = DefaultStateName;
}

using System.Collections.Immutable;
using Federation.Contracts;
using Federation.Storage.Jobs;

namespace Federation.Grains.Jobs;

/// <summary>
/// A page of jobs, as their rows hold them (the API renders them). <paramref name="UnknownAfter"/>: newest first, the
/// <c>after</c> asked for names no job, so there was no position to start from and the page is empty.
/// </summary>
public sealed record JobPage(ImmutableArray<JobSnapshot> Jobs, int Total, string? NextAfter, bool UnknownAfter = false);

/// <summary>Lists jobs from their committed rows (what <c>GET /api/jobs?state=&amp;region=&amp;project=&amp;owner=&amp;order=</c> serves).</summary>
public interface IJobQuery
{
    /// <summary>
    /// Jobs matching every given filter (null = any) in <paramref name="order"/> (by id, or newest submission first),
    /// at most <paramref name="limit"/>, starting after the job <paramref name="after"/> in that order.
    /// </summary>
    Task<JobPage> ListAsync(JobState? state, string? region, string? project, string? owner, JobRowOrder order, int limit, string? after, CancellationToken cancellationToken = default);
}

/// <summary>
/// A region's port to the job rows: the committed row of one job (what an unconfirmed admission is checked against, a
/// storage read rather than a call into the job, so no call cycle), and every job the rows place in the region (what
/// it rebuilds its queue and allocations from).
/// </summary>
public interface IJobRowReader
{
    /// <summary>The job's committed row, or null when it has none. Throws when the store cannot be read.</summary>
    Task<JobRecord?> ReadAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>Every queued or running job of a region, all pages.</summary>
    Task<List<(string Id, JobRecord Record)>> ActiveInRegionAsync(string regionId, CancellationToken cancellationToken = default);
}

/// <summary>Both ports over the silo's <see cref="IJobStore"/>.</summary>
internal sealed class JobRows(IJobStore store) : IJobQuery, IJobRowReader
{
    /// <summary>Rows read per page when a region rebuilds.</summary>
    private const int RebuildPage = 1000;

    public async Task<JobPage> ListAsync(JobState? state, string? region, string? project, string? owner, JobRowOrder order, int limit, string? after, CancellationToken cancellationToken = default)
    {
        var filter = new JobRowFilter
        {
            State = state?.ToString(),
            Region = string.IsNullOrEmpty(region) ? null : region,
            Project = string.IsNullOrEmpty(project) ? null : project,
            Owner = string.IsNullOrEmpty(owner) ? null : owner,
        };
        var page = await store.QueryAsync<JobRecord>(filter, order, limit, after, cancellationToken).ConfigureAwait(false);
        var jobs = ImmutableArray.CreateBuilder<JobSnapshot>(page.Rows.Count);
        foreach (var row in page.Rows)
        {
            jobs.Add(row.Row.ToSnapshot(row.JobId));
        }

        return new JobPage(jobs.MoveToImmutable(), page.Total, page.NextAfter, page.UnknownAfter);
    }

    public async Task<JobRecord?> ReadAsync(string jobId, CancellationToken cancellationToken = default) =>
        (await store.ReadAsync<JobRecord>(jobId, cancellationToken).ConfigureAwait(false))?.Row;

    public async Task<List<(string Id, JobRecord Record)>> ActiveInRegionAsync(string regionId, CancellationToken cancellationToken = default)
    {
        var result = new List<(string, JobRecord)>();
        var filter = new JobRowFilter { Region = regionId, ActiveOnly = true };
        string? after = null;
        do
        {
            var page = await store.QueryAsync<JobRecord>(filter, JobRowOrder.Id, RebuildPage, after, cancellationToken).ConfigureAwait(false);
            foreach (var row in page.Rows)
            {
                result.Add((row.JobId, row.Row));
            }

            after = page.NextAfter;
        }
        while (after is not null);

        return result;
    }
}

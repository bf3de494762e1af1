using Federation.Actors;
using Federation.Actors.Storage;
using Federation.Contracts;
using Federation.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Federation.Grains.Jobs;

/// <summary>Lists jobs from their durable rows (what <c>GET /api/jobs?state=&amp;region=&amp;project=</c> serves).</summary>
public interface IJobQuery
{
    /// <summary>False when the configured storage cannot query rows by index (then <see cref="ListAsync"/> throws).</summary>
    bool IsSupported { get; }

    /// <summary>Jobs matching every given filter (null = any), ordered by id, at most <paramref name="limit"/> after <paramref name="after"/>.</summary>
    Task<JobList> ListAsync(JobState? state, string? region, string? project, int limit = 100, string? after = null, CancellationToken cancellationToken = default);
}

/// <summary>Queries job rows through the storage's <see cref="IGrainStateQueryable"/>.</summary>
internal sealed class JobQuery : IJobQuery
{
    private static readonly GrainType JobGrainType = new(JobRecord.GrainTypeName);
    private readonly IGrainStateQueryable? _queryable;
    private readonly IGrainStorage? _storage;

    public JobQuery(IServiceProvider services, IOptions<FederationGrainsOptions> options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        StorageName = options.Value.StorageName;
        _storage = services.GetKeyedService<IGrainStorage>(StorageName);
        _queryable = _storage as IGrainStateQueryable;
    }

    public string StorageName { get; }

    public bool IsSupported => _queryable is not null;

    public async Task<JobList> ListAsync(JobState? state, string? region, string? project, int limit = 100, string? after = null, CancellationToken cancellationToken = default)
    {
        var queryable = _queryable ?? throw new NotSupportedException($"grain storage '{StorageName}' cannot query job rows");
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var filters = new List<IndexFilter>(3);
        if (state is { } s)
        {
            filters.Add(new IndexFilter(JobRecord.IndexState, s.ToString()));
        }

        if (!string.IsNullOrEmpty(region))
        {
            filters.Add(new IndexFilter(JobRecord.IndexRegion, region));
        }

        if (!string.IsNullOrEmpty(project))
        {
            filters.Add(new IndexFilter(JobRecord.IndexProject, project));
        }

        var page = await queryable.QueryAsync<JobRecord>(
            new GrainStateQuery(JobGrainType, JobRecord.StateName, filters) { Limit = limit, AfterKey = after },
            cancellationToken).ConfigureAwait(false);
        var jobs = new List<JobView>(page.Items.Count);
        foreach (var row in page.Items)
        {
            jobs.Add(row.State.ToView(row.GrainId.Key));
        }

        return new JobList { Jobs = [.. jobs], Total = page.TotalCount, NextAfter = page.NextAfterKey };
    }

    /// <summary>
    /// The committed row of one job (what a region checks an unconfirmed reservation against), or null when the
    /// job has no row. Throws when no storage is configured or the store cannot be read.
    /// </summary>
    public async Task<JobRecord?> ReadAsync(string jobId, CancellationToken cancellationToken = default)
    {
        var storage = _storage ?? throw new NotSupportedException($"grain storage '{StorageName}' is not configured");
        var state = new GrainState<JobRecord>(new JobRecord());
        await storage.ReadStateAsync(JobRecord.StateName, new GrainId(JobGrainType, jobId), state, cancellationToken).ConfigureAwait(false);
        return state.RecordExists ? state.State : null;
    }

    /// <summary>Every queued or running job of a region, all pages (what the region rebuilds from).</summary>
    public async Task<List<(string Id, JobRecord Record)>?> ActiveInRegionAsync(string regionId, CancellationToken cancellationToken = default)
    {
        if (_queryable is null)
        {
            return null;
        }

        var result = new List<(string, JobRecord)>();
        IndexFilter[] filters = [new(JobRecord.IndexRegion, regionId), new(JobRecord.IndexActive, "1")];
        string? after = null;
        do
        {
            var page = await _queryable.QueryAsync<JobRecord>(
                new GrainStateQuery(JobGrainType, JobRecord.StateName, filters) { AfterKey = after },
                cancellationToken).ConfigureAwait(false);
            foreach (var row in page.Items)
            {
                result.Add((row.GrainId.Key, row.State));
            }

            after = page.NextAfterKey;
        }
        while (after is not null);

        return result;
    }
}

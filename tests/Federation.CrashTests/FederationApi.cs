using System.Net.Http.Json;
using Federation.Contracts;

namespace Federation.CrashTests;

/// <summary>The few reads the checks make, through the public REST API only.</summary>
internal sealed class FederationApi(HttpClient http)
{
    public HttpClient Http { get; } = http;

    /// <summary>Every job, page by page (<c>GET /api/jobs?limit=1000&amp;after=</c>), optionally of one state.</summary>
    public async Task<List<JobView>> ListAllAsync(JobState? state = null, CancellationToken cancellationToken = default)
    {
        var all = new List<JobView>();
        string? after = null;
        while (true)
        {
            var url = "api/jobs?limit=1000" + (state is { } s ? "&state=" + s : "") + (after is null ? "" : "&after=" + Uri.EscapeDataString(after));
            var page = await Http.GetFromJsonAsync<JobList>(url, Workload.Json, cancellationToken)
                ?? throw new InvalidOperationException("GET /api/jobs answered null");
            all.AddRange(page.Jobs);
            if (page.NextAfter is null)
            {
                return all;
            }

            after = page.NextAfter;
        }
    }

    public async Task<int> CountAsync(JobState state, CancellationToken cancellationToken = default)
    {
        var page = await Http.GetFromJsonAsync<JobList>($"api/jobs?limit=1&state={state}", Workload.Json, cancellationToken)
            ?? throw new InvalidOperationException("GET /api/jobs answered null");
        return page.Total;
    }

    public async Task<List<RegionView>> RegionsAsync(CancellationToken cancellationToken = default) =>
        await Http.GetFromJsonAsync<List<RegionView>>("api/regions", Workload.Json, cancellationToken)
            ?? throw new InvalidOperationException("GET /api/regions answered null");
}

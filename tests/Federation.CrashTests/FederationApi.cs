using System.Net.Http.Json;
using Federation.Contracts;

namespace Federation.CrashTests;

/// <summary>
/// The few reads the checks make, through the public REST API only. A read that meets a momentary 503 (the
/// store busy or just back) or a refused connection is repeated, up to about 10 s: the checks judge what the
/// server stores, not whether one read landed in a hiccup.
/// </summary>
internal sealed class FederationApi(HttpClient http)
{
    public HttpClient Http { get; } = http;

    private async Task<T> GetAsync<T>(string url, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var response = await Http.GetAsync(url, cancellationToken);
                if (response.StatusCode != System.Net.HttpStatusCode.ServiceUnavailable || attempt >= 40)
                {
                    response.EnsureSuccessStatusCode();
                    return await response.Content.ReadFromJsonAsync<T>(Workload.Json, cancellationToken)
                        ?? throw new InvalidOperationException($"GET {url} answered null");
                }
            }
            catch (HttpRequestException) when (attempt < 40 && !cancellationToken.IsCancellationRequested)
            {
                // Refused or reset: the server is starting.
            }

            await Task.Delay(250, cancellationToken);
        }
    }

    /// <summary>Every job, page by page (<c>GET /api/jobs?limit=1000&amp;after=</c>), optionally of one state.</summary>
    public async Task<List<JobView>> ListAllAsync(JobState? state = null, CancellationToken cancellationToken = default)
    {
        var all = new List<JobView>();
        string? after = null;
        while (true)
        {
            var url = "api/jobs?limit=1000" + (state is { } s ? "&state=" + s : "") + (after is null ? "" : "&after=" + Uri.EscapeDataString(after));
            var page = await GetAsync<JobList>(url, cancellationToken);
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
        var page = await GetAsync<JobList>($"api/jobs?limit=1&state={state}", cancellationToken);
        return page.Total;
    }

    /// <summary>Every audit entry of one action, page by page (<c>GET /api/audit?action=&amp;limit=1000&amp;before=</c>).</summary>
    public async Task<List<AuditEntry>> AuditAsync(string action, CancellationToken cancellationToken = default)
    {
        var all = new List<AuditEntry>();
        long? before = null;
        while (true)
        {
            var page = await GetAsync<AuditPageView>($"api/audit?action={action}&limit=1000" + (before is { } b ? "&before=" + b : ""), cancellationToken);
            all.AddRange(page.Entries);
            if (page.NextBefore is null)
            {
                return all;
            }

            before = page.NextBefore;
        }
    }

    public Task<List<RegionView>> RegionsAsync(CancellationToken cancellationToken = default) =>
        GetAsync<List<RegionView>>("api/regions", cancellationToken);
}

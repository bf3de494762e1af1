using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Federation.Server.Tests.Auth;

/// <summary>
/// The audit table through <c>GET /api/audit</c>, over real HTTP with real tokens: each kind of change is recorded with
/// who made it, in which role, from where, and the target before and after; coordinators read all of it, an operator
/// their region's, a researcher none; filters, paging and bad parameters.
/// </summary>
public sealed class AuditTests : IAsyncLifetime
{
    private ServerHost _server = null!;

    public async Task InitializeAsync() => _server = await ServerHost.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Every_kind_of_change_is_recorded_with_who_in_which_role_from_where_and_before_and_after()
    {
        var researcher = await IssueAsync("""{"subject": "ana", "role": "researcher", "projects": ["p-audit"]}""");
        var operatorToken = await IssueAsync("""{"subject": "cho", "role": "operator", "regions": ["daegu"]}""");

        // A researcher submits and cancels; an operator drains their region; a coordinator sets policy and revokes a token.
        using var ana = _server.NewClient(researcher);
        using (var submitted = await ana.PostAsync("api/jobs", Body(SubmitBody("audit-1"))))
        {
            Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);
        }

        using (var cancelled = await ana.DeleteAsync("api/jobs/audit-1?reason=wrong%20input"))
        {
            Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        }

        using var cho = _server.NewClient(operatorToken);
        using (var drained = await cho.PostAsync("api/regions/daegu/drain", Body("""{"drain": true, "requeueQueued": false}""")))
        {
            Assert.Equal(HttpStatusCode.OK, drained.StatusCode);
        }

        using (var priority = await _server.PutJsonAsync("api/projects/p-audit/priority", """{"priority": 7}"""))
        {
            Assert.Equal(HttpStatusCode.OK, priority.StatusCode);
        }

        using (var residency = await _server.PutJsonAsync("api/residency/kr-audit", """{"regions": ["gwangju"]}"""))
        {
            Assert.Equal(HttpStatusCode.Created, residency.StatusCode);
        }

        var tokens = JsonNode.Parse(await _server.Client.GetStringAsync("api/tokens"))!["tokens"]!.AsArray();
        var choId = tokens.Single(t => t!["subject"]!.GetValue<string>() == "cho")!["id"]!.GetValue<string>();
        using (var revoked = await _server.Client.DeleteAsync($"api/tokens/{choId}"))
        {
            Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        }

        var entries = await EntriesAsync(_server.Client, "api/audit");

        // Newest first, with nothing between the changes above but their own entries (the token issues came before).
        Assert.Equal(
            ["token.revoke", "residency.set", "project.priority", "region.drain", "job.cancel", "job.submit", "token.issue", "token.issue"],
            entries.Take(8).Select(e => e["action"]!.GetValue<string>()).ToArray());
        var sequences = entries.Select(e => e["sequence"]!.GetValue<long>()).ToList();
        Assert.Equal(sequences.OrderByDescending(s => s), sequences);

        var submit = entries.Single(e => e["action"]!.GetValue<string>() == "job.submit");
        Assert.Equal(("ana", "researcher", "job/audit-1", "gwangju", "127.0.0.1"), Who(submit));
        Assert.Null(submit["before"]);
        var after = JsonNode.Parse(submit["after"]!.GetValue<string>())!;
        Assert.Equal(("Running", "gwangju", "p-audit", "ana"), (after["state"]!.GetValue<string>(), after["region"]!.GetValue<string>(), after["project"]!.GetValue<string>(), after["owner"]!.GetValue<string>()));
        Assert.StartsWith("placed in gwangju", submit["detail"]!.GetValue<string>(), StringComparison.Ordinal);

        var cancel = entries.Single(e => e["action"]!.GetValue<string>() == "job.cancel");
        Assert.Equal(("ana", "researcher", "job/audit-1", "gwangju", "127.0.0.1"), Who(cancel));
        Assert.Equal("Running", JsonNode.Parse(cancel["before"]!.GetValue<string>())!["state"]!.GetValue<string>());
        Assert.Equal("Cancelled", JsonNode.Parse(cancel["after"]!.GetValue<string>())!["state"]!.GetValue<string>());
        Assert.Equal("cancelled: wrong input (by ana)", cancel["detail"]!.GetValue<string>());

        var drain = entries.Single(e => e["action"]!.GetValue<string>() == "region.drain");
        Assert.Equal(("cho", "operator", "region/daegu", "daegu", "127.0.0.1"), Who(drain));
        Assert.False(JsonNode.Parse(drain["before"]!.GetValue<string>())!["drain"]!.GetValue<bool>());
        Assert.True(JsonNode.Parse(drain["after"]!.GetValue<string>())!["drain"]!.GetValue<bool>());

        var priorityEntry = entries.Single(e => e["action"]!.GetValue<string>() == "project.priority");
        Assert.Equal(("bootstrap", "coordinator", "project/p-audit", null, "127.0.0.1"), Who(priorityEntry));
        Assert.Equal("""{"priority":0}""", priorityEntry["before"]!.GetValue<string>());
        Assert.Equal("""{"priority":7}""", priorityEntry["after"]!.GetValue<string>());

        var residencyEntry = entries.Single(e => e["action"]!.GetValue<string>() == "residency.set");
        Assert.Null(residencyEntry["before"]);
        Assert.Equal("gwangju", JsonNode.Parse(residencyEntry["after"]!.GetValue<string>())!["regions"]![0]!.GetValue<string>());

        var revoke = entries[0];
        Assert.Equal($"token/{choId}", revoke["target"]!.GetValue<string>());
        Assert.Null(JsonNode.Parse(revoke["before"]!.GetValue<string>())!["revokedAt"]);
        Assert.NotNull(JsonNode.Parse(revoke["after"]!.GetValue<string>())!["revokedAt"]);
    }

    [Fact]
    public async Task Coordinators_read_all_an_operator_their_regions_entries_and_a_researcher_none()
    {
        var operatorToken = await IssueAsync("""{"subject": "dae", "role": "operator", "regions": ["suncheon"]}""");
        var researcher = await IssueAsync("""{"subject": "eun", "role": "researcher", "projects": ["p-audit"]}""");
        using var dae = _server.NewClient(operatorToken);
        using (var drained = await dae.PostAsync("api/regions/suncheon/drain", Body("""{"drain": false}""")))
        {
            Assert.Equal(HttpStatusCode.OK, drained.StatusCode);
        }

        using (var other = await _server.Client.PostAsync("api/regions/gwangyang/drain", Body("""{"drain": false}""")))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }

        // An allocation backed by suncheon concerns its operators too.
        using (var allocated = await _server.PutJsonAsync("api/projects/p-audit/allocations/short/A100", """{"acceleratorHours": 100, "from": "2026-01-01T00:00:00Z", "until": "2027-01-01T00:00:00Z", "region": "suncheon"}"""))
        {
            Assert.Equal(HttpStatusCode.OK, allocated.StatusCode);
        }

        // The operator's only region is the default; every entry they read is of it.
        var own = await EntriesAsync(dae, "api/audit");
        Assert.NotEmpty(own);
        Assert.All(own, e => Assert.Equal("suncheon", e["region"]!.GetValue<string>()));
        Assert.Contains(own, e => e["action"]!.GetValue<string>() == "region.drain" && e["actor"]!.GetValue<string>() == "dae");
        Assert.Contains(own, e => e["action"]!.GetValue<string>() == "project.allocation" && e["target"]!.GetValue<string>() == "project/p-audit");

        using var forbidden = await dae.GetAsync("api/audit?region=gwangyang");
        await Problem.AssertAsync(forbidden, HttpStatusCode.Forbidden, "region", "may not read the audit table of region 'gwangyang'");

        using var eun = _server.NewClient(researcher);
        using var refused = await eun.GetAsync("api/audit");
        await Problem.AssertAsync(refused, HttpStatusCode.Forbidden, "Authorization", "may not read the audit table");

        // A coordinator reads both regions' entries.
        var all = await EntriesAsync(_server.Client, "api/audit?action=region.drain");
        Assert.Equal(["region/gwangyang", "region/suncheon"], all.Select(e => e["target"]!.GetValue<string>()).ToArray());
    }

    [Fact]
    public async Task Filters_and_pages_walk_the_table_newest_first_and_bad_parameters_name_their_field()
    {
        for (var i = 0; i < 5; i++)
        {
            using var priority = await _server.PutJsonAsync("api/projects/p-pages/priority", $$"""{"priority": {{i + 1}}}""");
            Assert.Equal(HttpStatusCode.OK, priority.StatusCode);
        }

        var seen = new List<int>();
        string? before = null;
        var pages = 0;
        do
        {
            var page = JsonNode.Parse(await _server.Client.GetStringAsync("api/audit?target=project/p-pages&limit=2" + (before is null ? "" : "&before=" + before)))!;
            seen.AddRange(page["entries"]!.AsArray().Select(e => JsonNode.Parse(e!["after"]!.GetValue<string>())!["priority"]!.GetValue<int>()));
            before = page["nextBefore"]?.ToString();
            pages++;
        }
        while (before is not null);

        Assert.Equal([5, 4, 3, 2, 1], seen);
        Assert.Equal(3, pages);

        foreach (var (query, field) in new[] { ("limit=0", "limit"), ("limit=1001", "limit"), ("limit=x", "limit"), ("before=-3", "before"), ("before=abc", "before"), ("region=atlantis", "region"), ("actor=", "actor"), ("target=a%01b", "target"), ("action=" + new string('a', 257), "action") })
        {
            using var bad = await _server.Client.GetAsync("api/audit?" + query);
            Assert.True(bad.StatusCode == HttpStatusCode.BadRequest, $"{query}: {(int)bad.StatusCode}");
            var errors = JsonNode.Parse(await bad.Content.ReadAsStringAsync())!["errors"]!.AsObject();
            Assert.True(errors.ContainsKey(field), $"{query}: {errors.ToJsonString()}");
        }
    }

    private static (string, string, string, string?, string?) Who(JsonNode entry) =>
        (entry["actor"]!.GetValue<string>(), entry["role"]!.GetValue<string>(), entry["target"]!.GetValue<string>(), entry["region"]?.GetValue<string>(), entry["origin"]?.GetValue<string>());

    private static async Task<List<JsonNode>> EntriesAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {text}");
        return [.. JsonNode.Parse(text)!["entries"]!.AsArray().Select(e => e!)];
    }

    private async Task<string> IssueAsync(string request)
    {
        using var response = await _server.PostJsonAsync("api/tokens", request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["token"]!.GetValue<string>();
    }

    private static string SubmitBody(string id) => new JsonObject
    {
        ["id"] = id,
        ["project"] = "p-audit",
        ["homeRegion"] = "gwangju",
        ["accelerators"] = new JsonObject { ["count"] = 1, ["types"] = new JsonArray("H100") },
        ["durationHours"] = 1,
        ["allowedRegions"] = new JsonArray("gwangju"),
    }.ToJsonString();

    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");
}

using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Federation.TestKit;

namespace Federation.Server.Tests.Auth;

/// <summary>
/// Every endpoint × {anonymous, researcher of the project, researcher of another project, operator of the region,
/// operator of another region, coordinator} → the status it answers, over real HTTP with real tokens. The same table is
/// in docs/security.md; the test checks the document holds each row as the server answers it.
/// </summary>
public sealed class AuthorizationMatrixTests : IAsyncLifetime
{
    private const string Project = "p-own";
    private const string Region = "gwangju";

    /// <summary>The callers, in the table's column order.</summary>
    private static readonly string[] Callers = ["anonymous", "researcher of the project", "researcher of another project", "operator of the region", "operator of another region", "coordinator"];

    private ServerHost _server = null!;
    private string?[] _tokens = [];
    private int _sequence;

    public async Task InitializeAsync()
    {
        _server = await ServerHost.StartAsync();
        _tokens =
        [
            null,
            await IssueAsync("""{"subject": "ana", "role": "researcher", "projects": ["p-own"]}"""),
            await IssueAsync("""{"subject": "ben", "role": "researcher", "projects": ["p-other"]}"""),
            await IssueAsync("""{"subject": "cho", "role": "operator", "regions": ["gwangju"]}"""),
            await IssueAsync("""{"subject": "dae", "role": "operator", "regions": ["daegu"]}"""),
            TestTokens.Bootstrap,
        ];

        // The project has an allocation its researcher can give hours back from.
        var now = _server.Clock.GetUtcNow();
        var allocation = new JsonObject { ["acceleratorHours"] = 1000, ["from"] = now.AddDays(-1).ToString("O", CultureInfo.InvariantCulture), ["until"] = now.AddDays(30).ToString("O", CultureInfo.InvariantCulture) };
        using var set = await _server.PutJsonAsync($"api/projects/{Project}/allocations/short/any", allocation.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>
    /// The matrix: each row's request (made fresh for each caller, so what one caller changed does not decide another's
    /// answer) and the statuses in <see cref="Callers"/> order.
    /// </summary>
    private IEnumerable<(string Endpoint, Func<Task<HttpRequestMessage>> Request, int[] Expected)> Rows()
    {
        yield return ("POST /api/jobs", () => Json(HttpMethod.Post, "api/jobs", SubmitBody()), [401, 201, 403, 403, 403, 201]);
        yield return ("GET /api/jobs/{id}", async () => new HttpRequestMessage(HttpMethod.Get, $"api/jobs/{await RunningJobAsync()}"), [401, 200, 404, 200, 404, 200]);
        yield return ("GET /api/jobs?project=p-own", () => Get($"api/jobs?project={Project}"), [401, 200, 403, 200, 200, 200]);
        yield return ("DELETE /api/jobs/{id}", async () => new HttpRequestMessage(HttpMethod.Delete, $"api/jobs/{await RunningJobAsync()}"), [401, 200, 404, 403, 404, 200]);
        yield return ("GET /api/regions", () => Get("api/regions"), [401, 200, 200, 200, 200, 200]);
        yield return ("GET /api/regions/{id}", () => Get($"api/regions/{Region}"), [401, 200, 200, 200, 200, 200]);
        yield return ("PUT /api/regions/{id}/offer", async () => new HttpRequestMessage(HttpMethod.Put, $"api/regions/{Region}/offer") { Content = Body(await CurrentOfferAsync()) }, [401, 403, 403, 200, 403, 200]);
        yield return ("POST /api/regions/{id}/drain", () => Json(HttpMethod.Post, $"api/regions/{Region}/drain", """{"drain": false}"""), [401, 403, 403, 200, 403, 200]);
        yield return ("GET /api/regions/{id}/history", () => Get($"api/regions/{Region}/history"), [401, 200, 200, 200, 200, 200]);
        yield return ("GET /api/megaregion", () => Get("api/megaregion"), [401, 200, 200, 200, 200, 200]);
        yield return ("GET /api/live", () => Get("api/live"), [401, 200, 200, 200, 200, 200]);
        yield return ("GET /api/ledger", () => Get("api/ledger"), [401, 403, 403, 200, 200, 200]);
        yield return ("GET /api/audit", () => Get("api/audit"), [401, 403, 403, 200, 200, 200]);
        yield return ("GET /api/projects", () => Get("api/projects"), [401, 200, 200, 200, 200, 200]);
        yield return ("GET /api/projects/{id}", () => Get($"api/projects/{Project}"), [401, 200, 403, 403, 403, 200]);
        yield return ("PUT /api/projects/{id}/allocations/{term}/{class}", () => Json(HttpMethod.Put, $"api/projects/{Project}/allocations/mid/any", AllocationBody()), [401, 403, 403, 403, 403, 200]);
        yield return ("PUT /api/projects/{id}/priority", () => Json(HttpMethod.Put, $"api/projects/{Project}/priority", """{"priority": 0}"""), [401, 403, 403, 403, 403, 200]);
        yield return ("POST /api/projects/{id}/returns", () => Json(HttpMethod.Post, $"api/projects/{Project}/returns", """{"term": "short", "class": "any", "acceleratorHours": 1}"""), [401, 200, 403, 403, 403, 200]);
        yield return ("GET /api/residency", () => Get("api/residency"), [401, 200, 200, 200, 200, 200]);
        yield return ("PUT /api/residency/{class}", () => Json(HttpMethod.Put, $"api/residency/kr-{Next()}", """{"regions": ["gwangju"]}"""), [401, 403, 403, 403, 403, 201]);
        yield return ("DELETE /api/residency/{class}", async () => new HttpRequestMessage(HttpMethod.Delete, $"api/residency/{await ResidencyClassAsync()}"), [401, 403, 403, 403, 403, 200]);
        yield return ("GET /api/whatif/traces", () => Get("api/whatif/traces"), [401, 403, 403, 403, 403, 200]);
        yield return ("GET /api/whatif", () => Get("api/whatif"), [401, 403, 403, 403, 403, 200]);
        yield return ("POST /api/tokens", () => Json(HttpMethod.Post, "api/tokens", """{"subject": "eun", "role": "coordinator"}"""), [401, 403, 403, 403, 403, 201]);
        yield return ("GET /api/tokens", () => Get("api/tokens"), [401, 403, 403, 403, 403, 200]);
        yield return ("DELETE /api/tokens/{id} (another's)", async () => new HttpRequestMessage(HttpMethod.Delete, $"api/tokens/{await SpareTokenIdAsync()}"), [401, 404, 404, 404, 404, 200]);
        yield return ("GET /api/whoami", () => Get("api/whoami"), [401, 200, 200, 200, 200, 200]);
        yield return ("GET /health", () => Get("health"), [200, 200, 200, 200, 200, 200]);
        yield return ("GET /openapi/v1.json", () => Get("openapi/v1.json"), [200, 200, 200, 200, 200, 200]);
        yield return ("GET /metrics (from loopback)", () => Get("metrics"), [200, 200, 200, 200, 200, 200]);
    }

    [Fact]
    public async Task Every_endpoint_answers_each_kind_of_caller_as_the_matrix_in_security_md_says()
    {
        var document = await File.ReadAllTextAsync(Path.Combine(RepoRoot(), "docs", "security.md"));
        var mismatches = new List<string>();
        foreach (var (endpoint, make, expected) in Rows())
        {
            var actual = new int[Callers.Length];
            for (var c = 0; c < Callers.Length; c++)
            {
                using var request = await make();
                if (_tokens[c] is { } token)
                {
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                }

                using var response = await _server.NewClient().SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                actual[c] = (int)response.StatusCode;
                if (actual[c] is 401 or 403)
                {
                    // Every refusal is problem details naming the field at fault.
                    var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                    Assert.True(problem["errors"]?.AsObject().Count > 0, $"{endpoint} as {Callers[c]}: {problem.ToJsonString()}");
                }
            }

            if (!actual.SequenceEqual(expected))
            {
                mismatches.Add($"{endpoint}: expected {string.Join(" ", expected)}, answered {string.Join(" ", actual)}");
            }

            var row = $"| `{endpoint}` | {string.Join(" | ", expected)} |";
            if (!document.Contains(row, StringComparison.Ordinal))
            {
                mismatches.Add($"docs/security.md lacks the row {row}");
            }
        }

        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
    }

    [Fact]
    public async Task A_researcher_is_the_owner_of_what_they_submit_and_gives_no_priority_or_owner_of_their_own()
    {
        using var client = _server.NewClient(_tokens[1]);
        using var submitted = await client.PostAsync("api/jobs", Body(SubmitBody()));
        Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);
        Assert.Equal("ana", JsonNode.Parse(await submitted.Content.ReadAsStringAsync())!["owner"]!.GetValue<string>());

        var withOwner = JsonNode.Parse(SubmitBody())!.AsObject();
        withOwner["owner"] = "kim";
        await AssertForbiddenAsync(await client.PostAsync("api/jobs", Body(withOwner.ToJsonString())), "owner");

        var withPriority = JsonNode.Parse(SubmitBody())!.AsObject();
        withPriority["priority"] = 5;
        await AssertForbiddenAsync(await client.PostAsync("api/jobs", Body(withPriority.ToJsonString())), "priority");

        // A coordinator submits on someone's behalf, with a priority.
        var onBehalf = JsonNode.Parse(SubmitBody())!.AsObject();
        onBehalf["owner"] = "kim";
        onBehalf["priority"] = 5;
        using var coordinator = await _server.Client.PostAsync("api/jobs", Body(onBehalf.ToJsonString()));
        Assert.Equal(HttpStatusCode.Created, coordinator.StatusCode);
        Assert.Equal("kim", JsonNode.Parse(await coordinator.Content.ReadAsStringAsync())!["owner"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_researchers_job_takes_its_projects_priority_class_as_it_is_at_submission_and_a_retry_is_the_same_job()
    {
        using var client = _server.NewClient(await IssueAsync("""{"subject": "eun", "role": "researcher", "projects": ["p-class"]}"""));
        using var set = await _server.PutJsonAsync("api/projects/p-class/priority", """{"priority": 40}""");
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal(40, JsonNode.Parse(await set.Content.ReadAsStringAsync())!["priority"]!.GetValue<int>());

        var body = JsonNode.Parse(SubmitBody("p-class"))!.AsObject();
        body["id"] = "class-first";
        Assert.Equal(40, await SubmittedPriorityAsync(client, body.ToJsonString(), HttpStatusCode.Created));

        // A new class applies to jobs submitted from then on; the first job keeps its priority, and its retry (the same
        // body, which gives no priority) is still that job.
        using var changed = await _server.PutJsonAsync("api/projects/p-class/priority", """{"priority": 10}""");
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal(40, await SubmittedPriorityAsync(client, body.ToJsonString(), HttpStatusCode.OK));
        body["id"] = "class-second";
        Assert.Equal(10, await SubmittedPriorityAsync(client, body.ToJsonString(), HttpStatusCode.Created));

        // A coordinator's own priority stands.
        body["id"] = "class-coordinator";
        body["priority"] = 5;
        Assert.Equal(5, await SubmittedPriorityAsync(_server.Client, body.ToJsonString(), HttpStatusCode.Created));
    }

    [Fact]
    public async Task A_project_priority_out_of_range_missing_or_on_a_stale_version_changes_nothing()
    {
        foreach (var (json, message) in new[] { ("""{"priority": 1001}""", "must be from -1000 to 1000"), ("{}", "is required") })
        {
            using var bad = await _server.PutJsonAsync("api/projects/p-class/priority", json);
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Equal(message, JsonNode.Parse(await bad.Content.ReadAsStringAsync())!["errors"]!["priority"]![0]!.GetValue<string>());
        }

        using var stale = new HttpRequestMessage(HttpMethod.Put, "api/projects/p-class/priority") { Content = Body("""{"priority": 3}""") };
        stale.Headers.IfMatch.Add(new EntityTagHeaderValue("\"7\""));
        using var refused = await _server.Client.SendAsync(stale);
        Assert.Equal(HttpStatusCode.PreconditionFailed, refused.StatusCode);

        var project = JsonNode.Parse(await _server.Client.GetStringAsync("api/projects/p-class"))!;
        Assert.Equal((0, 0), (project["priority"]!.GetValue<int>(), project["version"]!.GetValue<int>()));
    }

    [Fact]
    public async Task A_cancelled_jobs_history_names_who_cancelled_it()
    {
        var id = await RunningJobAsync();
        using var client = _server.NewClient(_tokens[1]);
        using var cancelled = await client.DeleteAsync($"api/jobs/{id}");
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        var job = JsonNode.Parse(await cancelled.Content.ReadAsStringAsync())!;
        Assert.Equal("cancelled: by ana", job["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Lists_show_a_researcher_their_projects_jobs_and_an_operator_their_regions()
    {
        await RunningJobAsync();
        using var other = await _server.PostJsonAsync("api/jobs", SubmitBody("p-other", "daegu"));
        Assert.Equal(HttpStatusCode.Created, other.StatusCode);

        using var researcher = _server.NewClient(_tokens[1]);
        var mine = JsonNode.Parse(await researcher.GetStringAsync("api/jobs"))!["jobs"]!.AsArray();
        Assert.NotEmpty(mine);
        Assert.All(mine, j => Assert.Equal(Project, j!["project"]!.GetValue<string>()));

        using var operatorOfDaegu = _server.NewClient(_tokens[4]);
        var there = JsonNode.Parse(await operatorOfDaegu.GetStringAsync("api/jobs"))!["jobs"]!.AsArray();
        Assert.NotEmpty(there);
        Assert.All(there, j => Assert.Equal("daegu", j!["region"]!.GetValue<string>()));

        // The directory of projects holds only a researcher's own.
        var projects = JsonNode.Parse(await researcher.GetStringAsync("api/projects"))!.AsArray();
        Assert.Equal([Project], projects.Select(p => p!["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Health_tells_an_anonymous_caller_only_up_or_down()
    {
        using var anonymous = _server.NewClient();
        var bare = JsonNode.Parse(await anonymous.GetStringAsync("health"))!.AsObject();
        Assert.Equal(["status"], bare.Select(p => p.Key));
        Assert.Equal("Healthy", bare["status"]!.GetValue<string>());

        var whole = JsonNode.Parse(await _server.Client.GetStringAsync("health"))!.AsObject();
        Assert.Equal("memory", whole["storage"]!.GetValue<string>());
    }

    private async Task<string> IssueAsync(string request)
    {
        using var response = await _server.PostJsonAsync("api/tokens", request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["token"]!.GetValue<string>();
    }

    private static async Task<int> SubmittedPriorityAsync(HttpClient client, string body, HttpStatusCode expected)
    {
        using var response = await client.PostAsync("api/jobs", Body(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{response.StatusCode}: {text}");
        return JsonNode.Parse(text)!["priority"]!.GetValue<int>();
    }

    private async Task<string> RunningJobAsync()
    {
        using var response = await _server.PostJsonAsync("api/jobs", SubmitBody());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var job = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(Region, job["region"]!.GetValue<string>());
        return job["id"]!.GetValue<string>();
    }

    private async Task<string> CurrentOfferAsync() => (await _server.GetJsonAsync($"api/regions/{Region}"))["offer"]!.ToJsonString();

    private async Task<string> ResidencyClassAsync()
    {
        var name = $"kr-{Next()}";
        using var response = await _server.PutJsonAsync($"api/residency/{name}", """{"regions": ["gwangju"]}""");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return name;
    }

    private async Task<string> SpareTokenIdAsync()
    {
        using var response = await _server.PostJsonAsync("api/tokens", $$"""{"subject": "spare-{{Next()}}", "role": "coordinator"}""");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["record"]!["id"]!.GetValue<string>();
    }

    private string AllocationBody()
    {
        var now = _server.Clock.GetUtcNow();
        return new JsonObject { ["acceleratorHours"] = 10, ["from"] = now.AddDays(-1).ToString("O", CultureInfo.InvariantCulture), ["until"] = now.AddDays(60).ToString("O", CultureInfo.InvariantCulture) }.ToJsonString();
    }

    /// <summary>A job of the project with no owner and no priority (the caller's identity gives the owner): one H100 for an hour in gwangju.</summary>
    private static string SubmitBody(string project = Project, string home = Region) => new JsonObject
    {
        ["project"] = project,
        ["homeRegion"] = home,
        ["accelerators"] = new JsonObject { ["count"] = 1, ["types"] = new JsonArray("H100") },
        ["durationHours"] = 1,
        ["allowedRegions"] = new JsonArray(home),
    }.ToJsonString();

    private int Next() => Interlocked.Increment(ref _sequence);

    private static Task<HttpRequestMessage> Get(string path) => Task.FromResult(new HttpRequestMessage(HttpMethod.Get, path));

    private static Task<HttpRequestMessage> Json(HttpMethod method, string path, string json) => Task.FromResult(new HttpRequestMessage(method, path) { Content = Body(json) });

    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task AssertForbiddenAsync(HttpResponseMessage response, string field)
    {
        using (response)
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.NotNull(problem["errors"]![field]);
        }
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Federation.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Federation.sln not found above " + AppContext.BaseDirectory);
    }
}

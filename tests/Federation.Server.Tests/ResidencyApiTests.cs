using System.Net;
using System.Text.Json.Nodes;
using Federation.Contracts;

namespace Federation.Server.Tests;

/// <summary>/api/residency and a job's <c>dataset.residency</c> through real HTTP on loopback.</summary>
public sealed class ResidencyApiTests : IAsyncLifetime
{
    private ServerHost _server = null!;

    public async Task InitializeAsync() => _server = await ServerHost.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_class_is_created_listed_shown_replaced_under_If_Match_and_deleted()
    {
        using var created = await _server.PutJsonAsync("api/residency/kr-health", """{"regions": ["daegu", "gwangju"]}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/api/residency/kr-health", created.Headers.Location!.OriginalString);
        Assert.Equal("\"1\"", created.Headers.ETag!.Tag);
        var view = await ServerHost.ReadAsync<ResidencyClassView>(created);
        Assert.Equal(("kr-health", "gwangju,daegu", 1L), (view.Name, string.Join(',', view.Regions), view.Version));

        using var shown = await _server.Client.GetAsync("api/residency/kr-health");
        Assert.Equal("\"1\"", shown.Headers.ETag!.Tag);
        Assert.Equal("gwangju,daegu", string.Join(',', (await ServerHost.ReadAsync<ResidencyClassView>(shown)).Regions));

        // A change made on a stale read is refused and changes nothing; one on the current ETag lands.
        using var other = await _server.PutJsonAsync("api/residency/kr-public", """{"regions": ["suncheon"]}""");
        Assert.Equal(HttpStatusCode.Created, other.StatusCode);
        using var stale = await SendAsync(HttpMethod.Put, "api/residency/kr-health", """{"regions": ["gwangju"]}""", "\"7\"");
        var problem = await Problem.AssertAsync(stale, HttpStatusCode.PreconditionFailed, "If-Match", "residency class 'kr-health' changed since it was read (version 7; now 1)");
        Assert.Equal("\"1\"", problem["currentETag"]!.GetValue<string>());
        using var replaced = await SendAsync(HttpMethod.Put, "api/residency/kr-health", """{"regions": ["gwangju"]}""", "\"1\"");
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        Assert.Equal("\"3\"", replaced.Headers.ETag!.Tag);

        var policy = await ServerHost.ReadAsync<ResidencyPolicyView>(await _server.Client.GetAsync("api/residency"));
        Assert.Equal(3, policy.Version);
        Assert.Equal(["kr-health=gwangju@3", "kr-public=suncheon@2"], policy.Classes.Select(c => $"{c.Name}={string.Join(',', c.Regions)}@{c.Version}"));

        using var staleDelete = await SendAsync(HttpMethod.Delete, "api/residency/kr-health", null, "\"1\"");
        await Problem.AssertAsync(staleDelete, HttpStatusCode.PreconditionFailed, "If-Match", "changed since it was read (version 1; now 3)");
        using var deleted = await SendAsync(HttpMethod.Delete, "api/residency/kr-health", null, "\"3\"");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        using var gone = await _server.Client.GetAsync("api/residency/kr-health");
        await Problem.AssertAsync(gone, HttpStatusCode.NotFound, "class", "no residency class is named 'kr-health'");
        using var again = await _server.Client.DeleteAsync("api/residency/kr-health");
        await Problem.AssertAsync(again, HttpStatusCode.NotFound, "class", "no residency class is named 'kr-health'");
        Assert.Equal(["kr-public"], (await ServerHost.ReadAsync<ResidencyPolicyView>(await _server.Client.GetAsync("api/residency"))).Classes.Select(c => c.Name));
    }

    [Theory]
    [InlineData("Bad_Name", """{"regions": ["gwangju"]}""", "class", "must be 1 to 63 lower-case letters, digits and '-'")]
    [InlineData("kr-health-", """{"regions": ["gwangju"]}""", "class", "not ending with '-'")]
    [InlineData("kr-health", """{"regions": []}""", "regions", "must list at least one region")]
    [InlineData("kr-health", """{}""", "regions", "must list at least one region")]
    [InlineData("kr-health", """{"regions": ["gwangju", "jeju"]}""", "regions[1]", "unknown region 'jeju'; the regions are gwangju, suncheon, gwangyang, daegu")]
    [InlineData("kr-health", """{"regions": ["daegu", "daegu"]}""", "regions[1]", "repeats 'daegu'")]
    [InlineData("kr-health", """{"regionz": ["daegu"]}""", "regionz", "")]
    [InlineData("kr-health", """{"regions": "daegu"}""", "regions", "")]
    public async Task A_bad_definition_is_400_naming_the_field_and_changes_nothing(string name, string body, string field, string message)
    {
        using var response = await _server.PutJsonAsync($"api/residency/{name}", body);

        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, field, message);
        var policy = await ServerHost.ReadAsync<ResidencyPolicyView>(await _server.Client.GetAsync("api/residency"));
        Assert.Equal((0L, 0), (policy.Version, policy.Classes.Length));
    }

    [Fact]
    public async Task A_malformed_If_Match_is_400_naming_it()
    {
        using var response = await SendAsync(HttpMethod.Put, "api/residency/kr-health", """{"regions": ["gwangju"]}""", "garbage");

        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "If-Match", "must be the class's ETag as GET /api/residency/{class} gives it");
        Assert.Empty((await ServerHost.ReadAsync<ResidencyPolicyView>(await _server.Client.GetAsync("api/residency"))).Classes);
    }

    [Fact]
    public async Task A_job_runs_only_where_its_class_allows_records_the_check_and_keeps_its_class_from_being_deleted()
    {
        using var created = await _server.PutJsonAsync("api/residency/kr-health", """{"regions": ["daegu", "suncheon"]}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        using var unknown = await _server.PostJsonAsync("api/jobs", WithClass(Jobs.Request("r-unknown"), "kr-genome").ToJsonString());
        await Problem.AssertAsync(unknown, HttpStatusCode.BadRequest, "dataset.residency", "unknown residency class 'kr-genome'; the classes are kr-health");
        using var badName = await _server.PostJsonAsync("api/jobs", WithClass(Jobs.Request("r-bad"), "KR!").ToJsonString());
        await Problem.AssertAsync(badName, HttpStatusCode.BadRequest, "dataset.residency", "must be 1 to 63 lower-case letters");
        var disjoint = WithClass(Jobs.Request("r-disjoint"), "kr-health");
        disjoint["allowedRegions"] = new JsonArray("gwangju", "gwangyang");
        using var empty = await _server.PostJsonAsync("api/jobs", disjoint.ToJsonString());
        await Problem.AssertAsync(empty, HttpStatusCode.BadRequest, "dataset.residency", "residency class kr-health allows suncheon, daegu, and allowedRegions lists none of them");
        Assert.Equal(0, (await _server.GetJsonAsync("api/jobs?limit=1"))["total"]!.GetValue<int>());

        // 8 H100 from gwangju with its data there: gwangju would start it at once, but the class allows suncheon and daegu only.
        using var submitted = await _server.PostJsonAsync("api/jobs", WithClass(Jobs.Request("r-health", count: 8), "kr-health").ToJsonString());
        Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);
        var job = await ServerHost.ReadAsync<JobView>(submitted);
        Assert.Contains(job.Region, new[] { "suncheon", "daegu" });
        Assert.Equal("kr-health", job.Dataset!.Residency);
        Assert.Equal("not allowed by the residency class of the job's dataset", job.Placement!.Candidates[0].ExcludedBecause);
        var placed = job.History.Single(e => e.Kind == "Overflowed");
        Assert.StartsWith($"overflow from gwangju to {job.Region}", placed.Message, StringComparison.Ordinal);
        Assert.EndsWith("; residency class kr-health allows suncheon, daegu", placed.Message, StringComparison.Ordinal);
        Assert.Equal("kr-health", placed.Residency!.Class);

        using var inUse = await _server.Client.DeleteAsync("api/residency/kr-health");
        await Problem.AssertAsync(inUse, HttpStatusCode.Conflict, "class", "1 unfinished job(s) carry residency class 'kr-health' (e.g. r-health)");
        using var cancelled = await _server.Client.DeleteAsync("api/jobs/r-health");
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        using var deleted = await _server.Client.DeleteAsync("api/residency/kr-health");
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
    }

    private static JsonObject WithClass(JsonObject request, string residency)
    {
        request["dataset"]!["residency"] = residency;
        return request;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? json, string ifMatch)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        }

        request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return await _server.Client.SendAsync(request);
    }
}

/// <summary>The cap on queued jobs per project (<c>Federation:Admission:MaxQueuedJobsPerProject</c>) through the API.</summary>
public sealed class QueuedJobCapTests : IAsyncLifetime
{
    private ServerHost _server = null!;

    public async Task InitializeAsync() => _server = await ServerHost.StartAsync(null, "--Federation:Admission:MaxQueuedJobsPerProject=2");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_submission_over_the_cap_is_429_naming_project_and_stores_nothing_and_one_fits_again_once_the_queue_shrinks()
    {
        // Gwangju's 224 A100 are taken for 10 h, so each further whole-pool job of the project waits there.
        Assert.Equal("Running", (await SubmitAsync("fill", "p-other", 10)).Job!["state"]!.GetValue<string>());
        Assert.Equal("Queued", (await SubmitAsync("q1", "p-cap", 1)).Job!["state"]!.GetValue<string>());
        Assert.Equal("Queued", (await SubmitAsync("q2", "p-cap", 1)).Job!["state"]!.GetValue<string>());

        var over = await SubmitAsync("q3", "p-cap", 1);
        var problem = await Problem.AssertAsync(over.Response, HttpStatusCode.TooManyRequests, "project",
            "project 'p-cap' has 2 queued jobs, the most one project may have queued (Federation:Admission:MaxQueuedJobsPerProject = 2)");
        Assert.Equal("The project's queue is full.", problem["title"]!.GetValue<string>());
        using var missing = await _server.Client.GetAsync("api/jobs/q3");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(3, (await _server.GetJsonAsync("api/jobs?limit=1"))["total"]!.GetValue<int>());

        // Another project is not held back by this one's queue.
        Assert.Equal("Queued", (await SubmitAsync("o1", "p-other", 1)).Job!["state"]!.GetValue<string>());

        // One queued job cancelled: the next submission reads the count again and fits.
        using var cancelled = await _server.Client.DeleteAsync("api/jobs/q1");
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        Assert.Equal("Queued", (await SubmitAsync("q3", "p-cap", 1)).Job!["state"]!.GetValue<string>());
        var full = await SubmitAsync("q4", "p-cap", 1);
        await Problem.AssertAsync(full.Response, HttpStatusCode.TooManyRequests, "project", "project 'p-cap' has 2 queued jobs");
    }

    private async Task<(HttpResponseMessage Response, JsonNode? Job)> SubmitAsync(string id, string project, double hours)
    {
        var request = new JsonObject
        {
            ["id"] = id,
            ["project"] = project,
            ["owner"] = "kim",
            ["homeRegion"] = "gwangju",
            ["accelerators"] = new JsonObject { ["count"] = 224, ["types"] = new JsonArray("A100") },
            ["durationHours"] = hours,
            ["allowedRegions"] = new JsonArray("gwangju"),
        };
        var response = await _server.PostJsonAsync("api/jobs", request.ToJsonString());
        if (!response.IsSuccessStatusCode)
        {
            return (response, null);
        }

        return (response, JsonNode.Parse(await response.Content.ReadAsStringAsync()));
    }
}

using System.Net;
using System.Text.Json.Nodes;
using Federation.Contracts;
using Federation.Server.Tests.Support;

namespace Federation.Server.Tests;

/// <summary>POST/GET/DELETE /api/jobs through real HTTP on loopback.</summary>
public sealed class JobsApiTests : IAsyncLifetime
{
    private ServerHost _server = null!;

    public async Task InitializeAsync() => _server = await ServerHost.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Submit_answers_201_with_the_placed_job_its_region_and_reason()
    {
        using var response = await _server.PostJsonAsync("api/jobs", Jobs.Request("job-a").ToJsonString());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("/api/jobs/job-a", response.Headers.Location?.OriginalString);
        var job = await ServerHost.ReadAsync<JobView>(response);
        Assert.Equal("job-a", job.Id);
        Assert.Contains(job.State, new[] { JobState.Queued, JobState.Running });
        Assert.Equal("gwangju", job.Region);
        Assert.False(string.IsNullOrWhiteSpace(job.Reason));
        Assert.Equal(8, job.Accelerators.Count);
        Assert.Equal(["H100"], job.Accelerators.Types.ToArray());
        Assert.Equal("p-llm", job.Project);
    }

    [Fact]
    public async Task A_body_larger_than_one_read_is_read_whole_and_trailing_content_is_refused()
    {
        // 64 KB of whitespace inside the object: the body reaches the server in several reads of the request pipe.
        var json = Jobs.Request("job-big").ToJsonString();
        var padded = json[..1] + new string(' ', 64 * 1024) + json[1..];
        using var response = await _server.PostJsonAsync("api/jobs", padded);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("job-big", (await ServerHost.ReadAsync<JobView>(response)).Id);

        using var trailing = await _server.PostJsonAsync("api/jobs", Jobs.Request("job-trailing").ToJsonString() + " {}");
        await Problem.AssertAsync(trailing, HttpStatusCode.BadRequest, "body", "malformed JSON");
        using var missing = await _server.Client.GetAsync(new Uri("api/jobs/job-trailing", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Submit_without_an_id_gets_a_server_id_and_the_wire_shape_is_camel_case()
    {
        var request = Jobs.Request();
        using var response = await _server.PostJsonAsync("api/jobs", request.ToJsonString());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var job = (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var id = job["id"]!.GetValue<string>();
        Assert.StartsWith("job-", id, StringComparison.Ordinal);
        Assert.Equal($"/api/jobs/{id}", response.Headers.Location?.OriginalString);
        foreach (var name in new[] { "project", "owner", "homeRegion", "accelerators", "durationHours", "dataset", "allowedRegions", "priority", "state", "region", "reason", "history" })
        {
            Assert.True(job.ContainsKey(name), $"the job should have '{name}': {job}");
        }

        Assert.Equal(8, job["accelerators"]!["count"]!.GetValue<int>());
        Assert.Equal(40, job["accelerators"]!["minMemoryGb"]!.GetValue<int>());
        Assert.Equal(100, job["dataset"]!["sizeGb"]!.GetValue<double>());
        Assert.IsType<string>(job["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_same_id_and_body_again_answers_200_with_the_same_job_and_creates_nothing()
    {
        var body = Jobs.Request("job-idem").ToJsonString();
        using var first = await _server.PostJsonAsync("api/jobs", body);
        var created = await ServerHost.ReadAsync<JobView>(first);
        var before = await _server.SnapshotAsync();

        using var again = await _server.PostJsonAsync("api/jobs", body);

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var repeated = await ServerHost.ReadAsync<JobView>(again);
        Assert.Equal(created.Id, repeated.Id);
        Assert.Equal(created.Region, repeated.Region);
        Assert.Equal(created.SubmittedAt, repeated.SubmittedAt);
        Assert.Equal(before, await _server.SnapshotAsync());
    }

    [Fact]
    public async Task The_same_id_with_another_body_is_409_naming_id_and_changes_nothing()
    {
        using var first = await _server.PostJsonAsync("api/jobs", Jobs.Request("job-dup").ToJsonString());
        var original = await _server.GetJsonAsync("api/jobs/job-dup");
        var before = await _server.SnapshotAsync();

        using var conflict = await _server.PostJsonAsync("api/jobs", Jobs.Request("job-dup", count: 16).ToJsonString());

        await Problem.AssertAsync(conflict, HttpStatusCode.Conflict, "id", "");
        Assert.Equal(before, await _server.SnapshotAsync());
        Assert.Equal(original.ToJsonString(), (await _server.GetJsonAsync("api/jobs/job-dup")).ToJsonString());
    }

    [Fact]
    public async Task Get_returns_the_job_with_history_and_placement_reason()
    {
        using var submitted = await _server.PostJsonAsync("api/jobs", Jobs.Request("job-get").ToJsonString());

        using var response = await _server.Client.GetAsync("api/jobs/job-get");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var job = await ServerHost.ReadAsync<JobView>(response);
        Assert.Equal("job-get", job.Id);
        Assert.NotEmpty(job.History);
        Assert.Equal("Submitted", job.History[0].Kind);
        Assert.False(string.IsNullOrWhiteSpace(job.Reason));
        Assert.NotNull(job.Placement);
        Assert.Equal("gwangju", job.Placement!.ChosenRegion);
        Assert.Equal(4, job.Placement.Candidates.Length);
    }

    [Fact]
    public async Task Delete_cancels_a_job_and_records_it_in_the_history()
    {
        using var submitted = await _server.PostJsonAsync("api/jobs", Jobs.Request("job-cancel").ToJsonString());

        using var response = await _server.Client.DeleteAsync("api/jobs/job-cancel?reason=not%20needed");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var job = await ServerHost.ReadAsync<JobView>(response);
        Assert.Equal(JobState.Cancelled, job.State);
        Assert.Equal("Cancelled", job.History[^1].Kind);
        Assert.Equal(JobState.Cancelled, (await ServerHost.ReadAsync<JobView>(await _server.Client.GetAsync("api/jobs/job-cancel"))).State);
    }

    [Fact]
    public async Task List_filters_by_state_region_and_project()
    {
        foreach (var (id, project, home) in new[] { ("l-1", "alpha", "gwangju"), ("l-2", "beta", "gwangju"), ("l-3", "alpha", "gwangyang") })
        {
            using var r = await _server.PostJsonAsync("api/jobs", Jobs.Request(id, project, home).ToJsonString());
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        }

        using var cancelled = await _server.Client.DeleteAsync("api/jobs/l-2");

        var all = await ServerHost.ReadAsync<JobList>(await _server.Client.GetAsync("api/jobs"));
        var alpha = await ServerHost.ReadAsync<JobList>(await _server.Client.GetAsync("api/jobs?project=alpha"));
        var gwangyang = await ServerHost.ReadAsync<JobList>(await _server.Client.GetAsync("api/jobs?region=gwangyang"));
        var cancelledOnly = await ServerHost.ReadAsync<JobList>(await _server.Client.GetAsync("api/jobs?state=Cancelled"));
        var alphaInGwangju = await ServerHost.ReadAsync<JobList>(await _server.Client.GetAsync("api/jobs?project=alpha&region=gwangju"));

        Assert.Equal(["l-1", "l-2", "l-3"], all.Jobs.Select(j => j.Id));
        Assert.Equal(3, all.Total);
        Assert.Equal(["l-1", "l-3"], alpha.Jobs.Select(j => j.Id));
        Assert.Equal(["l-3"], gwangyang.Jobs.Select(j => j.Id));
        Assert.Equal(["l-2"], cancelledOnly.Jobs.Select(j => j.Id));
        Assert.Equal(["l-1"], alphaInGwangju.Jobs.Select(j => j.Id));
    }

    [Fact]
    public async Task List_filters_by_owner()
    {
        foreach (var (id, owner, project) in new[] { ("o-1", "kim", "owned"), ("o-2", "lee", "owned"), ("o-3", "kim", "owned"), ("o-4", "park", "other") })
        {
            var request = Jobs.Request(id, project);
            request["owner"] = owner;
            using var r = await _server.PostJsonAsync("api/jobs", request.ToJsonString());
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        }

        var kim = await ServerHost.ReadAsync<JobList>(await _server.Client.GetAsync("api/jobs?owner=kim&project=owned"));
        var lee = await ServerHost.ReadAsync<JobList>(await _server.Client.GetAsync("api/jobs?owner=lee"));
        var park = await ServerHost.ReadAsync<JobList>(await _server.Client.GetAsync("api/jobs?owner=park"));
        var nobody = await ServerHost.ReadAsync<JobList>(await _server.Client.GetAsync("api/jobs?owner=choi"));

        Assert.Equal(["o-1", "o-3"], kim.Jobs.Select(j => j.Id));
        Assert.Equal(2, kim.Total);
        Assert.All(kim.Jobs, j => Assert.Equal("kim", j.Owner));
        Assert.Equal(["o-2"], lee.Jobs.Select(j => j.Id));
        Assert.Equal(["o-4"], park.Jobs.Select(j => j.Id));
        Assert.Empty(nobody.Jobs);
        Assert.Equal(0, nobody.Total);
    }

    [Fact]
    public async Task List_pages_by_id_with_limit_and_after()
    {
        foreach (var id in new[] { "p-1", "p-2", "p-3" })
        {
            using var r = await _server.PostJsonAsync("api/jobs", Jobs.Request(id, "paged").ToJsonString());
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        }

        var first = await ServerHost.ReadAsync<JobList>(await _server.Client.GetAsync("api/jobs?project=paged&limit=2"));
        var second = await ServerHost.ReadAsync<JobList>(await _server.Client.GetAsync($"api/jobs?project=paged&limit=2&after={first.NextAfter}"));

        Assert.Equal(["p-1", "p-2"], first.Jobs.Select(j => j.Id));
        Assert.Equal(3, first.Total);
        Assert.Equal("p-2", first.NextAfter);
        Assert.Equal(["p-3"], second.Jobs.Select(j => j.Id));
        Assert.Null(second.NextAfter);
    }

    [Fact]
    public async Task List_newest_first_orders_by_submission_time_then_id_descending_and_pages_with_after()
    {
        // Submitted out of id order, a minute apart but n-a and n-d in one instant; n-x, another project's, last of all.
        foreach (var (id, project, minutes) in new[] { ("n-c", "newest", 0), ("n-a", "newest", 1), ("n-d", "newest", 0), ("n-b", "newest", 1), ("n-x", "other", 1) })
        {
            _server.Clock.Advance(TimeSpan.FromMinutes(minutes));
            using var r = await _server.PostJsonAsync("api/jobs", Jobs.Request(id, project).ToJsonString());
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        }

        var t0 = _server.Clock.Start;
        var first = await ServerHost.ReadAsync<JobList>(await _server.Client.GetAsync("api/jobs?project=newest&order=newest&limit=2"));
        var second = await ServerHost.ReadAsync<JobList>(await _server.Client.GetAsync($"api/jobs?project=newest&order=newest&limit=2&after={first.NextAfter}"));
        var afterOther = await ServerHost.ReadAsync<JobList>(await _server.Client.GetAsync("api/jobs?project=newest&order=newest&after=n-x"));
        var all = await ServerHost.ReadAsync<JobList>(await _server.Client.GetAsync("api/jobs?order=newest"));
        var byId = await ServerHost.ReadAsync<JobList>(await _server.Client.GetAsync("api/jobs?project=newest"));
        var byIdNamed = await ServerHost.ReadAsync<JobList>(await _server.Client.GetAsync("api/jobs?project=newest&order=id"));

        Assert.Equal(["n-b", "n-d"], first.Jobs.Select(j => j.Id));
        Assert.Equal([t0.AddMinutes(2), t0.AddMinutes(1)], first.Jobs.Select(j => j.SubmittedAt));
        Assert.Equal((4, "n-d"), (first.Total, first.NextAfter));
        Assert.Equal(["n-a", "n-c"], second.Jobs.Select(j => j.Id));
        Assert.Equal([t0.AddMinutes(1), t0], second.Jobs.Select(j => j.SubmittedAt));
        Assert.Equal((4, (string?)null), (second.Total, second.NextAfter));
        Assert.Equal(["n-b", "n-d", "n-a", "n-c"], afterOther.Jobs.Select(j => j.Id));
        Assert.Equal(["n-x", "n-b", "n-d", "n-a", "n-c"], all.Jobs.Select(j => j.Id));
        Assert.Equal(["n-a", "n-b", "n-c", "n-d"], byId.Jobs.Select(j => j.Id));
        Assert.Equal(byId.Jobs.Select(j => j.Id), byIdNamed.Jobs.Select(j => j.Id));
    }
}

/// <summary>Bad requests to /api/jobs: each names the field or id and changes nothing, so the tests share one server.</summary>
public sealed class JobsApiBadRequestTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private readonly ServerHost _server = shared.Server;

    [Fact]
    public async Task Get_of_an_unknown_job_is_404_naming_id()
    {
        using var response = await _server.Client.GetAsync("api/jobs/no-such-job");

        await Problem.AssertAsync(response, HttpStatusCode.NotFound, "id", "no-such-job");
    }

    [Fact]
    public async Task Delete_of_an_unknown_job_is_404_naming_id()
    {
        using var response = await _server.Client.DeleteAsync("api/jobs/nope");

        await Problem.AssertAsync(response, HttpStatusCode.NotFound, "id", "nope");
    }

    [Theory]
    [InlineData("state=Sleeping", "state", "must be one of")]
    [InlineData("state=7", "state", "must be one of")]
    [InlineData("region=busan", "region", "unknown region 'busan'")]
    [InlineData("limit=0", "limit", "must be an integer from 1 to 1000")]
    [InlineData("limit=abc", "limit", "must be an integer from 1 to 1000")]
    [InlineData("project=%20", "project", "must not be empty")]
    [InlineData("owner=", "owner", "must not be empty")]
    [InlineData("owner=%20", "owner", "must not be empty")]
    [InlineData("order=oldest", "order", "must be id or newest")]
    [InlineData("order=", "order", "must be id or newest")]
    [InlineData("order=newest&after=no-such-job", "after", "no job has id 'no-such-job' (newest first, after must name a job: the previous page's nextAfter)")]
    public async Task List_with_a_bad_query_value_is_400_naming_it(string query, string field, string message)
    {
        using var response = await _server.Client.GetAsync("api/jobs?" + query);

        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, field, message);
    }
}

using System.Net;
using Federation.Contracts;
using Federation.TestKit;

namespace Federation.Server.Tests;

/// <summary>/api/projects through real HTTP on loopback: allocations, usage charged as jobs run, returns, If-Match, bad requests.</summary>
public sealed class ProjectsApiTests
{
    /// <summary>1 December 2026, 00:00 UTC.</summary>
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private const string ShortH100 = """{"acceleratorHours": 100, "from": "2026-12-01T00:00:00Z", "until": "2026-12-31T00:00:00Z", "region": "gwangju"}""";

    private static async Task<HttpResponseMessage> SendAsync(ServerHost server, HttpMethod method, string path, string json, string? ifMatch = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return await server.Client.SendAsync(request);
    }

    [Fact]
    public async Task A_coordinator_sets_an_allocation_usage_is_charged_while_the_job_runs_and_the_project_returns_unused_hours()
    {
        await using var server = await ServerHost.StartAsync(new ManualTimeProvider(Start), null, null);

        using var set = await server.PutJsonAsync("api/projects/kr-llm/allocations/short/H100", ShortH100);
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        Assert.Equal("\"1\"", set.Headers.ETag!.Tag);
        var project = await ServerHost.ReadAsync<ProjectView>(set);
        var a = Assert.Single(project.Allocations);
        Assert.Equal(("short", "H100", 100.0, 0.0, 100.0, "gwangju", true), (a.Term, a.Class, a.AcceleratorHours, a.UsedAcceleratorHours, a.LeftAcceleratorHours, a.Region, a.Current));
        Assert.Equal((Start, Start.AddDays(30)), (a.From, a.Until));
        Assert.Equal(("allocated", "allocated: project kr-llm has 100 of 100 short-term H100 hours left"), (project.Standing, project.StandingReason));

        // A job of the project runs (8 H100 in gwangju): half an hour later, 4 hours are charged though it has not ended.
        using (var submitted = await server.PostJsonAsync("api/jobs", Jobs.Request("kr-1", project: "kr-llm").ToJsonString()))
        {
            Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);
        }

        var job = await ServerHost.ReadAsync<JobView>(await server.Client.GetAsync("api/jobs/kr-1"));
        Assert.Equal(JobState.Running, job.State);
        var standing = Assert.Single(job.History, e => e.Kind == JobEventKinds.Allocated);
        Assert.Equal("allocated: project kr-llm has 100 of 100 short-term H100 hours left", standing.Message);

        server.Clock.Advance(TimeSpan.FromMinutes(30));
        project = await ServerHost.ReadAsync<ProjectView>(await server.Client.GetAsync("api/projects/kr-llm"));
        a = Assert.Single(project.Allocations);
        Assert.Equal((4.0, 96.0), (a.UsedAcceleratorHours, a.LeftAcceleratorHours));
        Assert.Equal(Start.AddMinutes(30), project.UsageAsOf);

        // More than is unused is refused and changes nothing; 50 are returned, and the record says when.
        using (var tooMuch = await server.PostJsonAsync("api/projects/kr-llm/returns", """{"term": "short", "class": "H100", "acceleratorHours": 96.5}"""))
        {
            await Problem.AssertAsync(tooMuch, HttpStatusCode.BadRequest, "acceleratorHours", "cannot return 96.5 accelerator-hours: only 96 are unused");
        }

        using var returned = await SendAsync(server, HttpMethod.Post, "api/projects/kr-llm/returns", """{"term": "short", "class": "H100", "acceleratorHours": 50}""", "\"1\"");
        Assert.Equal(HttpStatusCode.OK, returned.StatusCode);
        Assert.Equal("\"2\"", returned.Headers.ETag!.Tag);
        project = await ServerHost.ReadAsync<ProjectView>(returned);
        Assert.Equal((50.0, 46.0), (project.Allocations[0].ReturnedAcceleratorHours, project.Allocations[0].LeftAcceleratorHours));
        Assert.Equal([(Start.AddMinutes(30), "short", "H100", 50.0)], project.Returns.Select(r => (r.At, r.Term, r.Class, r.AcceleratorHours)));

        var list = await ServerHost.ReadAsync<List<ProjectView>>(await server.Client.GetAsync("api/projects"));
        Assert.Equal(["kr-llm"], list.Select(p => p.Id));
        Assert.Equal(2, list[0].Version);
    }

    [Fact]
    public async Task Two_coordinators_cannot_overwrite_each_other_unseen()
    {
        await using var server = await ServerHost.StartAsync(new ManualTimeProvider(Start), null, null);
        using var first = await SendAsync(server, HttpMethod.Put, "api/projects/p/allocations/mid/any", ShortH100.Replace("\"region\": \"gwangju\"", "\"region\": null", StringComparison.Ordinal), "\"0\"");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        using var second = await SendAsync(server, HttpMethod.Put, "api/projects/p/allocations/mid/any", """{"acceleratorHours": 5, "from": "2026-12-01T00:00:00Z", "until": "2026-12-02T00:00:00Z"}""", "\"0\"");
        var problem = await Problem.AssertAsync(second, HttpStatusCode.PreconditionFailed, "If-Match", "project p changed since it was read (version 0; now 1)");
        Assert.Equal("\"1\"", problem["currentETag"]!.GetValue<string>());
        var project = await ServerHost.ReadAsync<ProjectView>(await server.Client.GetAsync("api/projects/p"));
        Assert.Equal((100.0, 1L), (project.Allocations[0].AcceleratorHours, project.Version));
    }

    [Theory]
    [InlineData("PUT", "api/projects/p/allocations/forever/H100", ShortH100, "term", "must be one of short, mid, long (was 'forever')")]
    [InlineData("PUT", "api/projects/p/allocations/short/TPU", ShortH100, "class", "must be 'any' or an accelerator type of the megaregion")]
    [InlineData("PUT", "api/projects/p/allocations/short/H100", """{"acceleratorHours": -1, "from": "2026-12-01T00:00:00Z", "until": "2026-12-31T00:00:00Z"}""", "acceleratorHours", "must be a finite number between 0 and 1000000000")]
    [InlineData("PUT", "api/projects/p/allocations/short/H100", """{"acceleratorHours": 1e12, "from": "2026-12-01T00:00:00Z", "until": "2026-12-31T00:00:00Z"}""", "acceleratorHours", "must be a finite number between 0")]
    [InlineData("PUT", "api/projects/p/allocations/short/H100", """{"from": "2026-12-01T00:00:00Z", "until": "2026-12-31T00:00:00Z"}""", "acceleratorHours", "is required")]
    [InlineData("PUT", "api/projects/p/allocations/short/H100", """{"acceleratorHours": 1, "from": "2026-12-31T00:00:00Z", "until": "2026-12-01T00:00:00Z"}""", "until", "must be after from")]
    [InlineData("PUT", "api/projects/p/allocations/short/H100", """{"acceleratorHours": 1, "until": "2026-12-01T00:00:00Z"}""", "from", "is required")]
    [InlineData("PUT", "api/projects/p/allocations/short/H100", """{"acceleratorHours": 1, "from": "2026-12-01T00:00:00Z", "until": "2026-12-31T00:00:00Z", "region": "busan"}""", "region", "unknown region 'busan'")]
    [InlineData("PUT", "api/projects/p/allocations/short/H100", """{"acceleratorHours": "many"}""", "acceleratorHours", "")]
    [InlineData("POST", "api/projects/p/returns", """{"class": "any", "acceleratorHours": 1}""", "term", "must be one of short, mid, long")]
    [InlineData("POST", "api/projects/p/returns", """{"term": "short", "acceleratorHours": 0}""", "acceleratorHours", "must be a finite number greater than 0")]
    [InlineData("POST", "api/projects/p/returns", """{"term": "long", "acceleratorHours": 1}""", "class", "the project has no long-term 'any' allocation")]
    [InlineData("POST", "api/projects/p/returns", """{"term": "short", "class": "H100", "acceleratorHours": 101}""", "acceleratorHours", "cannot return 101 accelerator-hours: only 100 are unused")]
    public async Task A_bad_request_is_400_naming_the_field_and_changes_nothing(string method, string path, string body, string field, string message)
    {
        await using var server = await ServerHost.StartAsync(new ManualTimeProvider(Start), null, null);
        using (var set = await server.PutJsonAsync("api/projects/p/allocations/short/H100", ShortH100))
        {
            Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        }

        using var response = await SendAsync(server, new HttpMethod(method), path, body);
        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, field, message);

        var project = await ServerHost.ReadAsync<ProjectView>(await server.Client.GetAsync("api/projects/p"));
        Assert.Equal(1, project.Version);
        Assert.Equal([("short", "H100", 100.0, 0.0)], project.Allocations.Select(a => (a.Term, a.Class, a.AcceleratorHours, a.ReturnedAcceleratorHours)));
        Assert.Empty(project.Returns);
    }

    [Fact]
    public async Task A_bad_project_id_or_If_Match_is_400_naming_it()
    {
        await using var server = await ServerHost.StartAsync(new ManualTimeProvider(Start), null, null);
        using var longId = await server.Client.GetAsync("api/projects/" + new string('x', 129));
        await Problem.AssertAsync(longId, HttpStatusCode.BadRequest, "id", "must be at most 128 characters");
        using var badTag = await SendAsync(server, HttpMethod.Put, "api/projects/p/allocations/short/H100", ShortH100, "seven");
        await Problem.AssertAsync(badTag, HttpStatusCode.BadRequest, "If-Match", "must be the project's ETag");
        using var notJson = await server.Client.PostAsync("api/projects/p/returns", new StringContent("term=short"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, notJson.StatusCode);
        Assert.Empty(await ServerHost.ReadAsync<List<ProjectView>>(await server.Client.GetAsync("api/projects")));
    }
}

using System.Net;
using System.Text.Json.Nodes;

namespace Federation.Server.Tests;

/// <summary>
/// Every bad request gets a 4xx problem naming the field, and changes nothing (state before == state after). The tests
/// share one server with one job on it: none may change it.
/// </summary>
public sealed class BadRequestTests(BadRequestTests.ServerWithAJob fixture) : IClassFixture<BadRequestTests.ServerWithAJob>
{
    private readonly ServerHost _server = fixture.Server;

    public static TheoryData<string, string, string> MalformedBodies => new()
    {
        { "{\"project\": \"p\", \"accelerators\": {\"count\": \"eight\"}}", "accelerators.count", "must be an integer" },
        { "{\"project\": \"p\", \"durationHours\": \"soon\"}", "durationHours", "must be a number" },
        { "{\"project\": \"p\", \"allowedRegions\": \"gwangju\"}", "allowedRegions", "must be an array" },
        { "{\"project\": \"p\", \"dataset\": 5}", "dataset", "must be an object" },
        { "{\"project\": \"p\",", "body", "malformed JSON" },
        { "[1, 2]", "body", "" },
        { "", "body", "a JSON body is required" },
        { "null", "body", "must be a JSON object" },
        { "{\"project\": \"p\", \"allowedRegion\": [\"daegu\"]}", "allowedRegion", "is not a field of a job request; the fields are id, project, owner, homeRegion, accelerators, durationHours, dataset, allowedRegions, priority, run" },
        { "{\"project\": \"p\", \"accelerators\": {\"count\": 1, \"type\": \"H100\"}}", "accelerators.type", "is not a field of accelerators; the fields are count, types, minMemoryGb" },
        { "{\"project\": \"p\", \"run\": {\"script\": \"#!/bin/sh\", \"env\": {}}}", "run.env", "is not a field of run; the fields are script, image, environment, workingDirectory" },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task Malformed_JSON_is_400_naming_the_field_and_changes_nothing(string body, string field, string message)
    {
        var before = await _server.SnapshotAsync();

        using var response = await _server.PostJsonAsync("api/jobs", body);

        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, field, message);
        Assert.Equal(before, await _server.SnapshotAsync());
    }

    [Theory]
    [InlineData("POST", "api/jobs", "text/plain", "{}")]
    [InlineData("POST", "api/jobs", "application/x-www-form-urlencoded", "project=p")]
    [InlineData("POST", "api/jobs", null, "{}")]
    [InlineData("POST", "api/regions/daegu/drain", null, "")]
    [InlineData("POST", "api/regions/daegu/drain", "text/plain", "")]
    [InlineData("PUT", "api/regions/daegu/offer", "multipart/form-data; boundary=x", "--x--")]
    [InlineData("POST", "api/jobs", "application/json; charset=latin1", "{}")]
    public async Task A_body_that_is_not_JSON_by_its_content_type_is_415_and_changes_nothing(string method, string path, string? contentType, string body)
    {
        // What a page of another site can send without a preflight (a form post, text/plain, an empty POST) is refused.
        var before = await _server.SnapshotAsync();
        using var content = new StringContent(body);
        content.Headers.ContentType = contentType is null ? null : System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = content };

        using var response = await _server.Client.SendAsync(request);

        await Problem.AssertAsync(response, HttpStatusCode.UnsupportedMediaType, "Content-Type", "must be application/json, not ");
        Assert.Equal(before, await _server.SnapshotAsync());
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_with_or_without_a_length_and_changes_nothing()
    {
        var before = await _server.SnapshotAsync();
        var big = "{\"project\": \"" + new string('p', 600 * 1024) + "\"}";

        using var declared = await _server.PostJsonAsync("api/jobs", big);
        using var chunked = new HttpRequestMessage(HttpMethod.Post, "api/jobs")
        {
            Content = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(big))),
        };
        chunked.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        chunked.Headers.TransferEncodingChunked = true;
        using var unsized = await _server.Client.SendAsync(chunked);

        await Problem.AssertAsync(declared, HttpStatusCode.RequestEntityTooLarge, "body", $"must be at most 524288 bytes");
        await Problem.AssertAsync(unsized, HttpStatusCode.RequestEntityTooLarge, "body", $"must be at most 524288 bytes");
        Assert.Equal(before, await _server.SnapshotAsync());
    }

    public static TheoryData<string, string, string> InvalidRequests => new()
    {
        { """{"homeRegion": "busan"}""", "homeRegion", "unknown region 'busan'" },
        { """{"homeRegion": ""}""", "homeRegion", "is required" },
        { """{"accelerators": {"count": 0, "types": ["H100"]}}""", "accelerators.count", "must be > 0" },
        { """{"accelerators": {"count": -4, "types": ["H100"]}}""", "accelerators.count", "must be > 0" },
        { """{"accelerators": {"count": 8, "types": ["TPUv5"]}}""", "accelerators.types[0]", "no region has accelerator type 'TPUv5'" },
        { """{"accelerators": {"count": 8, "types": ["H100"], "minMemoryGb": 1000}}""", "accelerators.minMemoryGb", "no acceptable pool has 1000 GB" },
        { """{"accelerators": {"count": 5000, "types": ["H100"]}}""", "accelerators.count", "no acceptable pool has 5000 accelerators" },
        { """{"durationHours": 0}""", "durationHours", "must be > 0" },
        { """{"project": ""}""", "project", "is required" },
        { """{"dataset": {"region": "seoul", "sizeGb": 10}}""", "dataset.region", "unknown region 'seoul'" },
        { """{"dataset": {"region": "gwangju", "sizeGb": -1}}""", "dataset.sizeGb", "must be >= 0" },
        { """{"allowedRegions": ["daegu", "jeju"]}""", "allowedRegions[1]", "unknown region 'jeju'" },
        { """{"id": "has space"}""", "id", "may contain only" },
        { """{"accelerators": {"count": 8, "types": ["A100"]}, "allowedRegions": ["daegu"]}""", "allowedRegions", "none of the allowed regions" },
        { """{"durationHours": 100000000}""", "durationHours", "must be at most 8760 (a year)" },
        { """{"project": "kr\u0000llm"}""", "project", "must not contain control characters" },
        { """{"owner": "kim\nroot"}""", "owner", "must not contain control characters" },
        { """{"priority": 1000000}""", "priority", "must be from -1000 to 1000" },
        { """{"dataset": {"region": "gwangju", "sizeGb": 1e12}}""", "dataset.sizeGb", "must be at most 100000000 (100 PB)" },
        { """{"allowedRegions": ["daegu", "gwangju", "daegu"]}""", "allowedRegions[2]", "repeats 'daegu'" },
        { """{"accelerators": {"count": 8, "types": ["H100", "H100"]}}""", "accelerators.types[1]", "repeats 'H100'" },
        { """{"run": {"script": "echo hi"}}""", "run.script", "must start with an interpreter line" },
        { """{"run": {"image": "x"}}""", "run.script", "is required when run is given" },
        { """{"run": {"script": "#!/bin/sh", "workingDirectory": "scratch"}}""", "run.workingDirectory", "must be an absolute path" },
        { """{"run": {"script": "#!/bin/sh", "environment": {"A-B": "1"}}}""", "run.environment.A-B", "'A-B' is not a variable name" },
        { """{"run": {"script": "#!/bin/sh", "environment": {"A": 1}}}""", "run.environment.A", "" },
        { """{"run": {"script": "#!/bin/sh", "checkpointSignal": "KILL"}}""", "run.checkpointSignal", "must be one of USR1, USR2, TERM, INT, HUP, QUIT, ALRM, CONT (a signal the script can trap, without SIG), or absent for none" },
        { """{"run": {"script": "#!/bin/sh", "checkpointSignal": "SIGUSR1"}}""", "run.checkpointSignal", "must be one of USR1" },
    };

    [Theory]
    [MemberData(nameof(InvalidRequests))]
    public async Task Invalid_job_is_400_naming_the_field_and_changes_nothing(string patch, string field, string message)
    {
        var request = Jobs.Request("bad-job");
        foreach (var (name, value) in (JsonObject)JsonNode.Parse(patch)!)
        {
            request[name] = value?.DeepClone();
        }

        var before = await _server.SnapshotAsync();

        using var response = await _server.PostJsonAsync("api/jobs", request.ToJsonString());

        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, field, message);
        Assert.Equal(before, await _server.SnapshotAsync());
        using var lookup = await _server.Client.GetAsync("api/jobs/bad-job");
        Assert.Equal(HttpStatusCode.NotFound, lookup.StatusCode);
    }

    [Fact]
    public async Task Several_bad_fields_are_all_named()
    {
        var request = Jobs.Request();
        request["homeRegion"] = "busan";
        request["durationHours"] = -1;
        request["accelerators"] = new JsonObject { ["count"] = 0 };

        using var response = await _server.PostJsonAsync("api/jobs", request.ToJsonString());

        var problem = await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "homeRegion", "unknown region");
        var errors = (JsonObject)problem["errors"]!;
        Assert.Equal(["accelerators.count", "durationHours", "homeRegion"], errors.Select(e => e.Key).Order(StringComparer.Ordinal));
    }

    /// <summary>The shared server, with one job stored, so the job list the snapshots compare is not empty.</summary>
    public sealed class ServerWithAJob : IAsyncLifetime
    {
        public ServerHost Server { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Server = await ServerHost.StartAsync();
            using var existing = await Server.PostJsonAsync("api/jobs", Jobs.Request("existing").ToJsonString());
            Assert.Equal(HttpStatusCode.Created, existing.StatusCode);
        }

        public async Task DisposeAsync() => await Server.DisposeAsync();
    }
}

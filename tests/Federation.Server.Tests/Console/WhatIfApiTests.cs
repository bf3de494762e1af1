using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Federation.Server.Tests.Console;

/// <summary>
/// <c>/api/whatif</c> on one server for the class (uploads limited to 64 KB): runs complete with their report, bad
/// fields are named, a run can be cancelled. Runs finish on the simulator's own time; the tests poll, bounded.
/// </summary>
public sealed class WhatIfApiTests(WhatIfApiTests.Host host) : IClassFixture<WhatIfApiTests.Host>
{
    private const string Header = "job_id,submit_time_s,gpus,duration_s,gpu_type,tenant,original_queue_s,status";

    private readonly ServerHost _server = host.Server;

    [Fact]
    public async Task The_bundled_traces_are_listed()
    {
        var traces = (await _server.GetJsonAsync("api/whatif/traces")).AsArray();

        Assert.Equal(["synthetic-small", "synthetic"], traces.Select(t => t!["name"]!.GetValue<string>()).ToArray());
        Assert.Equal([2000, 20000], traces.Select(t => t!["jobs"]!.GetValue<int>()).ToArray());
        Assert.All(traces, t => Assert.False(string.IsNullOrWhiteSpace(t!["description"]!.GetValue<string>())));
    }

    [Fact]
    public async Task A_synthetic_run_completes_with_progress_1_a_summary_per_policy_and_a_report_with_charts()
    {
        using var response = await PostAsync(("trace", "synthetic-small"), ("policies", "isolated, earliest-start,pooled"), ("maxJobs", "1500"), ("seed", "7"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var accepted = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        var id = accepted["id"]!.GetValue<string>();
        Assert.Equal($"/api/whatif/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal(
            ["id", "state", "progress", "policies", "trace", "jobs", "loadScale", "seed", "createdAt", "startedAt", "finishedAt", "error", "summary"],
            accepted.Select(p => p.Key).ToArray());
        Assert.Contains(accepted["state"]!.GetValue<string>(), new[] { "queued", "running", "completed" });
        Assert.Equal(["isolated", "earliest-start", "pooled"], Strings(accepted["policies"]!));
        Assert.Equal("synthetic-small", accepted["trace"]!.GetValue<string>());
        Assert.Equal(1500, accepted["jobs"]!.GetValue<int>());
        Assert.Equal(7, accepted["seed"]!.GetValue<long>());
        Assert.Equal(1.0, accepted["loadScale"]!.GetValue<double>());

        var run = await UntilFinishedAsync(id);
        Assert.Equal("completed", run["state"]!.GetValue<string>());
        Assert.Equal(1.0, run["progress"]!.GetValue<double>());
        Assert.Null(run["error"]);
        Assert.NotNull(run["startedAt"]);
        Assert.NotNull(run["finishedAt"]);
        var summary = run["summary"]!.AsArray();
        Assert.Equal(["isolated", "earliest-start", "pooled"], summary.Select(s => s!["name"]!.GetValue<string>()).ToArray());
        foreach (var policy in summary)
        {
            Assert.Equal(0, policy!["violations"]!.GetValue<int>());
            Assert.Equal(0, policy["unfinishedJobs"]!.GetValue<int>());
            Assert.InRange(policy["overflowShare"]!.GetValue<double>(), 0, 1);
            Assert.True(policy["meanWaitS"]!.GetValue<double>() >= 0);
            Assert.True(policy["p95WaitS"]!.GetValue<double>() >= 0);
        }

        Assert.Equal(["gwangju", "suncheon", "gwangyang", "daegu"], summary[0]!["utilization"]!.AsObject().Select(p => p.Key).ToArray());
        Assert.Equal(0, summary[0]!["overflowJobs"]!.GetValue<int>());
        Assert.True(summary[0]!["gapClosure"] is not null, run.ToJsonString());
        Assert.Equal(0.0, summary[0]!["gapClosure"]!.GetValue<double>());
        Assert.Equal(1.0, summary[2]!["gapClosure"]!.GetValue<double>());

        using var report = await _server.Client.GetAsync($"api/whatif/{id}/report");
        Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        Assert.Equal("text/html", report.Content.Headers.ContentType?.MediaType);
        var html = await report.Content.ReadAsStringAsync();
        Assert.Contains("<svg", html, StringComparison.Ordinal);
        Assert.Contains("<code>synthetic-small</code>, 1,500 jobs", html, StringComparison.Ordinal);

        var list = (await _server.GetJsonAsync("api/whatif")).AsArray();
        Assert.Contains(id, list.Select(r => r!["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task An_uploaded_trace_runs_under_the_default_policies()
    {
        var csv = new StringBuilder(Header).Append('\n');
        for (var i = 0; i < 200; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"j{i},{i * 60},{1 << (i % 4)},{600 + i},,u{i % 7},,completed\n");
        }

        using var response = await PostFileAsync(("my trace.csv", csv.ToString()));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        var run = await UntilFinishedAsync(id);
        Assert.Equal("completed", run["state"]!.GetValue<string>());
        Assert.Equal("my trace.csv", run["trace"]!.GetValue<string>());
        Assert.Equal(200, run["jobs"]!.GetValue<int>());
        Assert.Equal(["isolated", "earliest-start"], Strings(run["policies"]!));
        Assert.Equal(2, run["summary"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_run_can_be_cancelled_and_then_has_no_report()
    {
        using var response = await PostAsync(("trace", "synthetic"), ("policies", "isolated,random,least-loaded,earliest-start,earliest-start+rebalance,pooled"), ("loadScale", "2"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();

        using var cancel = await _server.Client.DeleteAsync($"api/whatif/{id}");
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);

        var run = await UntilFinishedAsync(id);
        Assert.Equal("cancelled", run["state"]!.GetValue<string>());
        Assert.True(run["progress"]!.GetValue<double>() < 1);
        Assert.Empty(run["summary"]!.AsArray());
        using var report = await _server.Client.GetAsync($"api/whatif/{id}/report");
        await Problem.AssertAsync(report, HttpStatusCode.Conflict, "id", "is cancelled; its report exists once it has completed");
    }

    [Theory]
    [InlineData("policies", "isolated,fastest", "policies", "unknown policy 'fastest'")]
    [InlineData("policies", " , ", "policies", "must name at least one policy")]
    [InlineData("loadScale", "0", "loadScale", "must be a number > 0")]
    [InlineData("loadScale", "lots", "loadScale", "was 'lots'")]
    [InlineData("seed", "1.5", "seed", "must be an integer")]
    [InlineData("maxJobs", "0", "maxJobs", "must be a whole number from 1 to 200000")]
    [InlineData("trace", "venus", "trace", "no bundled trace is named 'venus'")]
    public async Task A_bad_field_is_a_400_naming_it(string field, string value, string named, string message)
    {
        var fields = new List<(string, string)> { (field, value) };
        if (field != "trace")
        {
            fields.Add(("trace", "synthetic-small"));
        }

        using var response = await PostAsync([.. fields]);
        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, named, message);
    }

    [Fact]
    public async Task Neither_trace_nor_file_is_a_400_naming_trace_and_every_other_bad_field_too()
    {
        using var response = await PostAsync(("policies", "nope"), ("loadScale", "-1"));

        var problem = await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "trace", "required: the name of a bundled trace (synthetic-small, synthetic");
        Assert.Equal(["policies", "loadScale", "trace"], problem["errors"]!.AsObject().Select(p => p.Key).ToArray());
    }

    [Fact]
    public async Task Both_trace_and_file_is_a_400_naming_trace()
    {
        using var response = await PostFileAsync(("t.csv", Header + "\nj1,0,1,10,,u1,,completed\n"), ("trace", "synthetic-small"));
        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "trace", "give either trace");
    }

    [Theory]
    [InlineData("j1,0,1,10,,u1,,completed\nj2,5,eight,10,,u1,,completed\n", "bad.csv line 3, column 'gpus': must be a positive integer, was 'eight'")]
    [InlineData("j1,0,1,10,,u1,,completed\nj2,5,1\n", "bad.csv line 3: expected 8 columns, found 3")]
    [InlineData("", "bad.csv: the trace has a header but no jobs")]
    public async Task A_malformed_csv_is_a_400_naming_file_and_the_line(string rows, string message)
    {
        using var response = await PostFileAsync(("bad.csv", Header + "\n" + rows));
        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "file", message);
    }

    [Fact]
    public async Task A_csv_without_the_required_columns_is_a_400_naming_file()
    {
        using var response = await PostFileAsync(("cols.csv", "job_id,gpus\nj1,1\n"));
        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "file", "cols.csv line 1: required column 'submit_time_s' is missing");
    }

    [Fact]
    public async Task An_upload_over_the_limit_is_a_413_naming_file()
    {
        var csv = new StringBuilder(Header).Append('\n');
        for (var i = 0; csv.Length < 200 * 1024; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"j{i},{i},1,60,,u1,,completed\n");
        }

        using var response = await PostFileAsync(("big.csv", csv.ToString()));
        await Problem.AssertAsync(response, HttpStatusCode.RequestEntityTooLarge, "file", "the upload is larger than 0.1 MB");
    }

    [Fact]
    public async Task A_body_that_is_not_a_form_is_a_415_like_a_wrong_body_anywhere_in_the_API()
    {
        using var response = await _server.PostJsonAsync("api/whatif", """{"trace":"synthetic-small"}""");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task An_unknown_run_is_a_404_naming_id()
    {
        using var get = await _server.Client.GetAsync("api/whatif/whatif-nope");
        await Problem.AssertAsync(get, HttpStatusCode.NotFound, "id", "no what-if run has id 'whatif-nope'");
        using var report = await _server.Client.GetAsync("api/whatif/whatif-nope/report");
        await Problem.AssertAsync(report, HttpStatusCode.NotFound, "id", "no what-if run has id 'whatif-nope'");
        using var cancel = await _server.Client.DeleteAsync("api/whatif/whatif-nope");
        await Problem.AssertAsync(cancel, HttpStatusCode.NotFound, "id", "no what-if run has id 'whatif-nope'");
    }

    private async Task<HttpResponseMessage> PostAsync(params (string Name, string Value)[] fields) => await PostFileAsync(null, fields);

    private async Task<HttpResponseMessage> PostFileAsync((string Name, string Content)? file, params (string Name, string Value)[] fields)
    {
        using var form = new MultipartFormDataContent();
        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value), name);
        }

        if (file is { } f)
        {
            var content = new ByteArrayContent(Encoding.UTF8.GetBytes(f.Content));
            content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
            form.Add(content, "file", f.Name);
        }

        return await _server.Client.PostAsync("api/whatif", form);
    }

    private async Task<JsonObject> UntilFinishedAsync(string id)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (true)
        {
            var run = (JsonObject)await _server.GetJsonAsync($"api/whatif/{id}");
            var state = run["state"]!.GetValue<string>();
            if (state is "completed" or "failed" or "cancelled" || DateTime.UtcNow > deadline)
            {
                return run;
            }

            Assert.InRange(run["progress"]!.GetValue<double>(), 0, 1);
            await Task.Delay(50);
        }
    }

    private static string[] Strings(JsonNode array) => [.. array.AsArray().Select(p => p!.GetValue<string>())];

    /// <summary>One server for the class, uploads limited to 64 KB.</summary>
    public sealed class Host : IAsyncLifetime
    {
        public ServerHost Server { get; private set; } = null!;

        public async Task InitializeAsync() => Server = await ServerHost.StartAsync(null, "--Federation:WhatIf:MaxUploadBytes=65536");

        public async Task DisposeAsync() => await Server.DisposeAsync();
    }
}

using System.Net;
using System.Text.Json.Nodes;
using Federation.Server.Hosting;
using Federation.TestKit.Net;
using Npgsql;

namespace Federation.Server.Tests;

/// <summary>
/// The server on PostgreSQL through a <see cref="TcpForwarder"/>, so the database can go away and come back
/// while the server keeps running: requests answer 503 with Retry-After, nothing is created, /health says
/// why, and everything works again once the database is back, without a restart.
/// </summary>
public sealed class PostgresOutageTests : IAsyncLifetime
{
    private PostgresTestDatabase _database = null!;
    private TcpForwarder _forwarder = null!;

    public Task InitializeAsync()
    {
        _database = new PostgresTestDatabase();
        var target = new NpgsqlConnectionStringBuilder(_database.ConnectionString);
        _forwarder = new TcpForwarder(target.Host!, target.Port);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _forwarder.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task When_the_database_goes_away_requests_answer_503_with_Retry_After_and_the_server_recovers_by_itself()
    {
        // A job stored before the outage, by a server talking to the database directly.
        await using (var before = await ServerHost.StartAsync(null, _database.Args()))
        {
            using var stored = await before.PostJsonAsync("api/jobs", Jobs.Request("before-1").ToJsonString());
            Assert.Equal(HttpStatusCode.Created, stored.StatusCode);
        }

        var logs = new CapturingLoggerProvider();
        await using var server = await ServerHost.StartAsync(null, logs, _database.Args(_database.Through(_forwarder.Port)));

        // The job and the project grains first activate during the outage (the regions may have been activated by the live
        // feed's first sample just before it, or rebuild during it: the test holds either way).
        _forwarder.Cut();
        var refused = await server.PostJsonAsync("api/jobs", Jobs.Request("during-1").ToJsonString());
        var project = await server.Client.GetAsync("api/projects/p-outage");
        var list = await server.Client.GetAsync("api/jobs");
        var health = await server.Client.GetAsync("health");
        var storedDuring = await _database.CountJobRowsAsync("during-1");

        await AssertStoreUnreachableAsync(refused);
        await AssertStoreUnreachableAsync(project);
        await AssertStoreUnreachableAsync(list);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        var down = JsonNode.Parse(await health.Content.ReadAsStringAsync())!;
        Assert.Equal("Unhealthy", down["status"]!.GetValue<string>());
        Assert.Contains($"'127.0.0.1:{_forwarder.Port}/", down["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("is unreachable", down["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(0, storedDuring);

        _forwarder.Restore();

        // A region whose rebuild failed is activated anew; either way it holds the job stored before the outage.
        var gwangju = await server.GetJsonAsync("api/regions/gwangju");
        using var retried = await server.PostJsonAsync("api/jobs", Jobs.Request("during-1").ToJsonString());
        var healthy = await server.GetJsonAsync("health");
        var listed = await server.GetJsonAsync("api/jobs");

        Assert.Equal(8, gwangju["pools"]!.AsArray().Sum(p => p!["busy"]!.GetValue<int>()));
        Assert.Equal(HttpStatusCode.Created, retried.StatusCode);
        Assert.Equal("Healthy", healthy["status"]!.GetValue<string>());
        Assert.Equal(["before-1", "during-1"], listed["jobs"]!.AsArray().Select(j => j!["id"]!.GetValue<string>()));
        Assert.Equal(1, await _database.CountJobRowsAsync("during-1"));

        // The outage was logged, naming the database; the connection string never was.
        Assert.Contains(logs.Entries, l => l.Contains("answered 503", StringComparison.Ordinal) && l.Contains($"127.0.0.1:{_forwarder.Port}/", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Entries, l => l.Contains("Password=", StringComparison.OrdinalIgnoreCase) || l.Contains(_database.ConnectionString, StringComparison.Ordinal));
    }

    [Fact]
    public async Task When_the_database_stops_answering_the_short_store_timeouts_end_the_request_with_503_before_the_grain_call_timeout()
    {
        await using var server = await ServerHost.StartAsync(null, _database.Args(_database.Through(_forwarder.Port)));

        // Connections from the schema creation sit in the pools: the first read goes to one of them and hangs.
        _forwarder.Stall();
        var refused = await server.PostJsonAsync("api/jobs", Jobs.Request("stalled-1").ToJsonString());
        var health = await server.Client.GetAsync("health");
        var storedDuring = await _database.CountJobRowsAsync("stalled-1");
        _forwarder.Restore();
        using var retried = await server.PostJsonAsync("api/jobs", Jobs.Request("stalled-1").ToJsonString());

        await AssertStoreUnreachableAsync(refused);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        var stalled = JsonNode.Parse(await health.Content.ReadAsStringAsync())!;
        Assert.Contains("is unreachable", stalled["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(0, storedDuring);
        Assert.Equal(HttpStatusCode.Created, retried.StatusCode);
        Assert.Equal(1, await _database.CountJobRowsAsync("stalled-1"));
    }

    [Fact]
    public async Task When_the_database_has_no_connection_slot_left_requests_answer_503_and_succeed_once_it_has_one()
    {
        // A database of the test's own: limiting its connections touches no other test.
        var connection = await _database.CreateDatabaseAsync();
        try
        {
            var logs = new CapturingLoggerProvider();
            var target = new NpgsqlConnectionStringBuilder(connection) { Host = "127.0.0.1", Port = _forwarder.Port }.ConnectionString;
            await using var server = await ServerHost.StartAsync(null, logs, ["--storage", "postgres", "--connection", target]);
            using var first = await server.PostJsonAsync("api/jobs", Jobs.Request("slots-1").ToJsonString());
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);

            // No new connection is admitted; a cut drops the pooled ones, so the next request must open one.
            await _database.SetConnectionLimitAsync(0);
            _forwarder.Cut();
            using var cut = await server.PostJsonAsync("api/jobs", Jobs.Request("slots-2").ToJsonString());
            _forwarder.Restore();
            using var full = await server.PostJsonAsync("api/jobs", Jobs.Request("slots-2").ToJsonString());
            await _database.SetConnectionLimitAsync(-1);
            using var admitted = await server.PostJsonAsync("api/jobs", Jobs.Request("slots-2").ToJsonString());

            await AssertStoreUnreachableAsync(cut);
            await AssertStoreUnreachableAsync(full);
            Assert.Contains(logs.Entries, l => l.Contains("answered 503", StringComparison.Ordinal) && l.Contains("53300", StringComparison.Ordinal));
            Assert.Equal(HttpStatusCode.Created, admitted.StatusCode);
        }
        finally
        {
            await _database.DropDatabaseAsync();
        }
    }

    /// <summary>
    /// The job's activation already exists when the outage starts (a GET found no job), so the submit gets as
    /// far as the region's admission and fails at the row write, whose compensation re-read fails too. The
    /// job grain must not answer the retry from the uncommitted record in memory (it once answered 200
    /// "Running in gwangju" for a job with no row that no region held).
    /// </summary>
    [Fact]
    public async Task A_submit_that_fails_at_the_write_leaves_nothing_behind_and_its_retry_stores_the_job()
    {
        await using var server = await ServerHost.StartAsync(null, _database.Args(_database.Through(_forwarder.Port)));
        using var regions = await server.Client.GetAsync("api/regions");
        using var absent = await server.Client.GetAsync("api/jobs/late-1");
        Assert.Equal(HttpStatusCode.NotFound, absent.StatusCode);

        _forwarder.Cut();
        using var refused = await server.PostJsonAsync("api/jobs", Jobs.Request("late-1").ToJsonString());
        _forwarder.Restore();
        using var retried = await server.PostJsonAsync("api/jobs", Jobs.Request("late-1").ToJsonString());
        var gwangju = await server.GetJsonAsync("api/regions/gwangju");

        await AssertStoreUnreachableAsync(refused);
        Assert.Equal(HttpStatusCode.Created, retried.StatusCode);
        Assert.Equal(1, await _database.CountJobRowsAsync("late-1"));
        Assert.Equal(8, gwangju["pools"]!.AsArray().Sum(p => p!["busy"]!.GetValue<int>()));
    }

    /// <summary>
    /// The 503 of an unreachable store. Its title also says which timeout ended the request: the store's own short ones,
    /// not the grain call timeout, whose 503 is titled "The service did not answer in time.".
    /// </summary>
    private static async Task AssertStoreUnreachableAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"expected 503, got {(int)response.StatusCode}: {body}");
        Assert.Equal(TimeSpan.FromSeconds(ApiExceptionHandler.RetryAfterSeconds), response.Headers.RetryAfter?.Delta);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(body)!;
        Assert.Equal(503, problem["status"]!.GetValue<int>());
        Assert.Equal(ApiExceptionHandler.StoreUnreachableTitle, problem["title"]!.GetValue<string>());
        Assert.Contains("Submitting a job again with the same id is safe", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}

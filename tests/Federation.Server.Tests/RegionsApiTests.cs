using System.Net;
using Federation.Contracts;
using Federation.Server.Tests.Support;

namespace Federation.Server.Tests;

/// <summary>/api/regions and /api/megaregion through real HTTP on loopback.</summary>
public sealed class RegionsApiTests : IAsyncLifetime
{
    private ServerHost _server = null!;

    public async Task InitializeAsync() => _server = await ServerHost.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Regions_lists_the_four_regions_with_pools_queue_offer_and_utilization()
    {
        var regions = await ServerHost.ReadAsync<List<RegionView>>(await _server.Client.GetAsync("api/regions"));

        Assert.Equal(["gwangju", "suncheon", "gwangyang", "daegu"], regions.Select(r => r.Id));
        var gwangju = regions[0];
        Assert.Equal(["H100", "A100"], gwangju.Pools.Select(p => p.Type));
        Assert.Equal([1256, 224], gwangju.Pools.Select(p => p.Count));
        Assert.All(regions, r => Assert.Equal(0, r.Pools.Sum(p => p.Busy)));
        Assert.All(regions, r => Assert.Equal(0, r.QueuedJobs));
        Assert.All(regions, r => Assert.Equal(0, r.Utilization));
        Assert.Equal(["H100=628", "A100=112"], gwangju.Offer.Accelerators.Select(a => $"{a.Type}={a.Count}"));
    }

    [Fact]
    public async Task Region_shows_one_region_and_its_busy_accelerators()
    {
        using var job = await _server.PostJsonAsync("api/jobs", Jobs.Request("r-1", count: 8).ToJsonString());

        var region = await ServerHost.ReadAsync<RegionView>(await _server.Client.GetAsync("api/regions/gwangju"));

        Assert.Equal("gwangju", region.Id);
        Assert.Equal(8, region.Pools.Single(p => p.Type == "H100").Busy + (int)region.QueuedDemand);
    }

    [Fact]
    public async Task Put_offer_replaces_the_offer()
    {
        using var response = await _server.PutJsonAsync("api/regions/gwangyang/offer",
            """{"accelerators": [{"type": "H100", "count": 64}], "from": "2026-01-01T00:00:00Z", "until": "2026-02-01T00:00:00Z", "preemptible": true, "reclaimGraceSeconds": 120}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var region = await ServerHost.ReadAsync<RegionView>(response);
        Assert.Equal(["H100=64"], region.Offer.Accelerators.Select(a => $"{a.Type}={a.Count}"));
        Assert.Equal((true, 120.0), (region.Offer.Preemptible, region.Offer.ReclaimGraceSeconds));
        Assert.Equal(new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero), region.Offer.Until);
        var again = await ServerHost.ReadAsync<RegionView>(await _server.Client.GetAsync("api/regions/gwangyang"));
        Assert.Equal(region.Offer.Accelerators.ToArray(), again.Offer.Accelerators.ToArray());
    }

    [Fact]
    public async Task Two_operators_cannot_overwrite_each_other_unseen_If_Match_makes_the_second_change_412()
    {
        // Both read the region (the same ETag); the first one's change lands and moves the ETag on.
        using var read = await _server.Client.GetAsync("api/regions/gwangyang");
        var etag = read.Headers.ETag!.Tag;
        var before = await ServerHost.ReadAsync<RegionView>(read);
        Assert.Equal($"\"{before.Version}\"", etag);

        using var first = await SendAsync(HttpMethod.Put, "api/regions/gwangyang/offer", """{"accelerators": [{"type": "H100", "count": 64}]}""", etag);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var firstETag = first.Headers.ETag!.Tag;
        var afterFirst = await ServerHost.ReadAsync<RegionView>(first);
        Assert.Equal(before.Version + 1, afterFirst.Version);
        Assert.Equal($"\"{afterFirst.Version}\"", firstETag);

        // The second, made on what it read before, is refused and changes nothing: the offer is the first one's.
        using var second = await SendAsync(HttpMethod.Put, "api/regions/gwangyang/offer", """{"accelerators": [{"type": "H100", "count": 8}]}""", etag);
        var problem = await Problem.AssertAsync(second, HttpStatusCode.PreconditionFailed, "If-Match", $"gwangyang changed since it was read (version {before.Version}; now {afterFirst.Version})");
        Assert.Equal($"\"{afterFirst.Version}\"", problem["currentETag"]!.GetValue<string>());
        using var drain = await SendAsync(HttpMethod.Post, "api/regions/gwangyang/drain", """{"drain": true}""", etag);
        await Problem.AssertAsync(drain, HttpStatusCode.PreconditionFailed, "If-Match", "gwangyang changed since it was read");
        var now = await ServerHost.ReadAsync<RegionView>(await _server.Client.GetAsync("api/regions/gwangyang"));
        Assert.Equal(["H100=64"], now.Offer.Accelerators.Select(a => $"{a.Type}={a.Count}"));
        Assert.Equal((false, afterFirst.Version), (now.Draining, now.Version));

        // With the ETag read again, or with *, it goes through; a malformed one is a 400 naming If-Match.
        using var fresh = await SendAsync(HttpMethod.Post, "api/regions/gwangyang/drain", """{"drain": true}""", firstETag);
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        using var any = await SendAsync(HttpMethod.Post, "api/regions/gwangyang/drain", """{"drain": false}""", "*");
        Assert.Equal(HttpStatusCode.OK, any.StatusCode);
        using var bad = await SendAsync(HttpMethod.Post, "api/regions/gwangyang/drain", """{"drain": true}""", "\"seven\"");
        await Problem.AssertAsync(bad, HttpStatusCode.BadRequest, "If-Match", "must be the region's ETag");
        Assert.False((await ServerHost.ReadAsync<RegionView>(await _server.Client.GetAsync("api/regions/gwangyang"))).Draining);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string json, string ifMatch)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return await _server.Client.SendAsync(request);
    }

    [Fact]
    public async Task Drain_stops_admission_and_undo_returns_the_region_to_service()
    {
        using var drained = await _server.PostJsonAsync("api/regions/daegu/drain", "");
        var draining = await ServerHost.ReadAsync<RegionView>(drained);

        using var undone = await _server.PostJsonAsync("api/regions/daegu/drain", """{"drain": false}""");
        var back = await ServerHost.ReadAsync<RegionView>(undone);

        Assert.Equal(HttpStatusCode.OK, drained.StatusCode);
        Assert.True(draining.Draining);
        Assert.Equal(HttpStatusCode.OK, undone.StatusCode);
        Assert.False(back.Draining);
    }

    [Fact]
    public async Task Megaregion_aggregates_capacity_and_busy_over_the_regions()
    {
        using var job = await _server.PostJsonAsync("api/jobs", Jobs.Request("m-1", count: 16).ToJsonString());
        Assert.Equal(HttpStatusCode.Created, job.StatusCode);
        var regions = await ServerHost.ReadAsync<List<RegionView>>(await _server.Client.GetAsync("api/regions"));

        var view = await ServerHost.ReadAsync<MegaregionView>(await _server.Client.GetAsync("api/megaregion"));

        Assert.Equal(["daegu", "gwangju", "gwangyang", "suncheon"], view.Regions.Select(r => r.Id).Order(StringComparer.Ordinal));
        Assert.Equal(regions.Sum(r => r.Pools.Sum(p => p.Count)), view.TotalCapacity);
        Assert.Equal(view.Regions.Sum(r => r.Capacity), view.TotalCapacity);
    }
}

/// <summary>Bad requests to /api/regions: each names the field or id and changes nothing, so the tests share one server.</summary>
public sealed class RegionsApiBadRequestTests(SharedServer shared) : IClassFixture<SharedServer>
{
    private readonly ServerHost _server = shared.Server;

    [Theory]
    [InlineData("GET", "api/regions/busan")]
    [InlineData("PUT", "api/regions/busan/offer")]
    [InlineData("POST", "api/regions/busan/drain")]
    public async Task An_unknown_region_is_404_naming_id(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = method == "GET" ? null : new StringContent("{}", System.Text.Encoding.UTF8, "application/json"),
        };

        using var response = await _server.Client.SendAsync(request);

        await Problem.AssertAsync(response, HttpStatusCode.NotFound, "id", "unknown region 'busan'");
    }

    [Theory]
    [InlineData("""{"accelerators": [{"type": "A100", "count": 8}]}""", "accelerators[0].type", "has no 'A100' pool")]
    [InlineData("""{"accelerators": [{"type": "H100", "count": 9999}]}""", "accelerators[0].count", "must be between 0 and the pool's 384")]
    [InlineData("""{"accelerators": [{"type": "H100", "count": -1}]}""", "accelerators[0].count", "must be between 0")]
    [InlineData("""{"accelerators": [{"type": "H100", "count": 1}, {"type": "H100", "count": 2}]}""", "accelerators[1].type", "listed twice")]
    [InlineData("""{"from": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"}""", "until", "must be after from")]
    [InlineData("""{"from": "yesterday"}""", "from", "must be an ISO 8601 date-time")]
    [InlineData("""{"preemptible": "maybe"}""", "preemptible", "must be true or false")]
    [InlineData("""{"preemptible": true, "reclaimGraceSeconds": -1}""", "reclaimGraceSeconds", "must be a finite number of seconds >= 0")]
    [InlineData("", "body", "a JSON body is required")]
    public async Task A_bad_offer_is_400_naming_the_field_and_changes_nothing(string body, string field, string message)
    {
        var before = await _server.SnapshotAsync();

        using var response = await _server.PutJsonAsync("api/regions/gwangyang/offer", body);

        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, field, message);
        Assert.Equal(before, await _server.SnapshotAsync());
    }

    [Fact]
    public async Task A_bad_drain_body_is_400_naming_the_field_and_changes_nothing()
    {
        var before = await _server.SnapshotAsync();

        using var response = await _server.PostJsonAsync("api/regions/daegu/drain", """{"drain": "yes"}""");

        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "drain", "must be true or false");
        Assert.Equal(before, await _server.SnapshotAsync());
    }
}

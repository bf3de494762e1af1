using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Federation.Server.Live;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Server.Tests.Console;

/// <summary>
/// <c>GET /api/live</c> over real HTTP: a snapshot on connect, another after a change, every stream gets it, a stream
/// that goes away is removed. The server's jobs run on a manual clock; the feed runs on the system clock at 100 ms.
/// </summary>
public sealed class LiveFeedTests : IAsyncLifetime
{
    private ServerHost _server = null!;

    public async Task InitializeAsync() =>
        _server = await ServerHost.StartAsync(null, "--Federation:Live:Period=00:00:00.100", "--Federation:Live:KeepAlive=00:00:00.200");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private MegaregionFeed Feed => _server.Services.GetRequiredService<MegaregionFeed>();

    [Fact]
    public async Task A_stream_gets_a_snapshot_on_connect_and_another_when_a_job_changes_a_region()
    {
        await using var stream = await SseReader.OpenAsync(_server.Client);
        Assert.Equal("text/event-stream", stream.Response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-cache", stream.Response.Headers.CacheControl?.ToString());

        var preamble = await stream.NextAsync();
        Assert.Equal("2000", preamble.Retry);
        var first = await stream.NextEventAsync();
        var snapshot = first.Json;
        Assert.Equal(["at", "megaregion", "regions"], snapshot.Select(p => p.Key).ToArray());
        Assert.True(DateTimeOffset.TryParse(snapshot["at"]!.GetValue<string>(), CultureInfo.InvariantCulture, out _));
        Assert.Equal(["gwangju", "suncheon", "gwangyang", "daegu"], Ids(snapshot["regions"]!));
        Assert.Equal(["gwangju", "suncheon", "gwangyang", "daegu"], Ids(snapshot["megaregion"]!["regions"]!));
        Assert.Equal(0, Busy(snapshot, "gwangju"));
        Assert.True(snapshot["regions"]![0]!["pools"]!.AsArray().Count > 0);

        // The snapshot is what the REST API answers, field for field (the megaregion's reading time aside).
        var regions = await _server.GetJsonAsync("api/regions");
        Assert.Equal(regions.ToJsonString(), snapshot["regions"]!.ToJsonString());

        using var submitted = await _server.PostJsonAsync("api/jobs", Jobs.Request("live-1", count: 8).ToJsonString());
        Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);

        var changed = await stream.UntilAsync(s => Busy(s, "gwangju") == 8 && s["megaregion"]!["regions"]![0]!["busy"]!.GetValue<int>() == 8);
        Assert.Equal(8, changed.Json["regions"]![0]!["pools"]!.AsArray().Single(p => p!["type"]!.GetValue<string>() == "H100")!["busy"]!.GetValue<int>());
        Assert.Equal(1, changed.Json["regions"]![0]!["runningJobs"]!.GetValue<int>());
        Assert.True(long.Parse(changed.Id!, CultureInfo.InvariantCulture) > long.Parse(first.Id!, CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Two_streams_both_get_the_change()
    {
        await using var a = await SseReader.OpenAsync(_server.Client);
        await using var b = await SseReader.OpenAsync(_server.Client);
        Assert.Equal(0, Busy((await a.NextEventAsync()).Json, "daegu"));
        Assert.Equal(0, Busy((await b.NextEventAsync()).Json, "daegu"));
        Assert.Equal(2, Feed.SubscriberCount);

        using var submitted = await _server.PostJsonAsync("api/jobs", Jobs.Request("live-2", home: "daegu", count: 16).ToJsonString());
        Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);

        Assert.Equal(16, Busy((await a.UntilAsync(s => Busy(s, "daegu") != 0)).Json, "daegu"));
        Assert.Equal(16, Busy((await b.UntilAsync(s => Busy(s, "daegu") != 0)).Json, "daegu"));
    }

    [Fact]
    public async Task A_stream_that_goes_away_is_removed_and_a_quiet_stream_gets_keepalives()
    {
        var stream = await SseReader.OpenAsync(_server.Client);
        await stream.NextEventAsync();
        Assert.Equal(1, Feed.SubscriberCount);

        // Nothing changes (once the megaregion's view has caught up with the regions' first reports): the stream hears
        // a comment every KeepAlive (200 ms here).
        var next = await stream.NextAsync();
        for (var i = 0; i < 20 && next.Event == "snapshot"; i++)
        {
            next = await stream.NextAsync();
        }

        Assert.Equal("keepalive", next.Comment);
        Assert.Null(next.Event);

        await stream.DisposeAsync();
        Assert.True(await EventuallyAsync(() => Feed.SubscriberCount == 0), $"subscribers: {Feed.SubscriberCount}");
    }

    private static string[] Ids(JsonNode regions) => [.. regions.AsArray().Select(r => r!["id"]!.GetValue<string>())];

    private static int Busy(JsonObject snapshot, string region) =>
        snapshot["regions"]!.AsArray().Single(r => r!["id"]!.GetValue<string>() == region)!["pools"]!.AsArray().Sum(p => p!["busy"]!.GetValue<int>());

    /// <summary>Polls <paramref name="condition"/> until it holds, for at most 30 s.</summary>
    internal static async Task<bool> EventuallyAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(20);
        }

        return true;
    }
}

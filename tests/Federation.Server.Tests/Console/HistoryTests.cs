using System.Net;
using System.Text.Json.Nodes;

namespace Federation.Server.Tests.Console;

/// <summary><c>GET /api/regions/{id}/history</c>: samples taken by the feed every 100 ms here, and its bad requests.</summary>
public sealed class HistoryTests(HistoryTests.Host host) : IClassFixture<HistoryTests.Host>
{
    private readonly ServerHost _server = host.Server;

    [Fact]
    public async Task Samples_show_a_region_s_load_after_the_sampler_ran()
    {
        using var submitted = await _server.PostJsonAsync("api/jobs", Jobs.Request("hist-1", home: "gwangyang", count: 8).ToJsonString());
        Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);
        var region = await _server.GetJsonAsync("api/regions/gwangyang");

        JsonObject? history = null;
        JsonNode? busySample = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (busySample is null && DateTime.UtcNow < deadline)
        {
            history = (JsonObject)await _server.GetJsonAsync("api/regions/gwangyang/history");
            busySample = history["samples"]!.AsArray().FirstOrDefault(s => s!["busy"]!.GetValue<int>() == 8);
            if (busySample is null)
            {
                await Task.Delay(50);
            }
        }

        Assert.NotNull(busySample);
        Assert.NotNull(history);
        Assert.Equal(["region", "intervalSeconds", "since", "hours", "samples"], history!.Select(p => p.Key).ToArray());
        Assert.Equal("gwangyang", history["region"]!.GetValue<string>());
        Assert.Equal(0.1, history["intervalSeconds"]!.GetValue<double>());
        Assert.Equal(6, history["hours"]!.GetValue<int>());
        Assert.Equal(
            ["at", "busy", "capacity", "externalBusy", "queuedJobs", "queuedDemand", "runningJobs", "busyByType"],
            busySample!.AsObject().Select(p => p.Key).ToArray());
        Assert.Equal(region["pools"]!.AsArray().Sum(p => p!["count"]!.GetValue<int>()), busySample!["capacity"]!.GetValue<int>());
        Assert.Equal(0, busySample!["externalBusy"]!.GetValue<int>());
        Assert.Equal(1, busySample!["runningJobs"]!.GetValue<int>());
        Assert.Equal(0, busySample!["queuedJobs"]!.GetValue<int>());
        Assert.Equal("""{"H100":8}""", busySample!["busyByType"]!.ToJsonString());

        var since = DateTimeOffset.Parse(history["since"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        var times = history["samples"]!.AsArray().Select(s => DateTimeOffset.Parse(s!["at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(times[0] >= since, $"first sample {times[0]:O} before since {since:O}");
        Assert.Equal(times.OrderBy(t => t).ToList(), times);

        var oneHour = (JsonObject)await _server.GetJsonAsync("api/regions/gwangyang/history?hours=1");
        Assert.Equal(1, oneHour["hours"]!.GetValue<int>());
        Assert.NotEmpty(oneHour["samples"]!.AsArray());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("25")]
    [InlineData("six")]
    [InlineData("1.5")]
    [InlineData("")]
    public async Task A_bad_hours_is_a_400_naming_hours(string hours)
    {
        using var response = await _server.Client.GetAsync($"api/regions/gwangju/history?hours={hours}");
        await Problem.AssertAsync(response, HttpStatusCode.BadRequest, "hours", "must be a whole number of hours from 1 to 24");
    }

    [Fact]
    public async Task An_unknown_region_is_a_404_naming_id()
    {
        using var response = await _server.Client.GetAsync("api/regions/jeju/history");
        await Problem.AssertAsync(response, HttpStatusCode.NotFound, "id", "unknown region 'jeju'");
    }

    /// <summary>One server for the class: only the first test changes anything on it (one job in gwangyang).</summary>
    public sealed class Host : IAsyncLifetime
    {
        public ServerHost Server { get; private set; } = null!;

        public async Task InitializeAsync() => Server = await ServerHost.StartAsync(null, "--Federation:Live:HistoryInterval=00:00:00.100");

        public async Task DisposeAsync() => await Server.DisposeAsync();
    }
}

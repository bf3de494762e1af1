using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace Federation.Server.Tests;

/// <summary>
/// The limit on changes per caller (<c>Federation:RateLimit</c>): past its burst a caller's changes are refused with 429,
/// <c>Retry-After</c> and problem details, and change nothing; its reads are never limited. The limit here is one change a
/// minute after a burst of two, so the third change within the test is refused whatever the machine's speed.
/// </summary>
public sealed class RateLimitTests
{
    [Fact]
    public async Task Changes_past_the_burst_are_refused_with_429_and_Retry_After_and_change_nothing_while_reads_go_on()
    {
        await using var server = await ServerHost.StartAsync(null, "--Federation:RateLimit:ChangesPerMinute=1", "--Federation:RateLimit:Burst=2");

        using (var first = await server.PostJsonAsync("api/jobs", Jobs.Request("limited-1").ToJsonString()))
        {
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        }

        using (var second = await server.PostJsonAsync("api/jobs", Jobs.Request("limited-2").ToJsonString()))
        {
            Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        }

        using var third = await server.PostJsonAsync("api/jobs", Jobs.Request("limited-3").ToJsonString());
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Equal("application/problem+json", third.Content.Headers.ContentType?.MediaType);
        var retryAfter = int.Parse(Assert.Single(third.Headers.GetValues("Retry-After")), CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 60);
        var problem = JsonNode.Parse(await third.Content.ReadAsStringAsync())!;
        Assert.Equal(429, problem["status"]!.GetValue<int>());
        Assert.Equal($"more than 2 changes at once, or 1 a minute, from this caller; nothing was changed; retry after {retryAfter} s", problem["detail"]!.GetValue<string>());

        // Nothing changed: the refused job does not exist, and a refused cancel leaves its job as it was.
        using (var refused = await server.Client.GetAsync("api/jobs/limited-3"))
        {
            Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        }

        var before = (await server.GetJsonAsync("api/jobs/limited-1"))["state"]!.GetValue<string>();
        using (var cancel = await server.Client.DeleteAsync("api/jobs/limited-1"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, cancel.StatusCode);
        }

        // Reads are not limited.
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(before, (await server.GetJsonAsync("api/jobs/limited-1"))["state"]!.GetValue<string>());
        }

        Assert.Equal(2, (await server.GetJsonAsync("api/jobs"))["total"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("--Federation:RateLimit:ChangesPerMinute=-1", "Federation:RateLimit:ChangesPerMinute must be from 0 (no limit) to 10000000, was -1.")]
    [InlineData("--Federation:RateLimit:Burst=0", "Federation:RateLimit:Burst must be from 1 to 10000000, was 0.")]
    public async Task A_bad_limit_stops_the_server_at_start_naming_it(string arg, string message)
    {
        var e = await Assert.ThrowsAsync<OptionsValidationException>(() => ServerHost.StartAsync(null, arg));
        Assert.Contains(message, e.Failures);
    }
}

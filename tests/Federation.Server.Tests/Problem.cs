using System.Net;
using System.Text.Json.Nodes;

namespace Federation.Server.Tests;

internal static class Problem
{
    /// <summary>Asserts an RFC 7807 answer with <paramref name="status"/> whose errors name <paramref name="field"/> with a message containing <paramref name="message"/>.</summary>
    public static async Task<JsonObject> AssertAsync(HttpResponseMessage response, HttpStatusCode status, string field, string message)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = (JsonObject)JsonNode.Parse(body)!;
        Assert.Equal((int)status, problem["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrEmpty(problem["title"]?.GetValue<string>()));
        var errors = problem["errors"] as JsonObject;
        Assert.True(errors is not null && errors.ContainsKey(field), $"errors should name '{field}': {body}");
        var messages = errors![field]!.AsArray().Select(m => m!.GetValue<string>()).ToList();
        Assert.True(messages.Any(m => m.Contains(message, StringComparison.Ordinal)), $"errors.{field} should contain '{message}': {body}");
        return problem;
    }
}

internal static class Jobs
{
    /// <summary>A valid request: 8 H100 for 2 hours from Gwangju with 100 GB of data there.</summary>
    public static JsonObject Request(string? id = null, string project = "p-llm", string home = "gwangju", int count = 8)
    {
        var request = new JsonObject
        {
            ["project"] = project,
            ["owner"] = "kim",
            ["homeRegion"] = home,
            ["accelerators"] = new JsonObject { ["count"] = count, ["types"] = new JsonArray("H100"), ["minMemoryGb"] = 40 },
            ["durationHours"] = 2,
            ["dataset"] = new JsonObject { ["region"] = home, ["sizeGb"] = 100 },
            ["priority"] = 1,
        };
        if (id is not null)
        {
            request["id"] = id;
        }

        return request;
    }
}

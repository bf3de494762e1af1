using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Federation.TestKit;

namespace Federation.Server.Tests;

/// <summary>
/// Property-based fuzzing of every state-changing and reading endpoint with malformed, oversized and hostile requests
/// (FsCheck, seeded and bounded): never a 5xx; every 4xx is problem details naming at least one field; and a 4xx
/// changes nothing (the regions' offers, drain states and versions, their queues and running jobs, the job count, the
/// residency classes and the newest entry of the audit table, read through the API before and after). A request that happens to be valid may change state: the next ones are
/// compared with the state it left. The server runs on a manual clock, so nothing changes by itself.
/// <c>FEDERATION_FUZZ_SEED</c> replays another seed.
/// </summary>
public sealed class FuzzTests : IAsyncLifetime
{
    private const int Requests = 2500;
    private const ulong DefaultSeed = 20261207;

    private ServerHost _server = null!;
    private string _state = "";
    private int _count;
    private readonly Dictionary<int, int> _statuses = [];

    public async Task InitializeAsync()
    {
        // Without the limit on changes per caller (RateLimitTests covers it): thousands of requests from one address
        // would otherwise be refused with 429 before their input is even read.
        _server = await ServerHost.StartAsync(null, "--Federation:RateLimit:ChangesPerMinute=0");
        using var residency = await _server.PutJsonAsync("api/residency/kr-fuzz", """{"regions": ["gwangju", "daegu"]}""");
        Assert.Equal(HttpStatusCode.Created, residency.StatusCode);
        var existing = Jobs.Request("fuzz-existing");
        existing["dataset"]!["residency"] = "kr-fuzz";
        using var job = await _server.PostJsonAsync("api/jobs", existing.ToJsonString());
        Assert.Equal(HttpStatusCode.Created, job.StatusCode);
        _state = await StateAsync();
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public void Hostile_requests_never_get_a_5xx_and_a_4xx_names_its_field_and_changes_nothing()
    {
        var seed = ulong.TryParse(Environment.GetEnvironmentVariable("FEDERATION_FUZZ_SEED"), out var s) ? s : DefaultSeed;
        var config = Config.QuickThrowOnFailure.WithMaxTest(Requests).WithReplay(seed, 0x9E3779B97F4A7C15UL);
        var property = Prop.ForAll(Arb.From(FuzzRequests.Any), request => Task.Run(() => CheckAsync(request)).GetAwaiter().GetResult());

        Check.One(config, property);

        Assert.Equal(Requests, _count);
        // The fuzzing reached the server's refusals of every kind, not only one (the counts are in the test's output on failure).
        Assert.True(_statuses.Keys.Count(k => k is >= 400 and < 500) >= 4, string.Join(", ", _statuses.Select(p => $"{p.Key}: {p.Value}")));
    }

    private async Task<bool> CheckAsync(FuzzRequest request)
    {
        _count++;
        using var message = request.ToMessage();
        using var response = await _server.Client.SendAsync(message);
        var status = (int)response.StatusCode;
        _statuses[status] = _statuses.GetValueOrDefault(status) + 1;
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status < 500, $"{request}: {status} {body}");
        Assert.True(request.Authorization is null || status == 401 || request.Path.Contains("%00", StringComparison.Ordinal), $"{request}: a hostile token got {status} {body}");
        if (status < 400)
        {
            // A valid request (the generator makes some): what it changed is the new state to compare with.
            _state = await StateAsync();
            return true;
        }

        if (status == 400 && body.Length == 0 && request.Path.Contains("%00", StringComparison.Ordinal))
        {
            // Kestrel refuses a NUL in the request target itself, before any of the server's code runs.
            Assert.Equal(_state, await StateAsync());
            return true;
        }

        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{request}: {status} is not problem details: {body}");
        var errors = JsonNode.Parse(body)?["errors"] as JsonObject;
        Assert.True(errors is { Count: > 0 } && errors.All(e => e.Value is JsonArray { Count: > 0 }), $"{request}: {status} names no field: {body}");
        var now = await StateAsync();
        Assert.True(now == _state, $"{request}: {status} changed the state:\nbefore {_state}\nafter  {now}");
        return true;
    }

    /// <summary>What a refused request must not change: each region's offer, drain state, version, queue and running jobs, the job count and the residency policy.</summary>
    private async Task<string> StateAsync()
    {
        var regions = JsonNode.Parse(await _server.Client.GetStringAsync("api/regions"))!.AsArray();
        var jobs = JsonNode.Parse(await _server.Client.GetStringAsync("api/jobs?limit=1"))!;
        var text = new StringBuilder();
        foreach (var r in regions)
        {
            text.Append(r!["id"]).Append(' ').Append(r["offer"]!.ToJsonString()).Append(" draining=").Append(r["draining"])
                .Append(" v").Append(r["version"]).Append(" queued=").Append(r["queuedJobs"]).Append(" running=").Append(r["runningJobs"]).Append("; ");
        }

        // Every change writes an audit entry: a refused request must add none.
        var audit = JsonNode.Parse(await _server.Client.GetStringAsync("api/audit?limit=1"))!["entries"]!.AsArray();
        var newest = audit.Count == 0 ? "none" : audit[0]!["sequence"]!.ToJsonString();
        return text.Append("jobs=").Append(jobs["total"]).Append(" residency=").Append(await _server.Client.GetStringAsync("api/residency"))
            .Append(" audit=").Append(newest).ToString();
    }
}

/// <summary>One generated request: method, path and query, content type, body bytes and extra headers.</summary>
public sealed record FuzzRequest(string Method, string Path, string? ContentType, byte[]? Body, string? IfMatch, string? Authorization = null)
{
    public HttpRequestMessage ToMessage()
    {
        var message = new HttpRequestMessage(new HttpMethod(Method), Path);
        if (Body is not null)
        {
            message.Content = new ByteArrayContent(Body);
            message.Content.Headers.ContentType = ContentType is null ? null : MediaTypeHeaderValue.TryParse(ContentType, out var type) ? type : null;
            if (ContentType is not null && message.Content.Headers.ContentType is null)
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
            }
        }

        if (IfMatch is not null)
        {
            message.Headers.TryAddWithoutValidation("If-Match", IfMatch);
        }

        if (Authorization is not null)
        {
            // In place of the client's coordinator token.
            message.Headers.TryAddWithoutValidation("Authorization", Authorization);
        }

        return message;
    }

    public override string ToString()
    {
        var body = Body is null ? "" : Encoding.UTF8.GetString(Body);
        return $"{Method} {Path} [{ContentType ?? "no content type"}]{(IfMatch is null ? "" : $" If-Match {IfMatch}")}{(Authorization is null ? "" : $" Authorization {(Authorization.Length > 80 ? Authorization[..80] + "…" : Authorization)}")} {(body.Length > 300 ? body[..300] + $"… ({body.Length} bytes)" : body)}";
    }
}

/// <summary>The generators: valid requests taken apart and filled with hostile values, and hostile paths, queries and bodies.</summary>
internal static class FuzzRequests
{
    private const string Json = "application/json";

    private static readonly string[] Regions = ["gwangju", "suncheon", "gwangyang", "daegu"];

    /// <summary>Values no field expects, of every JSON type: empty, huge, control characters, injections, extremes.</summary>
    private static readonly Gen<JsonNode?> Hostile = Gen.OneOf(
        Gen.Elements<Func<JsonNode?>>(
            () => null,
            () => "",
            () => " ",
            () => new string('x', 5000),
            () => "\u0000",
            () => "kim\u0007\u001b[31m",
            () => "\u202Egwangju",
            () => "gwangju\n",
            () => "../../etc/passwd",
            () => "<script>alert(1)</script>",
            () => "'; DROP TABLE jobs; --",
            () => "🚀🚀🚀",
            () => -1,
            () => 0,
            () => 2147483647,
            () => 2147483648L,
            () => -2147483649L,
            () => 1e308,
            () => -1e308,
            () => 5e-324,
            () => 0.5,
            () => true,
            () => new JsonArray(),
            () => new JsonObject(),
            () => new JsonArray("H100", "H100", "H100"),
            () => new JsonArray(Enumerable.Range(0, 3000).Select(i => (JsonNode?)$"r{i}").ToArray()),
            () => new JsonObject { ["drain"] = true, ["nested"] = new JsonObject { ["deeper"] = new JsonArray(1, 2) } }).Select(f => f()),
        Gen.Choose(-100_000, 100_000).Select(i => (JsonNode?)i),
        Gen.Elements(Regions).Select(r => (JsonNode?)r));

    private static readonly string[] JobFields = ["id", "project", "owner", "homeRegion", "accelerators", "accelerators.count", "accelerators.types", "accelerators.minMemoryGb", "durationHours", "dataset", "dataset.region", "dataset.sizeGb", "dataset.residency", "allowedRegions", "priority", "run", "run.script", "run.environment", "run.workingDirectory", "run.image", "run.checkpointSignal", "allowedRegion", "ownerr", "__proto__"];

    /// <summary>A valid job request with one to three fields removed or set to hostile values.</summary>
    private static readonly Gen<FuzzRequest> Submit =
        from id in Gen.Choose(0, 1_000_000)
        from n in Gen.Choose(1, 3)
        from edits in Gen.ListOf(Gen.Elements(JobFields).SelectMany(field => Hostile.Select(value => (field, value))), n)
        select Body("POST", "api/jobs", Mutate(Jobs.Request($"fuzz-{id}"), edits));

    private static readonly Gen<FuzzRequest> Offer =
        from region in Gen.OneOf(Gen.Elements(Regions), Gen.Elements("jeju", "%00", "gwangju%2Fdrain", new string('r', 300)))
        from type in Gen.OneOf(Gen.Elements("H100", "A100", "TPU"), Hostile.Select(v => v?.ToJsonString() ?? "null"))
        from count in Hostile
        from n in Gen.Choose(0, 2)
        from edits in Gen.ListOf(Gen.Elements("accelerators", "from", "until", "preemptible", "reclaimGraceSeconds", "window").SelectMany(f => Hostile.Select(v => (f, v))), n)
        from ifMatch in Gen.Elements<string?>(null, "\"0\"", "\"999\"", "*", "garbage", "W/\"0\"")
        select Body("PUT", $"api/regions/{region}/offer", Mutate(new JsonObject { ["accelerators"] = new JsonArray(new JsonObject { ["type"] = type, ["count"] = count }) }, edits)) with { IfMatch = ifMatch };

    private static readonly Gen<FuzzRequest> Drain =
        from region in Gen.OneOf(Gen.Elements(Regions), Gen.Elements("busan", "..", "%20"))
        from drain in Hostile
        from requeue in Hostile
        from ifMatch in Gen.Elements<string?>("\"12345\"", "bogus", "\"-1\"")
        select Body("POST", $"api/regions/{region}/drain", new JsonObject { ["drain"] = drain, ["requeueQueued"] = requeue }) with { IfMatch = ifMatch };

    private static readonly Gen<FuzzRequest> Reads =
        from what in Gen.Elements("state", "region", "project", "owner", "limit", "after", "order", "actor", "target", "action", "before")
        from value in Gen.Elements("", "bogus", "-1", "0", "1001", "99999999999999999999", "%00", "Running", "newest", new string('q', 3000), "gwangju%0d%0aSet-Cookie:x")
        from path in Gen.Elements($"api/jobs?{what}={value}", $"api/audit?{what}={value}", $"api/jobs/{value}", $"api/regions/{value}", $"api/regions/{value}/history?hours={value}", $"api/regions/gwangju/history?hours={value}")
        select new FuzzRequest("GET", path, null, null, null);

    private static readonly Gen<string> ResidencyClassNames = Gen.Elements("kr-fuzz", "kr-new", "Bad_Name", "-x", "a%00b", "kr fuzz", new string('c', 300), "%F0%9F%9A%80");

    private static readonly Gen<FuzzRequest> Residency =
        from name in ResidencyClassNames
        from n in Gen.Choose(0, 2)
        from edits in Gen.ListOf(Gen.Elements("regions", "name", "regionz").SelectMany(f => Hostile.Select(v => (f, v))), n)
        from ifMatch in Gen.Elements<string?>(null, null, "\"1\"", "\"999\"", "*", "garbage")
        from method in Gen.Elements("PUT", "PUT", "DELETE", "GET")
        select method == "PUT"
            ? Body("PUT", $"api/residency/{name}", Mutate(new JsonObject { ["regions"] = new JsonArray("gwangju") }, edits)) with { IfMatch = ifMatch }
            : new FuzzRequest(method, $"api/residency/{name}", null, null, ifMatch);

    private static readonly Gen<FuzzRequest> Cancel =
        from id in Gen.Elements("fuzz-missing", "%2e%2e", new string('j', 500), "a%00b", "job with spaces", "%F0%9F%9A%80")
        select new FuzzRequest("DELETE", $"api/jobs/{id}", null, null, null);

    /// <summary>Bodies that are not a JSON object: truncated, invalid UTF-8, deep, huge, other media types.</summary>
    private static readonly Gen<FuzzRequest> RawBodies =
        from path in Gen.Elements("api/jobs", "api/regions/daegu/offer", "api/regions/daegu/drain", "api/residency/kr-fuzz")
        from body in Gen.Elements(
            "{\"project\": \"p\",",
            "{\"project\": \"p\"}}",
            "[]",
            "\"just a string\"",
            "{\"accelerators\": " + new string('[', 200) + new string(']', 200) + "}",
            "{\"project\": \"p\", \"project\": \"q\", \"homeRegion\": \"gwangju\"}",
            "{\"project\": \"" + new string('p', 700 * 1024) + "\"}",
            "\uFEFF{\"project\": \"p\"}",
            "{'project': 'p'}",
            "{\"durationHours\": NaN}")
        from invalidUtf8 in Gen.Elements(false, false, false, true)
        from contentType in Gen.Elements<string?>(Json, Json, Json, "application/json; charset=utf-16", "text/plain", "application/x-www-form-urlencoded", null, "application/merge-patch+json", "application/json; boundary=\"")
        select new FuzzRequest(path.EndsWith("offer", StringComparison.Ordinal) || path.StartsWith("api/residency", StringComparison.Ordinal) ? "PUT" : "POST", path, contentType,
            invalidUtf8 ? [0x7B, 0x22, 0x70, 0xC3, 0x28, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D] : Encoding.UTF8.GetBytes(body), null);

    /// <summary>
    /// Requests of the other kinds with a hostile Authorization header instead of the coordinator's token: empty, junk,
    /// 8 KB, another scheme, an unsigned ("alg": "none") coordinator token, the bootstrap token altered. Every one is a 401.
    /// </summary>
    private static readonly Gen<FuzzRequest> HostileTokens =
        from inner in Gen.OneOf(Submit, Offer, Drain, Cancel, Reads, Residency)
        from authorization in Gen.Elements(
            "Bearer",
            "Bearer ",
            "Bearer x.y.z",
            "Bearer " + new string('a', 8000),
            "Basic YWRtaW46YWRtaW4=",
            "Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJtYWxsb3J5Iiwicm9sZSI6ImNvb3JkaW5hdG9yIiwiYXVkIjoibWVnYXJlZ2lvbi1mZWRlcmF0aW9uIiwiaXNzIjoibWVnYXJlZ2lvbi1mZWRlcmF0aW9uIiwiZXhwIjo0MTAyNDQ0ODAwfQ.",
            "Bearer " + TestTokens.Bootstrap + "x",
            "Bearer " + TestTokens.Bootstrap.ToUpperInvariant(),
            "Bearer " + TestTokens.Bootstrap[..^1],
            "Bearer \u0041dmin")
        select inner with { Authorization = authorization };

    public static readonly Gen<FuzzRequest> Any = Gen.Frequency(
        (6, Submit),
        (1, HostileTokens),
        (2, Offer),
        (1, Drain),
        (2, Residency),
        (2, Reads),
        (1, Cancel),
        (2, RawBodies));

    private static FuzzRequest Body(string method, string path, JsonNode body) =>
        new(method, path, Json, Encoding.UTF8.GetBytes(body.ToJsonString()), null);

    /// <summary>Sets (or, for a null value picked half the time, removes) each dotted field.</summary>
    private static JsonObject Mutate(JsonObject request, IEnumerable<(string Field, JsonNode? Value)> edits)
    {
        foreach (var (field, value) in edits)
        {
            var parts = field.Split('.');
            var target = request;
            for (var i = 0; i < parts.Length - 1; i++)
            {
                if (target[parts[i]] is not JsonObject child)
                {
                    child = new JsonObject();
                    target[parts[i]] = child;
                }

                target = child;
            }

            if (value is null && parts[^1].Length % 2 == 0)
            {
                target.Remove(parts[^1]);
            }
            else
            {
                target[parts[^1]] = value?.DeepClone();
            }
        }

        return request;
    }
}

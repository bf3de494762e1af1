using System.Text;
using System.Text.Json.Nodes;

namespace Federation.Server.Tests.Console;

/// <summary>One server-sent event as read from the stream; a comment line is an event of its own with <see cref="Comment"/> set.</summary>
internal sealed record SseEvent(string? Id, string? Event, string? Data, string? Retry, string? Comment)
{
    public JsonObject Json => (JsonObject)JsonNode.Parse(Data!)!;
}

/// <summary>Reads <c>GET /api/live</c> over loopback, one event at a time, each read bounded.</summary>
internal sealed class SseReader : IAsyncDisposable
{
    /// <summary>The longest wait for one event: far above the feed's period, so only a broken feed reaches it.</summary>
    private static readonly TimeSpan ReadBound = TimeSpan.FromSeconds(30);

    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseReader(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    public HttpResponseMessage Response => _response;

    public static async Task<SseReader> OpenAsync(HttpClient client, string path = "api/live")
    {
        var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode}");
        var stream = await response.Content.ReadAsStreamAsync();
        return new SseReader(response, new StreamReader(stream, Encoding.UTF8));
    }

    /// <summary>The next event or comment (a field block ended by a blank line).</summary>
    public async Task<SseEvent> NextAsync()
    {
        using var bound = new CancellationTokenSource(ReadBound);
        string? id = null, kind = null, data = null, retry = null, comment = null;
        while (true)
        {
            var line = await _reader.ReadLineAsync(bound.Token) ?? throw new InvalidOperationException("the stream ended");
            if (line.Length == 0)
            {
                if (id is null && kind is null && data is null && retry is null && comment is null)
                {
                    continue;
                }

                return new SseEvent(id, kind, data, retry, comment);
            }

            if (line.StartsWith(':'))
            {
                comment = line[1..].Trim();
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "id": id = value; break;
                case "event": kind = value; break;
                case "data": data = data is null ? value : data + "\n" + value; break;
                case "retry": retry = value; break;
                default: throw new InvalidOperationException($"unexpected field '{field}' in the stream");
            }
        }
    }

    /// <summary>The next event named <paramref name="kind"/>, skipping comments and the retry block.</summary>
    public async Task<SseEvent> NextEventAsync(string kind = "snapshot")
    {
        while (true)
        {
            var e = await NextAsync();
            if (e.Event is not null)
            {
                Assert.Equal(kind, e.Event);
                return e;
            }
        }
    }

    /// <summary>Snapshots until one satisfies <paramref name="condition"/> (bounded by the per-read bound and a count).</summary>
    public async Task<SseEvent> UntilAsync(Func<JsonObject, bool> condition, int maxEvents = 200)
    {
        for (var i = 0; i < maxEvents; i++)
        {
            var e = await NextEventAsync();
            if (condition(e.Json))
            {
                return e;
            }
        }

        throw new InvalidOperationException($"no snapshot out of {maxEvents} satisfied the condition");
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Federation.Cli;

/// <summary>The server could not be reached at all (refused, DNS, timeout).</summary>
public sealed class ServerUnreachableException : Exception
{
    public ServerUnreachableException(string url, Exception inner)
        : base($"cannot reach the server at {url}: {inner.Message}", inner)
    {
        Url = url;
    }

    public ServerUnreachableException()
    {
        Url = "";
    }

    public ServerUnreachableException(string message)
        : base(message)
    {
        Url = "";
    }

    public string Url { get; }
}

/// <summary>The server answered with an error (RFC 7807 problem details when it is ours).</summary>
public sealed class ApiProblemException : Exception
{
    public ApiProblemException(int status, string title, string? detail, IReadOnlyDictionary<string, string[]> errors, string body)
        : base($"{status} {title}{(detail is null ? "" : ": " + detail)}")
    {
        Status = status;
        Title = title;
        Detail = detail;
        Errors = errors;
        Body = body;
    }

    public ApiProblemException()
    {
        Title = "";
        Errors = new Dictionary<string, string[]>();
        Body = "";
    }

    public ApiProblemException(string message)
        : base(message)
    {
        Title = message;
        Errors = new Dictionary<string, string[]>();
        Body = "";
    }

    public ApiProblemException(string message, Exception inner)
        : base(message, inner)
    {
        Title = message;
        Errors = new Dictionary<string, string[]>();
        Body = "";
    }

    public int Status { get; }

    public string Title { get; }

    public string? Detail { get; }

    /// <summary>Field name to messages.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; }

    /// <summary>The raw answer, for <c>--json</c>.</summary>
    public string Body { get; }
}

/// <summary>A successful answer: its status and raw JSON body, decoded on demand.</summary>
public sealed record ApiResponse(HttpStatusCode Status, string Body)
{
    public T As<T>() => JsonSerializer.Deserialize<T>(Body, FederationClient.Json) ?? throw new InvalidDataException("the server answered null");
}

/// <summary>A thin client of the REST API that turns transport failures and problem answers into exceptions.</summary>
public sealed class FederationClient : IDisposable
{
    /// <summary>The wire format: camelCase, as the server writes it.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly HttpClient _http;
    private readonly string _server;

    /// <summary>A client of <paramref name="server"/> sending <paramref name="token"/> as its bearer token (none: only /health answers).</summary>
    public FederationClient(string server, string? token, HttpMessageHandler? handler = null)
    {
        _server = server.TrimEnd('/');
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _http.BaseAddress = new Uri(_server + "/");
        _http.Timeout = TimeSpan.FromSeconds(60);
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (token is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    public Task<ApiResponse> GetAsync(string path, CancellationToken cancellationToken) => SendAsync(HttpMethod.Get, path, null, cancellationToken);

    public Task<ApiResponse> DeleteAsync(string path, CancellationToken cancellationToken) => SendAsync(HttpMethod.Delete, path, null, cancellationToken);

    public Task<ApiResponse> PostAsync(string path, JsonNode? body, CancellationToken cancellationToken) => SendAsync(HttpMethod.Post, path, body, cancellationToken);

    public Task<ApiResponse> PutAsync(string path, JsonNode body, CancellationToken cancellationToken) => SendAsync(HttpMethod.Put, path, body, cancellationToken);

    public void Dispose() => _http.Dispose();

    private async Task<ApiResponse> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(Json), Encoding.UTF8, "application/json");
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new ServerUnreachableException(_server, e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ServerUnreachableException(_server, new TimeoutException($"no answer within {_http.Timeout.TotalSeconds} s", e));
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return new ApiResponse(response.StatusCode, text);
            }

            throw ToProblem((int)response.StatusCode, response.ReasonPhrase, text);
        }
    }

    private static ApiProblemException ToProblem(int status, string? reason, string body)
    {
        var title = reason ?? "error";
        string? detail = null;
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        try
        {
            if (JsonNode.Parse(body) is JsonObject problem)
            {
                title = problem["title"]?.GetValue<string>() ?? title;
                detail = problem["detail"]?.GetValue<string>();
                if (problem["errors"] is JsonObject fields)
                {
                    foreach (var (field, messages) in fields)
                    {
                        errors[field] = messages is JsonArray a ? a.Select(m => m?.ToString() ?? "").ToArray() : [messages?.ToString() ?? ""];
                    }
                }
            }
        }
        catch (JsonException)
        {
            detail = body.Length > 200 ? body[..200] : body;
        }

        return new ApiProblemException(status, title, string.IsNullOrEmpty(detail) ? null : detail, errors, body);
    }
}

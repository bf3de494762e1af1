using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Federation.Grains.Execution.Slurm;

/// <summary>One job as slurmrestd lists it (the fields the executor reads).</summary>
/// <param name="JobId">Slurm's id.</param>
/// <param name="Name">The job's name (the federation's job id).</param>
/// <param name="Comment">The job's comment (<c>federation:&lt;region&gt;:&lt;job id&gt;</c>), or null.</param>
/// <param name="State">Slurm's state in upper case: PENDING, RUNNING, COMPLETING, COMPLETED, FAILED, TIMEOUT, CANCELLED, NODE_FAIL, ...</param>
/// <param name="Reason">Slurm's state reason (<c>None</c>, <c>Resources</c>, <c>NonZeroExitCode</c>, <c>TimeLimit</c>, ...), or null.</param>
/// <param name="WaitStatus">The raw wait status of the batch script (<c>exit 3</c> is 768), or null.</param>
public sealed record SlurmJob(long JobId, string Name, string? Comment, string State, string? Reason, int? WaitStatus)
{
    /// <summary>Whether Slurm is done with the job (it will not run, or run again).</summary>
    public bool IsFinal => State is not ("PENDING" or "RUNNING" or "COMPLETING" or "CONFIGURING" or "SUSPENDED" or "REQUEUED" or "RESIZING" or "STAGE_OUT" or "SIGNALING" or "STOPPED" or "RESV_DEL_HOLD" or "REQUEUE_HOLD" or "REQUEUE_FED" or "SPECIAL_EXIT");

    /// <summary>The script's exit code (the wait status' high byte), or 128 + the signal that killed it; null when Slurm does not say.</summary>
    public int? ExitCode => WaitStatus is not { } status ? null : (status & 0x7f) != 0 ? 128 + (status & 0x7f) : (status >> 8) & 0xff;
}

/// <summary>One node as slurmrestd lists it.</summary>
public sealed record SlurmNode(string Name, string State, string? Gres);

/// <summary>What a job is submitted with.</summary>
public sealed record SlurmSubmission(
    string Name,
    string Comment,
    string Script,
    string? Partition,
    int TimeLimitMinutes,
    string Gres,
    string WorkingDirectory,
    string Output,
    IReadOnlyDictionary<string, string> Environment,
    string? Container);

/// <summary>slurmrestd said no: its HTTP status, Slurm's error number and its words.</summary>
public sealed class SlurmException(string message, HttpStatusCode? status = null, int? errorNumber = null, Exception? inner = null)
    : Exception(message, inner)
{
    public HttpStatusCode? Status { get; } = status;

    /// <summary>Slurm's error number (2017: no such job), when it gave one.</summary>
    public int? ErrorNumber { get; } = errorNumber;

    /// <summary>Slurm's "invalid job id": the job is not known (any more).</summary>
    public bool UnknownJob => ErrorNumber == 2017;
}

/// <summary>
/// A client of slurmrestd's REST API, version v0.0.38 (Slurm 22.05): submit, list, signal, cancel jobs and list nodes, as the
/// user whose token it carries (<c>X-SLURM-USER-NAME</c>, <c>X-SLURM-USER-TOKEN</c>). Slurm answers errors in two shapes
/// (<c>error_code</c>/<c>error</c> or <c>error_number</c>/<c>error</c>/<c>description</c>), often with status 500; both
/// become a <see cref="SlurmException"/> naming what Slurm said.
/// </summary>
public sealed class SlurmRestClient : IDisposable
{
    private const string Version = "v0.0.38";
    private readonly HttpClient _http;
    private readonly SlurmOptions _options;
    private readonly Lock _tokenGate = new();
    private DateTime _tokenWritten;
    private string? _fileToken;

    public SlurmRestClient(SlurmOptions options, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _http = new HttpClient(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = options.Url,
            Timeout = options.RequestTimeout,
        };
        _options = options;
        _http.DefaultRequestHeaders.Add("X-SLURM-USER-NAME", options.User);
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    /// <summary>Submits a batch job; returns Slurm's id.</summary>
    public async Task<long> SubmitAsync(SlurmSubmission job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        var environment = new JsonObject();
        foreach (var (name, value) in job.Environment)
        {
            environment[name] = value;
        }

        var properties = new JsonObject
        {
            ["name"] = job.Name,
            ["comment"] = job.Comment,
            ["time_limit"] = job.TimeLimitMinutes,
            ["gres"] = job.Gres,
            ["current_working_directory"] = job.WorkingDirectory,
            ["standard_output"] = job.Output,
            ["environment"] = environment,
        };
        if (job.Partition is { } partition)
        {
            properties["partition"] = partition;
        }

        if (job.Container is { } container)
        {
            properties["container"] = container;
        }

        var body = new JsonObject { ["script"] = job.Script, ["job"] = properties };
        // slurmrestd refuses "application/json; charset=utf-8" (400, "Unable to parse query"): the bare media type.
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var answer = await SendAsync(HttpMethod.Post, $"slurm/{Version}/job/submit", content, cancellationToken).ConfigureAwait(false);

        // An answer can carry a job id and errors at once: the id is what counts (the job exists).
        if (answer?["job_id"] is JsonValue id && id.TryGetValue<long>(out var jobId))
        {
            return jobId;
        }

        throw new SlurmException($"slurmrestd accepted the submission of {job.Name} but gave no job id: {Describe(answer) ?? "(empty answer)"}");
    }

    /// <summary>Every job Slurm knows (pending, running, and finished ones it still keeps, <c>MinJobAge</c>).</summary>
    public async Task<List<SlurmJob>> JobsAsync(CancellationToken cancellationToken = default)
    {
        var answer = await SendAsync(HttpMethod.Get, $"slurm/{Version}/jobs", null, cancellationToken).ConfigureAwait(false);
        var jobs = new List<SlurmJob>();
        if (answer?["jobs"] is JsonArray array)
        {
            foreach (var node in array)
            {
                if (node is JsonObject job && ToJob(job) is { } parsed)
                {
                    jobs.Add(parsed);
                }
            }
        }

        return jobs;
    }

    /// <summary>Cancels a job (<c>scancel</c>). False when Slurm does not know it (any more).</summary>
    public async Task<bool> CancelAsync(long jobId, CancellationToken cancellationToken = default)
    {
        try
        {
            await SendAsync(HttpMethod.Delete, $"slurm/{Version}/job/{jobId.ToString(CultureInfo.InvariantCulture)}", null, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (SlurmException e) when (e.UnknownJob)
        {
            return false;
        }
    }

    /// <summary>
    /// Sends <paramref name="signal"/> (a name without SIG: <c>USR1</c>) to a job's batch script and its processes, as
    /// <c>scancel --signal</c> does (<c>DELETE .../job/{id}?signal=USR1</c>: v0.0.38 signals the batch script too, and a
    /// script that traps it runs its handler). The job goes on unless the signal ends it. False when Slurm does not know
    /// the job (any more); a job already ended takes the signal without error.
    /// </summary>
    public async Task<bool> SignalAsync(long jobId, string signal, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(signal);
        try
        {
            await SendAsync(HttpMethod.Delete, $"slurm/{Version}/job/{jobId.ToString(CultureInfo.InvariantCulture)}?signal={Uri.EscapeDataString(signal)}", null, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (SlurmException e) when (e.UnknownJob)
        {
            return false;
        }
    }

    /// <summary>Every node with its state and GRES.</summary>
    public async Task<List<SlurmNode>> NodesAsync(CancellationToken cancellationToken = default)
    {
        var answer = await SendAsync(HttpMethod.Get, $"slurm/{Version}/nodes", null, cancellationToken).ConfigureAwait(false);
        var nodes = new List<SlurmNode>();
        if (answer?["nodes"] is JsonArray array)
        {
            foreach (var node in array)
            {
                if (node is JsonObject n)
                {
                    // v0.0.38 gives the base state ("idle") and the flags apart (state_flags: ["DRAIN"]): one "idle+DRAIN".
                    var flags = n["state_flags"] is JsonArray f ? f.Select(Text).Where(static x => !string.IsNullOrEmpty(x)) : [];
                    var state = string.Join('+', new[] { StateOf(n["state"]) ?? "" }.Concat(flags!));
                    nodes.Add(new SlurmNode(Text(n["name"]) ?? "", state, Text(n["gres"])));
                }
            }
        }

        return nodes;
    }

    public void Dispose() => _http.Dispose();

    private static SlurmJob? ToJob(JsonObject job)
    {
        if (job["job_id"] is not JsonValue idValue || !idValue.TryGetValue<long>(out var id))
        {
            return null;
        }

        int? status = job["exit_code"] is JsonValue exit && exit.TryGetValue<int>(out var code) ? code : null;
        return new SlurmJob(id, Text(job["name"]) ?? "", Text(job["comment"]) is { Length: > 0 } comment ? comment : null, (StateOf(job["job_state"]) ?? "").ToUpperInvariant(), Text(job["state_reason"]), status);
    }

    /// <summary>A state as v0.0.38 writes it (a string), or the first of a list (later versions).</summary>
    private static string? StateOf(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonArray a when a.Count > 0 => Text(a[0]),
        _ => null,
    };

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private async Task<JsonNode?> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Add("X-SLURM-USER-TOKEN", CurrentToken());
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new SlurmException($"slurmrestd at {_http.BaseAddress} cannot be reached: {e.Message}", inner: e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SlurmException($"slurmrestd at {_http.BaseAddress} did not answer {method} {path} within {_http.Timeout.TotalSeconds:0.#} s", inner: e);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            JsonNode? answer = null;
            try
            {
                answer = string.IsNullOrWhiteSpace(text) ? null : JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                // Not JSON (e.g. an authentication failure's plain text): reported below with the status.
            }

            var (number, words) = FirstError(answer);
            var hasJobId = answer?["job_id"] is JsonValue;
            if ((response.IsSuccessStatusCode && number is null or 0) || hasJobId)
            {
                return answer;
            }

            var said = words ?? (answer is null ? Shorten(text) : null) ?? response.ReasonPhrase ?? "no reason given";
            throw new SlurmException(
                $"slurmrestd refused {method} {path} ({(int)response.StatusCode}{(number is { } n and not 0 ? $", Slurm error {n}" : "")}): {said}",
                response.StatusCode,
                number);
        }
    }

    /// <summary>The token: the configured one, or the token file's content, read again when the file changes.</summary>
    private string CurrentToken()
    {
        if (_options.TokenFile is not { Length: > 0 } file)
        {
            return _options.Token ?? "";
        }

        lock (_tokenGate)
        {
            try
            {
                var written = File.GetLastWriteTimeUtc(file);
                if (_fileToken is null || written != _tokenWritten)
                {
                    var text = File.ReadAllText(file).Trim();
                    _fileToken = text.StartsWith("SLURM_JWT=", StringComparison.Ordinal) ? text["SLURM_JWT=".Length..] : text;
                    _tokenWritten = written;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new SlurmException($"the token file {file} cannot be read: {e.Message}", inner: e);
            }

            return _fileToken;
        }
    }

    private static (int? Number, string? Words) FirstError(JsonNode? answer)
    {
        if (answer?["errors"] is not JsonArray { Count: > 0 } errors || errors[0] is not JsonObject e)
        {
            return (null, null);
        }

        int? number = (e["error_number"] ?? e["error_code"]) is JsonValue v && v.TryGetValue<int>(out var n) ? n : null;
        var words = string.Join(": ", new[] { Text(e["error"]), Text(e["description"]) }.Where(static s => !string.IsNullOrWhiteSpace(s)).Distinct());
        return (number, words.Length > 0 ? words : null);
    }

    private static string? Describe(JsonNode? answer) => FirstError(answer).Words;

    private static string? Shorten(string text) => string.IsNullOrWhiteSpace(text) ? null : text.Length > 200 ? text[..200] + "…" : text.Trim();
}

using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Federation.TestKit.Slurm;

namespace Federation.Slurm.Tests;

/// <summary>
/// The few slurmrestd calls the environment tests make themselves (submit, cancel, an arbitrary GET), raw, with
/// the two headers every request needs. Deliberately not the federation's executor: these tests prove the
/// environment, not the client.
/// </summary>
internal sealed class RawSlurmRest : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(15) };
    private readonly Uri _url;
    private readonly string _user;
    private readonly string _token;

    public RawSlurmRest(Uri url, string user, string token)
    {
        _url = url;
        _user = user;
        _token = token;
    }

    public static RawSlurmRest For(SlurmCluster cluster) => new(cluster.RestUrl, cluster.User, cluster.Token);

    /// <summary>Submits a batch job writing its output to <c>&lt;workdir&gt;/&lt;job id&gt;.out</c>; returns its job id.</summary>
    public async Task<long> SubmitAsync(SlurmCluster cluster, string name, string script, string gres, int timeLimitMinutes = 2)
    {
        var body = new JsonObject
        {
            ["script"] = script,
            ["job"] = new JsonObject
            {
                ["name"] = name,
                ["partition"] = cluster.Partition,
                ["time_limit"] = timeLimitMinutes,
                ["gres"] = gres,
                ["current_working_directory"] = cluster.WorkDirectory,
                ["standard_output"] = Path.Combine(cluster.WorkDirectory, "%j.out"),
                ["environment"] = new JsonObject { ["PATH"] = "/usr/bin:/bin" },
            },
        };
        using var request = Request(HttpMethod.Post, $"/slurm/{SlurmCluster.RestVersion}/job/submit");
        request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8);
        // slurmrestd 22.05 answers 400 "Unable to parse query." to "application/json; charset=utf-8": no charset.
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        // A response may carry both a job id and errors: the job id is what says the job exists.
        return JobId(text) ?? throw new InvalidOperationException($"submit of {name} refused: {(int)response.StatusCode} {text}");
    }

    /// <summary>DELETE /job/{id}: cancels the job.</summary>
    public async Task<HttpStatusCode> CancelAsync(long jobId)
    {
        using var request = Request(HttpMethod.Delete, $"/slurm/{SlurmCluster.RestVersion}/job/{jobId}");
        using var response = await _http.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>The status of a GET on <paramref name="path"/>.</summary>
    public async Task<HttpStatusCode> GetStatusAsync(string path)
    {
        using var request = Request(HttpMethod.Get, path);
        using var response = await _http.SendAsync(request);
        return response.StatusCode;
    }

    public void Dispose() => _http.Dispose();

    private static long? JobId(string response)
    {
        try
        {
            using var document = JsonDocument.Parse(response);
            return document.RootElement.TryGetProperty("job_id", out var id) && id.ValueKind == JsonValueKind.Number ? id.GetInt64() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private HttpRequestMessage Request(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, new Uri(_url, path));
        request.Headers.Add("X-SLURM-USER-NAME", _user);
        request.Headers.Add("X-SLURM-USER-TOKEN", _token);
        return request;
    }
}

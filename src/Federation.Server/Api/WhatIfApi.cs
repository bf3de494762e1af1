using System.Globalization;
using Federation.Server.Hosting;
using Federation.Server.Simulation;
using Federation.Simulator;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Federation.Server.Api;

/// <summary>
/// <c>/api/whatif</c>: replay a trace through the trace simulator under several policies, on the megaregion this server
/// runs, and read the comparison (summary and the HTML report with its charts). Runs wait in a queue worked one at a time.
/// </summary>
public static class WhatIfApi
{
    /// <summary>Default of the <c>policies</c> field: today's isolated regions against the federation's placement.</summary>
    public const string DefaultPolicies = "isolated,earliest-start";

    /// <summary>Largest <c>loadScale</c>: beyond it the megaregion is scaled far from any real one.</summary>
    public const double MaxLoadScale = 100;

    /// <summary>What the form may carry besides the file, for the request body's own limit.</summary>
    private const long FormOverheadBytes = 64 * 1024;

    public static IEndpointRouteBuilder MapWhatIfApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        // What-if runs are the coordinators' (they take the server's CPU).
        var group = endpoints.MapGroup("/api/whatif").WithTags("WhatIf").RequireAuthorization(Auth.AuthSetup.CoordinatorPolicy);
        group.MapGet("/traces", (BundledTraces traces) => TypedResults.Ok(traces.All))
            .WithName("ListWhatIfTraces")
            .WithSummary("The traces a what-if run may name instead of uploading one.");
        group.MapPost("/", SubmitAsync)
            .WithName("SubmitWhatIf")
            .WithSummary("Queue a what-if run (multipart/form-data): trace (a bundled name) or file (a trace CSV), policies (default isolated,earliest-start), loadScale (1), seed (1), maxJobs. Answers 202 with the run; poll its Location.")
            .Accepts<WhatIfForm>("multipart/form-data", "application/x-www-form-urlencoded")
            .Produces<WhatIfRunView>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        group.MapGet("/", (WhatIfRuns runs) => TypedResults.Ok(runs.List()))
            .WithName("ListWhatIfRuns")
            .WithSummary("The runs kept in memory (the last 20 by default), newest first.");
        group.MapGet("/{id}", Get)
            .WithName("GetWhatIf")
            .WithSummary("One run: state, progress (0..1) and, once completed, each policy's summary.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/{id}/report", GetReport)
            .WithName("GetWhatIfReport")
            .WithSummary("The completed run's report: a self-contained HTML page with tables and SVG charts.")
            .Produces<string>(StatusCodes.Status200OK, contentType: "text/html")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapDelete("/{id}", Cancel)
            .WithName("CancelWhatIf")
            .WithSummary("Cancel a queued or running run (a running one stops within its next batch of jobs); a finished run is returned unchanged.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return endpoints;
    }

    private static Results<Ok<WhatIfRunView>, ProblemHttpResult> Get(string id, WhatIfRuns runs) =>
        runs.Get(id) is { } run ? TypedResults.Ok(run) : Problems.NotFound("id", NoRun(id));

    private static Results<Ok<WhatIfRunView>, ProblemHttpResult> Cancel(string id, WhatIfRuns runs) =>
        runs.Cancel(id) is { } run ? TypedResults.Ok(run) : Problems.NotFound("id", NoRun(id));

    private static Results<ContentHttpResult, ProblemHttpResult> GetReport(string id, WhatIfRuns runs)
    {
        var (report, run) = runs.Report(id);
        if (run is null)
        {
            return Problems.NotFound("id", NoRun(id));
        }

        return report is null
            ? Problems.Conflict("id", $"what-if run '{id}' is {run.State}; its report exists once it has completed")
            : TypedResults.Content(report, "text/html; charset=utf-8");
    }

    private static string NoRun(string id) => $"no what-if run has id '{id}' (runs are kept in memory, the last ones only, and lost on restart)";

    private static async Task<Results<Accepted<WhatIfRunView>, ValidationProblem, ProblemHttpResult>> SubmitAsync(
        HttpContext context, WhatIfRuns runs, BundledTraces traces, Scheduling.Megaregion megaregion, ServerSettings settings,
        IOptions<WhatIfRunnerOptions> options, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var request = context.Request;
        if (!request.HasFormContentType)
        {
            return Problems.Invalid("body", "must be multipart/form-data (or a URL-encoded form) with the fields trace or file, policies, loadScale, seed and maxJobs");
        }

        var tooLarge = $"the upload is larger than {limits.MaxUploadBytes / (1024.0 * 1024):0.#} MB, the most a what-if run accepts";
        if (request.ContentLength > limits.MaxUploadBytes + FormOverheadBytes)
        {
            return Problems.TooLarge("file", tooLarge);
        }

        IFormCollection form;
        try
        {
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = limits.MaxUploadBytes + FormOverheadBytes;
            }

            context.Features.Set<IFormFeature>(new FormFeature(request, new FormOptions { MultipartBodyLengthLimit = limits.MaxUploadBytes + FormOverheadBytes }));
            form = await request.ReadFormAsync(cancellationToken);
        }
        catch (Exception e) when (e is InvalidDataException || (e is BadHttpRequestException b && b.StatusCode == StatusCodes.Status413PayloadTooLarge))
        {
            return Problems.TooLarge("file", tooLarge);
        }
        catch (IOException e)
        {
            return Problems.Invalid("body", $"the form could not be read: {e.Message}");
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var policies = ParsePolicies(Field(form, "policies") ?? DefaultPolicies, errors);
        var loadScale = 1.0;
        if (Field(form, "loadScale") is { } load
            && (!double.TryParse(load, NumberStyles.Float, CultureInfo.InvariantCulture, out loadScale) || !double.IsFinite(loadScale) || loadScale <= 0 || loadScale > MaxLoadScale))
        {
            errors["loadScale"] = [$"must be a number > 0 and at most {MaxLoadScale}, was '{load}'"];
        }

        var seed = 1L;
        if (Field(form, "seed") is { } seedText && !long.TryParse(seedText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out seed))
        {
            errors["seed"] = [$"must be an integer, was '{seedText}'"];
        }

        var maxJobs = limits.DefaultJobs;
        if (Field(form, "maxJobs") is { } max
            && (!int.TryParse(max, NumberStyles.None, CultureInfo.InvariantCulture, out maxJobs) || maxJobs < 1 || maxJobs > limits.MaxJobs))
        {
            errors["maxJobs"] = [$"must be a whole number from 1 to {limits.MaxJobs}, was '{max}'"];
        }

        var (trace, traceName) = await ReadTraceAsync(form, traces, errors, cancellationToken);
        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }

        if (trace!.Count > maxJobs)
        {
            trace = trace.Take(maxJobs).ToList();
        }

        var run = runs.Enqueue(
            new WhatIfOptions
            {
                Trace = trace,
                TraceName = traceName!,
                Megaregion = megaregion,
                MegaregionName = settings.MegaregionSource,
                Policies = policies,
                LoadScale = loadScale,
                Seed = seed,
                Parallelism = 1,
                Command = string.Create(CultureInfo.InvariantCulture, $"POST /api/whatif trace={traceName} policies={string.Join(',', policies.Select(SimPolicies.Name))} loadScale={loadScale} seed={seed} maxJobs={maxJobs}"),
            },
            traceName!);
        if (run is null)
        {
            return Problems.TooMany($"{limits.MaxWaiting} what-if runs are already waiting; try again when one has started (GET /api/whatif)");
        }

        return TypedResults.Accepted($"/api/whatif/{run.Id}", run);
    }

    /// <summary>The trace the form names or carries, or errors under <c>trace</c> or <c>file</c>.</summary>
    private static async Task<(IReadOnlyList<TraceJob>? Trace, string? Name)> ReadTraceAsync(
        IFormCollection form, BundledTraces traces, Dictionary<string, string[]> errors, CancellationToken cancellationToken)
    {
        var name = Field(form, "trace");
        var file = form.Files.GetFile("file");
        if (name is not null && file is not null)
        {
            errors["trace"] = ["give either trace (a bundled trace's name) or file (a trace CSV), not both"];
            return (null, null);
        }

        if (file is null)
        {
            if (name is null)
            {
                errors["trace"] = [$"required: the name of a bundled trace ({string.Join(", ", traces.All.Select(t => t.Name))}; GET /api/whatif/traces), or upload a trace CSV as file"];
                return (null, null);
            }

            if (traces.Find(name) is not { } bundled)
            {
                errors["trace"] = [$"no bundled trace is named '{name}'; the traces are {string.Join(", ", traces.All.Select(t => t.Name))}"];
                return (null, null);
            }

            return (bundled, name);
        }

        var fileName = Path.GetFileName(file.FileName) is { Length: > 0 } n ? n : "file";
        try
        {
            using var reader = new StreamReader(file.OpenReadStream());
            var text = await reader.ReadToEndAsync(cancellationToken);
            var jobs = TraceReader.Read(new StringReader(text), fileName);
            if (jobs.Count == 0)
            {
                errors["file"] = [$"{fileName}: the trace has a header but no jobs"];
                return (null, null);
            }

            return (jobs, fileName);
        }
        catch (TraceFormatException e)
        {
            errors["file"] = [e.Message];
            return (null, null);
        }
    }

    private static List<SimPolicy> ParsePolicies(string text, Dictionary<string, string[]> errors)
    {
        var policies = new List<SimPolicy>();
        var unknown = new List<string>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!SimPolicies.TryParse(part, out var policy))
            {
                unknown.Add($"unknown policy '{part}'; the policies are {string.Join(", ", SimPolicies.All.Select(SimPolicies.Name))}");
            }
            else if (!policies.Contains(policy))
            {
                policies.Add(policy);
            }
        }

        if (unknown.Count > 0)
        {
            errors["policies"] = [.. unknown];
        }
        else if (policies.Count == 0)
        {
            errors["policies"] = [$"must name at least one policy of {string.Join(", ", SimPolicies.All.Select(SimPolicies.Name))}"];
        }

        return policies;
    }

    /// <summary>A form field's value, null when absent (a field given empty is kept, so it is refused as what it is).</summary>
    private static string? Field(IFormCollection form, string name) =>
        form.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : null;

    /// <summary>The form's fields, for the OpenAPI document (the endpoint reads the form itself, to name each bad field).</summary>
    internal sealed class WhatIfForm
    {
        /// <summary>A bundled trace's name (GET /api/whatif/traces); or give file.</summary>
        public string? Trace { get; init; }

        /// <summary>A trace CSV: job_id, submit_time_s, gpus, duration_s[, gpu_type, tenant, home_region, dataset_gb], sorted by submit_time_s.</summary>
        public IFormFile? File { get; init; }

        /// <summary>Comma list of isolated, random, least-loaded, earliest-start, earliest-start+rebalance, pooled.</summary>
        public string? Policies { get; init; }

        public double? LoadScale { get; init; }

        public long? Seed { get; init; }

        public int? MaxJobs { get; init; }
    }
}

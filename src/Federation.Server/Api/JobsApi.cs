using System.Collections.Immutable;
using Federation.Contracts;
using Federation.Grains.Hosting;
using Federation.Grains.Jobs;
using Federation.Server.Auth;
using Federation.Server.Hosting;
using Federation.Server.Metrics;
using Federation.Storage.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Federation.Server.Api;

/// <summary><c>/api/jobs</c>: submit (idempotent with a client id), look up, list and cancel jobs.</summary>
public static class JobsApi
{
    /// <summary>Default and largest page size of <c>GET /api/jobs</c>.</summary>
    public const int DefaultLimit = 100;

    /// <summary>Largest page size of <c>GET /api/jobs</c>.</summary>
    public const int MaxLimit = 1000;

    /// <summary><c>order</c> of <c>GET /api/jobs</c>, the default: by job id (ordinal).</summary>
    public const string OrderById = "id";

    /// <summary><c>order</c> of <c>GET /api/jobs</c>: newest submission first, ties by job id descending.</summary>
    public const string OrderNewest = "newest";

    public static IEndpointRouteBuilder MapJobsApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = endpoints.MapGroup("/api/jobs").WithTags("Jobs").ProducesStoreUnavailable();
        group.MapPost("/", SubmitAsync)
            .WithName("SubmitJob")
            .WithSummary("Submit a job; it is placed and stored before the answer. A client-supplied id makes the call idempotent.")
            .Accepts<JobRequest>("application/json")
            .Produces<JobView>(StatusCodes.Status201Created)
            .Produces<JobView>(StatusCodes.Status200OK)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .ProducesJsonBodyRefusals();
        group.MapGet("/{id}", GetAsync)
            .WithName("GetJob")
            .WithSummary("A job: state, region, the reason for its placement and its history.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/", ListAsync)
            .WithName("ListJobs")
            .WithSummary("Jobs filtered by state, region, project and owner, by id or newest submission first (order=id|newest), one page at a time.")
            .ProducesValidationProblem();
        group.MapDelete("/{id}", CancelAsync)
            .WithName("CancelJob")
            .WithSummary("Cancel a queued or running job; a finished job is returned unchanged.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return endpoints;
    }

    private static async Task<Results<Created<JobView>, Ok<JobView>, ValidationProblem, ProblemHttpResult>> SubmitAsync(
        HttpContext context, GrainReferences grains, RequestValidation validation, ServerInstruments instruments, TimeProvider time, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var readJobRequest = await JsonBody.ReadAsync<JobRequest>(context, optional: false, cancellationToken);
        if (readJobRequest.Refused is { } refusedJobRequest)
        {
            return refusedJobRequest;
        }

        var (body, bodyErrors) = (readJobRequest.Value, readJobRequest.Errors);
        if (bodyErrors is not null)
        {
            instruments.Rejected();
            return Problems.Invalid(bodyErrors);
        }

        // The owner is the caller (a coordinator may submit on someone's behalf); the project must be one of theirs.
        var caller = Caller.Of(context.User);
        if (Access.Submit(caller, body!.Project ?? "", string.IsNullOrEmpty(body.Owner) ? null : body.Owner, body.Priority) is { } refusal)
        {
            instruments.Rejected();
            return Problems.Forbidden(refusal);
        }

        var request = RequestValidation.Normalize(string.IsNullOrEmpty(body.Owner) ? body with { Owner = caller.Subject } : body);
        var errors = await validation.ValidateAsync(request);
        if (errors.Count > 0)
        {
            instruments.Rejected();
            return Problems.Invalid(errors);
        }

        var id = request.Id ?? NewJobId(time);
        var result = await grains.Job(id).SubmitAsync(request with { Id = id });
        if (result.Conflict is { } conflict)
        {
            instruments.Rejected();
            return Problems.Conflict("id", conflict);
        }

        if (result.OverCap is { } overCap)
        {
            instruments.Rejected();
            return Problems.QueueFull("project", overCap);
        }

        var job = result.Job!.ToView();
        instruments.Submitted(result.Created, time.GetElapsedTime(started));
        return result.Created ? TypedResults.Created($"/api/jobs/{Uri.EscapeDataString(job.Id)}", job) : TypedResults.Ok(job);
    }

    private static async Task<Results<Ok<JobView>, ProblemHttpResult>> GetAsync(string id, HttpContext context, GrainReferences grains)
    {
        if (RequestValidation.CheckId(id) is not null)
        {
            return Problems.NotFound("id", $"no job has id '{id}'");
        }

        var job = await grains.Job(id).GetAsync();
        return job is null || !Visible(context, job) ? Problems.NotFound("id", $"no job has id '{id}'") : TypedResults.Ok(job.ToView());
    }

    /// <summary>A job the caller may not see does not exist for them (404, never 403: its id tells nothing).</summary>
    private static bool Visible(HttpContext context, JobSnapshot job) =>
        Access.See(Caller.Of(context.User), job.Request?.Project ?? "", job.Region);

    private static async Task<Results<Ok<JobList>, ValidationProblem, ProblemHttpResult>> ListAsync(
        HttpContext context,
        IJobQuery query,
        RequestValidation validation,
        [FromQuery] string? state,
        [FromQuery] string? region,
        [FromQuery] string? project,
        [FromQuery] string? owner,
        [FromQuery] string? limit,
        [FromQuery] string? after,
        [FromQuery] string? order,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        JobState? parsedState = null;
        if (state is not null)
        {
            if (Enum.TryParse<JobState>(state, ignoreCase: true, out var s) && Enum.IsDefined(s) && !int.TryParse(state, out _))
            {
                parsedState = s;
            }
            else
            {
                errors["state"] = [$"must be one of {string.Join(", ", Enum.GetNames<JobState>())}"];
            }
        }

        if (region is not null && !validation.IsRegion(region))
        {
            errors["region"] = [validation.UnknownRegion(region)];
        }

        if (project is not null && string.IsNullOrWhiteSpace(project))
        {
            errors["project"] = ["must not be empty"];
        }

        if (owner is not null && string.IsNullOrWhiteSpace(owner))
        {
            errors["owner"] = ["must not be empty"];
        }

        var pageSize = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, out pageSize) || pageSize < 1 || pageSize > MaxLimit))
        {
            errors["limit"] = [$"must be an integer from 1 to {MaxLimit}"];
        }

        var parsedOrder = JobRowOrder.Id;
        if (order is not null && !TryParseOrder(order, out parsedOrder))
        {
            errors["order"] = [$"must be {OrderById} or {OrderNewest}"];
        }

        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }

        // A researcher lists their projects' jobs, an operator the jobs in their region.
        var scope = Access.ListJobs(Caller.Of(context.User), project, region);
        if (scope.Refusal is { } refusal)
        {
            return Problems.Forbidden(refusal);
        }

        (project, region) = (scope.Project, scope.Region);
        var page = await query.ListAsync(parsedState, region, project, owner, parsedOrder, pageSize, after, cancellationToken);
        if (page.UnknownAfter)
        {
            // Newest first, `after` is a position only a stored job has: an unknown id would read as the end of the list.
            return Problems.Invalid("after", $"no job has id '{after}' (newest first, after must name a job: the previous page's nextAfter)");
        }

        var views = ImmutableArray.CreateBuilder<JobView>(page.Jobs.Length);
        foreach (var job in page.Jobs)
        {
            views.Add(job.ToView());
        }

        return TypedResults.Ok(new JobList { Jobs = views.MoveToImmutable(), Total = page.Total, NextAfter = page.NextAfter });
    }

    private static async Task<Results<Ok<JobView>, ProblemHttpResult>> CancelAsync(string id, HttpContext context, GrainReferences grains, [FromQuery] string? reason)
    {
        if (RequestValidation.CheckId(id) is not null)
        {
            return Problems.NotFound("id", $"no job has id '{id}'");
        }

        // Its project decides who may cancel it, and a project never changes: read, check, then cancel.
        var caller = Caller.Of(context.User);
        var current = await grains.Job(id).GetAsync();
        if (current is null || !Visible(context, current))
        {
            return Problems.NotFound("id", $"no job has id '{id}'");
        }

        if (Access.Cancel(caller, current.Request?.Project ?? "") is { } refusal)
        {
            return Problems.Forbidden(refusal);
        }

        // The history names who cancelled it.
        var by = $"by {caller.Subject}";
        var job = await grains.Job(id).CancelAsync(string.IsNullOrWhiteSpace(reason) ? by : $"{reason} ({by})");
        return job is null ? Problems.NotFound("id", $"no job has id '{id}'") : TypedResults.Ok(job.ToView());
    }

    private static bool TryParseOrder(string value, out JobRowOrder order)
    {
        if (string.Equals(value, OrderById, StringComparison.OrdinalIgnoreCase))
        {
            order = JobRowOrder.Id;
            return true;
        }

        if (string.Equals(value, OrderNewest, StringComparison.OrdinalIgnoreCase))
        {
            order = JobRowOrder.Newest;
            return true;
        }

        order = JobRowOrder.Id;
        return false;
    }

    /// <summary>A new job id: time-ordered (UUIDv7), so server-chosen ids sort by submission in id order too.</summary>
    private static string NewJobId(TimeProvider time) => "job-" + Guid.CreateVersion7(time.GetUtcNow()).ToString("N");
}

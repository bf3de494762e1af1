using System.Collections.Immutable;
using System.Globalization;
using Federation.Contracts;
using Federation.Grains.Hosting;
using Federation.Grains.Projects;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Federation.Server.Api;

/// <summary>
/// <c>/api/projects</c>: each project's allocations by term and class (granted, used as its jobs run in every region,
/// returned, left, period), its returns, the standing its jobs get and its priority class; coordinators set allocations
/// and priority classes, projects return unused hours. Changes take <c>If-Match</c> (the project's <c>ETag</c>), so two
/// coordinators do not overwrite each other.
/// </summary>
public static class ProjectsApi
{
    public static IEndpointRouteBuilder MapProjectsApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var group = endpoints.MapGroup("/api/projects").WithTags("Projects").ProducesStoreUnavailable();
        group.MapGet("/", ListAsync)
            .WithName("ListProjects")
            .WithSummary("Every project given an allocation: allocations per term and class with granted, used (to now), returned and left hours, returns, standing.");
        group.MapGet("/{id}", GetAsync)
            .WithName("GetProject")
            .WithSummary("One project (any project name; one without allocations is unmanaged), its usage recomputed from the job rows to now.")
            .ProducesValidationProblem();
        group.MapPut("/{id}/allocations/{term}/{class}", SetAllocationAsync)
            .RequireAuthorization(Auth.AuthSetup.CoordinatorPolicy)
            .WithName("SetProjectAllocation")
            .WithSummary("Set or replace the project's allocation of one term (short, mid, long) and class (an accelerator type, or any): accelerator-hours, the term's period (from, until) and optionally the region whose hardware backs it.")
            .Accepts<AllocationRequest>("application/json")
            .ProducesJsonBodyRefusals()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);
        group.MapPut("/{id}/priority", SetPriorityAsync)
            .RequireAuthorization(Auth.AuthSetup.CoordinatorPolicy)
            .WithName("SetProjectPriority")
            .WithSummary("Set the project's priority class (from -1000 to 1000, higher runs first): the priority its jobs take when submitted without one, as researchers' always are. Jobs submitted before keep theirs.")
            .Accepts<ProjectPriorityRequest>("application/json")
            .ProducesJsonBodyRefusals()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);
        group.MapPost("/{id}/returns", ReturnAsync)
            .WithName("ReturnProjectHours")
            .WithSummary("Give back unused hours of one of the project's allocations (term, class): at most the hours unused now; recorded with the time.")
            .Accepts<ReturnRequest>("application/json")
            .ProducesJsonBodyRefusals()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status412PreconditionFailed);
        return endpoints;
    }

    private static async Task<Ok<ImmutableArray<ProjectView>>> ListAsync(HttpContext context, GrainReferences grains)
    {
        // A researcher sees their own projects, an operator none, a coordinator all.
        var caller = Auth.Caller.Of(context.User);
        var ids = (await grains.ProjectDirectory.ListAsync()).Where(id => Auth.Access.ListProject(caller, id)).ToArray();
        var views = new Task<ProjectView>[ids.Length];
        for (var i = 0; i < views.Length; i++)
        {
            views[i] = grains.Project(ids[i]).GetAsync();
        }

        return TypedResults.Ok(ImmutableArray.Create(await Task.WhenAll(views)));
    }

    private static async Task<Results<Ok<ProjectView>, ValidationProblem, ProblemHttpResult>> GetAsync(string id, HttpContext context, GrainReferences grains)
    {
        if (CheckId(id) is { } error)
        {
            return error;
        }

        if (Auth.Access.Project(Auth.Caller.Of(context.User), id) is { } refusal)
        {
            return Problems.Forbidden(refusal);
        }

        return WithETag(context, await grains.Project(id).GetAsync());
    }

    private static Task<Results<Ok<ProjectView>, ValidationProblem, ProblemHttpResult>> SetAllocationAsync(
        string id, string term, string @class, HttpContext context, GrainReferences grains, RequestValidation validation, ProjectStandings standings, CancellationToken cancellationToken) =>
        ChangeAsync<AllocationRequest>(id, context, standings, checkAccess: false, cancellationToken, body =>
        {
            var errors = validation.Validate(term, @class, body);
            return errors.Count > 0 ? (null, errors) : (ifMatch => grains.Project(id).SetAllocationAsync(term, @class, body, ifMatch), null);
        });

    private static Task<Results<Ok<ProjectView>, ValidationProblem, ProblemHttpResult>> SetPriorityAsync(
        string id, HttpContext context, GrainReferences grains, ProjectStandings standings, CancellationToken cancellationToken) =>
        ChangeAsync<ProjectPriorityRequest>(id, context, standings, checkAccess: false, cancellationToken, body =>
        {
            var errors = RequestValidation.Validate(body);
            return errors.Count > 0 ? (null, errors) : (ifMatch => grains.Project(id).SetPriorityAsync(body.Priority!.Value, ifMatch), null);
        });

    private static Task<Results<Ok<ProjectView>, ValidationProblem, ProblemHttpResult>> ReturnAsync(
        string id, HttpContext context, GrainReferences grains, RequestValidation validation, ProjectStandings standings, CancellationToken cancellationToken) =>
        ChangeAsync<ReturnRequest>(id, context, standings, checkAccess: true, cancellationToken, body =>
        {
            var request = body with { Class = body.Class ?? "any" };
            var errors = validation.Validate(request);
            return errors.Count > 0 ? (null, errors) : (ifMatch => grains.Project(id).ReturnAsync(request, ifMatch), null);
        });

    /// <summary>
    /// What every change of a project goes through, in order: a well-formed id, the caller's access to the project when
    /// <paramref name="checkAccess"/> (the coordinator-only changes are guarded by their route's policy), <c>If-Match</c>
    /// well formed, the JSON body read, then <paramref name="prepare"/> checks the body (its field errors are a 400) and
    /// gives the change, made against the version <c>If-Match</c> named.
    /// </summary>
    private static async Task<Results<Ok<ProjectView>, ValidationProblem, ProblemHttpResult>> ChangeAsync<TBody>(
        string id,
        HttpContext context,
        ProjectStandings standings,
        bool checkAccess,
        CancellationToken cancellationToken,
        Func<TBody, (Func<long?, Task<ProjectView>>? Change, Dictionary<string, string[]>? Errors)> prepare)
        where TBody : class
    {
        if (CheckId(id) is { } idError)
        {
            return idError;
        }

        if (checkAccess && Auth.Access.Project(Auth.Caller.Of(context.User), id) is { } refusal)
        {
            return Problems.Forbidden(refusal);
        }

        var (ifMatch, ifMatchError) = IfMatch(context);
        if (ifMatchError is not null)
        {
            return Problems.Invalid("If-Match", ifMatchError);
        }

        var read = await JsonBody.ReadAsync<TBody>(context, optional: false, cancellationToken);
        if (read.Refused is { } refused)
        {
            return refused;
        }

        if (read.Errors is not null)
        {
            return Problems.Invalid(read.Errors);
        }

        var (change, errors) = prepare(read.Value!);
        if (errors is not null)
        {
            return Problems.Invalid(errors);
        }

        return await MakeAsync(context, standings, () => change!(ifMatch));
    }

    /// <summary>Makes the change; the rules only the project can check (what is unused) and a stale If-Match are answered as problems.</summary>
    private static async Task<Results<Ok<ProjectView>, ValidationProblem, ProblemHttpResult>> MakeAsync(HttpContext context, ProjectStandings standings, Func<Task<ProjectView>> change)
    {
        try
        {
            var view = await change();

            // This silo's routers see the change at once; the others within their refresh.
            standings.Update(view);
            return WithETag(context, view);
        }
        catch (AllocationRefusedException e)
        {
            return Problems.Invalid(e.Field, e.Reason);
        }
        catch (ProjectChangedException e)
        {
            return TypedResults.Problem(
                detail: e.Message,
                statusCode: StatusCodes.Status412PreconditionFailed,
                title: "The project changed since it was read.",
                extensions: new Dictionary<string, object?>(StringComparer.Ordinal)
                {
                    ["errors"] = new Dictionary<string, string[]>(StringComparer.Ordinal) { ["If-Match"] = [e.Message] },
                    ["currentETag"] = ETagOf(e.Current),
                });
        }
    }

    private static ValidationProblem? CheckId(string id) =>
        RequestValidation.CheckProject(id) is { } error ? Problems.Invalid("id", error) : null;

    private static Ok<ProjectView> WithETag(HttpContext context, ProjectView project)
    {
        context.Response.Headers.ETag = ETagOf(project.Version);
        return TypedResults.Ok(project);
    }

    private static string ETagOf(long version) => $"\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    /// <summary>The version <c>If-Match</c> asks for: null when absent or <c>*</c>; an error naming it when it is not one of this API's ETags.</summary>
    private static (long? Version, string? Error) IfMatch(HttpContext context)
    {
        var header = context.Request.Headers.IfMatch.ToString().Trim();
        if (header.Length == 0 || header == "*")
        {
            return (null, null);
        }

        var tag = header.StartsWith("W/", StringComparison.Ordinal) ? header[2..] : header;
        return tag.Length > 2 && tag[0] == '"' && tag[^1] == '"'
            && long.TryParse(tag[1..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? (version, null)
            : (null, $"must be the project's ETag as GET /api/projects/{{id}} gives it (e.g. \"3\"), or *; not {header}");
    }
}

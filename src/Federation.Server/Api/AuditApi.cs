using System.Globalization;
using Federation.Contracts;
using Federation.Grains.Audit;
using Federation.Scheduling;
using Federation.Server.Auth;
using Federation.Storage.Audit;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Federation.Server.Api;

/// <summary>
/// <c>/api/audit</c>: the append-only audit table, newest first: every change (submit, cancel, move, offer, drain,
/// token issue and revoke, residency, allocations, priority, returns) with who made it, in which role, from where, and
/// the target before and after. Coordinators read all of it; an operator the entries of their region.
/// </summary>
public static class AuditApi
{
    public const int DefaultLimit = 100;

    /// <summary>Longest filter value taken (actor, target, action).</summary>
    public const int MaxFilterLength = 256;

    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/api/audit", ListAsync)
            .WithTags("Audit")
            .WithName("ListAudit")
            .WithSummary($"Audit entries newest first, filtered by actor, region, target (kind/id, e.g. job/00123) and action (e.g. region.drain); ?limit= (1 to {IAuditLog.MaxPageSize}, default {DefaultLimit}) and ?before= (the previous page's nextBefore) page through them. Coordinators read all; an operator their region's.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesStoreUnavailable();
        return endpoints;
    }

    private static async Task<Results<Ok<AuditPageView>, ValidationProblem, ProblemHttpResult>> ListAsync(
        HttpContext context,
        IAuditQuery audit,
        RequestValidation validation,
        [FromQuery] string? actor,
        [FromQuery] string? region,
        [FromQuery] string? target,
        [FromQuery] string? action,
        [FromQuery] string? limit,
        [FromQuery] string? before,
        CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        CheckFilter(errors, "actor", actor);
        CheckFilter(errors, "target", target);
        CheckFilter(errors, "action", action);
        if (region is not null && !validation.IsRegion(region))
        {
            errors["region"] = [validation.UnknownRegion(region)];
        }

        var pageSize = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize < 1 || pageSize > IAuditLog.MaxPageSize))
        {
            errors["limit"] = [$"must be an integer from 1 to {IAuditLog.MaxPageSize}"];
        }

        long? beforeSequence = null;
        if (before is not null)
        {
            if (long.TryParse(before, NumberStyles.None, CultureInfo.InvariantCulture, out var b) && b > 0)
            {
                beforeSequence = b;
            }
            else
            {
                errors["before"] = ["must be a positive integer: the previous page's nextBefore"];
            }
        }

        if (errors.Count > 0)
        {
            return Problems.Invalid(errors);
        }

        var scope = Access.Audit(Caller.Of(context.User), region);
        if (scope.Refusal is { } refusal)
        {
            return Problems.Forbidden(refusal);
        }

        return TypedResults.Ok(await audit.ListAsync(actor, scope.Region, target, action, pageSize, beforeSequence, cancellationToken));
    }

    private static void CheckFilter(Dictionary<string, string[]> errors, string field, string? value)
    {
        if (value is null)
        {
            return;
        }

        if (value.Length == 0 || value.Length > MaxFilterLength)
        {
            errors[field] = [$"must be 1 to {MaxFilterLength} characters"];
        }
        else if (value.Any(char.IsControl))
        {
            errors[field] = ["must not contain control characters"];
        }
    }
}

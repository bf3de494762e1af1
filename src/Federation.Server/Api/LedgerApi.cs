using Federation.Contracts;
using Federation.Grains.Execution;
using Federation.Grains.Jobs;
using Federation.Grains.Ledger;
using Federation.Scheduling;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Federation.Server.Api;

/// <summary>
/// <c>/api/ledger</c>: the credit ledger's statement for a month, computed from the job rows when asked
/// (<see cref="LedgerStatement"/>): what each region's hardware served to other regions' jobs.
/// </summary>
public static class LedgerApi
{
    public static IEndpointRouteBuilder MapLedgerApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/api/ledger", GetAsync)
            .WithTags("Ledger")
            .WithName("GetLedger")
            .WithSummary("The credit ledger for a UTC month (?month=YYYY-MM, default the current one; ?region= for one region): accelerator-hours and PF-hours each region lent to other regions' jobs, by borrower and accelerator type, and each region's lent, borrowed and balance, computed from the job rows.")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesStoreUnavailable();
        return endpoints;
    }

    private static async Task<Results<Ok<LedgerView>, ValidationProblem, ProblemHttpResult>> GetAsync(
        string? month, string? region, HttpContext context, IJobQuery query, Megaregion megaregion, RequestValidation validation, ExecutionClock clock, CancellationToken cancellationToken)
    {
        var now = clock.Now;
        var from = LedgerStatement.MonthOf(now);
        if (month is not null && !LedgerStatement.TryParseMonth(month, out from))
        {
            return Problems.Invalid("month", $"must be a UTC calendar month as YYYY-MM (e.g. 2026-12), was '{month}'");
        }

        if (region is not null && !validation.IsRegion(region))
        {
            return Problems.NotFound("region", validation.UnknownRegion(region));
        }

        // A coordinator reads all of it, an operator their region's statement.
        var scope = Auth.Access.Ledger(Auth.Caller.Of(context.User), region);
        if (scope.Refusal is { } refusal)
        {
            return Problems.Forbidden(refusal);
        }

        region = scope.Region;
        return TypedResults.Ok(await LedgerStatement.ComputeAsync(query, megaregion, from, now, region, cancellationToken));
    }
}

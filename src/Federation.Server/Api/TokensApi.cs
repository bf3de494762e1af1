using System.Collections.Immutable;
using Federation.Contracts;
using Federation.Grains.Hosting;
using Federation.Scheduling;
using Federation.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Federation.Server.Api;

/// <summary>A token as issued: the token itself (shown this once) and its record.</summary>
public sealed record IssuedTokenView
{
    public string Token { get; init; } = "";

    public TokenRecord Record { get; init; } = new();
}

/// <summary>Who the caller is, as the server sees their token.</summary>
public sealed record WhoAmIView
{
    public string Subject { get; init; } = "";

    public Role Role { get; init; }

    public ImmutableArray<string> Regions { get; init; } = [];

    public ImmutableArray<string> Projects { get; init; } = [];

    /// <summary>The token's id (null for the bootstrap token, which has none).</summary>
    public string? TokenId { get; init; }
}

/// <summary>
/// <c>/api/tokens</c>: coordinators issue tokens (for researchers of projects, operators of regions, other coordinators),
/// list and revoke them; anyone may revoke their own. <c>/api/whoami</c>: the caller as the server sees them.
/// </summary>
public static class TokensApi
{
    /// <summary>Longest subject.</summary>
    public const int MaxSubject = 128;

    /// <summary>Most projects or regions one token names.</summary>
    public const int MaxScopes = 64;

    public static IEndpointRouteBuilder MapTokensApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapGet("/api/whoami", WhoAmI)
            .WithTags("Tokens")
            .WithName("WhoAmI")
            .WithSummary("The caller as the server sees their token: subject, role, regions, projects.");
        var group = endpoints.MapGroup("/api/tokens").WithTags("Tokens").ProducesStoreUnavailable();
        group.MapPost("/", IssueAsync)
            .RequireAuthorization(AuthSetup.CoordinatorPolicy)
            .WithName("IssueToken")
            .WithSummary("Issue a token (coordinators): shown once in the answer, recorded (never the token itself) for listing and revocation.")
            .Accepts<TokenRequest>("application/json")
            .Produces<IssuedTokenView>(StatusCodes.Status201Created)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesJsonBodyRefusals();
        group.MapGet("/", ListAsync)
            .RequireAuthorization(AuthSetup.CoordinatorPolicy)
            .WithName("ListTokens")
            .WithSummary("Every token issued, newest first, with who issued and who revoked it (coordinators).");
        group.MapDelete("/{id}", RevokeAsync)
            .WithName("RevokeToken")
            .WithSummary("Revoke a token (coordinators, or its own holder): refused on every silo once this answers.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return endpoints;
    }

    private static Ok<WhoAmIView> WhoAmI(HttpContext context)
    {
        var caller = Caller.Of(context.User);
        return TypedResults.Ok(new WhoAmIView
        {
            Subject = caller.Subject,
            Role = caller.Role,
            Regions = [.. caller.Regions.Order(StringComparer.Ordinal)],
            Projects = [.. caller.Projects.Order(StringComparer.Ordinal)],
            TokenId = caller.TokenId,
        });
    }

    private static async Task<Results<Created<IssuedTokenView>, ValidationProblem, ProblemHttpResult>> IssueAsync(
        HttpContext context, GrainReferences grains, TokenService tokens, Megaregion megaregion, IOptions<AuthOptions> options, CancellationToken cancellationToken)
    {
        if (options.Value.External)
        {
            return Problems.Conflict("Authorization", $"tokens come from the configured issuer ({options.Value.Authority}); this server does not issue any");
        }

        var read = await JsonBody.ReadAsync<TokenRequest>(context, optional: false, cancellationToken);
        if (read.Refused is { } refused)
        {
            return refused;
        }

        if (read.Errors is { } bodyErrors)
        {
            return Problems.Invalid(bodyErrors);
        }

        var request = read.Value! with
        {
            Regions = TokenService.Distinct(read.Value!.Regions),
            Projects = TokenService.Distinct(read.Value!.Projects),
        };
        if (Validate(request, megaregion, options.Value) is { Count: > 0 } errors)
        {
            return Problems.Invalid(errors);
        }

        var caller = Caller.Of(context.User);
        var record = await grains.Tokens.IssueAsync(request, caller.Subject, tokens.LifetimeOf(request));
        return TypedResults.Created($"/api/tokens/{record.Id}", new IssuedTokenView { Token = tokens.Sign(record), Record = record });
    }

    private static async Task<Ok<TokenList>> ListAsync(GrainReferences grains) => TypedResults.Ok(await grains.Tokens.ListAsync());

    private static async Task<Results<Ok<TokenRecord>, ProblemHttpResult>> RevokeAsync(string id, HttpContext context, GrainReferences grains, TokenService tokens)
    {
        var caller = Caller.Of(context.User);
        if (!caller.IsCoordinator && !string.Equals(caller.TokenId, id, StringComparison.Ordinal))
        {
            // Another's token does not exist for a caller who may not revoke it.
            return Problems.NotFound("id", $"no token of yours has id '{id}' (coordinators revoke others' tokens)");
        }

        var record = id.Length <= 64 ? await grains.Tokens.RevokeAsync(id, caller.Subject) : null;
        if (record is null)
        {
            return Problems.NotFound("id", $"no token has id '{id}'");
        }

        // Refused here at once, whatever the registry's calls to the silos did (they retry on their own refresh).
        tokens.Take(await grains.Tokens.GetRevocationsAsync());
        return TypedResults.Ok(record);
    }

    private static Dictionary<string, string[]> Validate(TokenRequest request, Megaregion megaregion, AuthOptions options)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (request.Subject.Length == 0)
        {
            errors["subject"] = ["must name who holds the token"];
        }
        else if (request.Subject.Length > MaxSubject || JobRules.CheckName(request.Subject) is not null)
        {
            errors["subject"] = [JobRules.CheckName(request.Subject) ?? $"must be at most {MaxSubject} characters"];
        }

        if (!Enum.IsDefined(request.Role))
        {
            errors["role"] = ["must be researcher, operator or coordinator"];
        }

        if (request.Regions.Length > MaxScopes || request.Projects.Length > MaxScopes)
        {
            errors[request.Regions.Length > MaxScopes ? "regions" : "projects"] = [$"at most {MaxScopes}"];
        }

        for (var i = 0; i < request.Regions.Length; i++)
        {
            if (megaregion.IndexOf(request.Regions[i]) < 0)
            {
                errors[$"regions[{i}]"] = [$"no region is called '{request.Regions[i]}'"];
            }
        }

        for (var i = 0; i < request.Projects.Length; i++)
        {
            if (RequestValidation.CheckProject(request.Projects[i]) is { } projectError)
            {
                errors[$"projects[{i}]"] = [projectError];
            }
        }

        switch (request.Role)
        {
            case Role.Researcher when request.Projects.Length == 0:
                errors["projects"] = ["a researcher's token names at least one project"];
                break;
            case Role.Operator when request.Regions.Length == 0:
                errors["regions"] = ["an operator's token names at least one region"];
                break;
        }

        if (request.Role != Role.Operator && request.Regions.Length > 0)
        {
            errors["regions"] = ["only an operator's token names regions"];
        }

        if (request.Role != Role.Researcher && request.Projects.Length > 0)
        {
            errors["projects"] = ["only a researcher's token names projects"];
        }

        if (request.ExpiresInHours is { } hours && (!double.IsFinite(hours) || hours <= 0 || hours > AuthOptions.MaxTokenLifetime.TotalHours))
        {
            errors["expiresInHours"] = [$"must be more than 0 and at most {AuthOptions.MaxTokenLifetime.TotalHours:0} (a year); omit it for the default of {options.TokenLifetime.TotalHours:0}"];
        }

        return errors;
    }
}

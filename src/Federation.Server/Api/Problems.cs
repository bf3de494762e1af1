using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace Federation.Server.Api;

/// <summary>The problem-details answers the API gives; each names the field it is about under <c>errors</c>.</summary>
internal static class Problems
{
    public static ValidationProblem Invalid(Dictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, title: "The request is invalid.", detail: Summarize(errors));

    public static ValidationProblem Invalid(string field, string message) => Invalid(new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [message] });

    public static ProblemHttpResult NotFound(string field, string message) =>
        TypedResults.Problem(detail: message, statusCode: StatusCodes.Status404NotFound, title: "Not found.", extensions: Fields(field, message));

    /// <summary>403: the caller's role or scope does not allow this (<see cref="Auth.Access"/> says which field and why).</summary>
    public static ProblemHttpResult Forbidden(Auth.Access.Refusal refusal) =>
        TypedResults.Problem(detail: refusal.Message, statusCode: StatusCodes.Status403Forbidden, title: "The caller's role does not allow this.", extensions: Fields(refusal.Field, refusal.Message));

    public static ProblemHttpResult Conflict(string field, string message) =>
        TypedResults.Problem(detail: message, statusCode: StatusCodes.Status409Conflict, title: "Conflict.", extensions: Fields(field, message));

    public static ProblemHttpResult TooLarge(string field, string message) =>
        TypedResults.Problem(detail: message, statusCode: StatusCodes.Status413PayloadTooLarge, title: "The request is too large.", extensions: Fields(field, message));

    public static ProblemHttpResult UnsupportedMediaType(string field, string message) =>
        TypedResults.Problem(detail: message, statusCode: StatusCodes.Status415UnsupportedMediaType, title: "The body must be JSON.", extensions: Fields(field, message));

    /// <summary>429: the project already has as many queued jobs as the cap allows (nothing was stored; retry once its queue shrinks).</summary>
    public static ProblemHttpResult QueueFull(string field, string message) =>
        TypedResults.Problem(detail: message, statusCode: StatusCodes.Status429TooManyRequests, title: "The project's queue is full.", extensions: Fields(field, message));

    public static ProblemHttpResult PreconditionFailed(string field, string message, long? currentVersion) =>
        TypedResults.Problem(
            detail: message,
            statusCode: StatusCodes.Status412PreconditionFailed,
            title: "The resource changed since it was read.",
            extensions: currentVersion is { } v
                ? new Dictionary<string, object?>(StringComparer.Ordinal)
                {
                    ["errors"] = new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [message] },
                    ["currentETag"] = ETags.Of(v),
                }
                : Fields(field, message));

    public static ProblemHttpResult TooMany(string message) =>
        TypedResults.Problem(detail: message, statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests.");

    /// <summary>
    /// Documents the 503 every grain-backed endpoint may answer (with <c>Retry-After</c>) when the state
    /// store is unreachable or a grain does not answer in time; written by <c>ApiExceptionHandler</c>.
    /// </summary>
    public static TBuilder ProducesStoreUnavailable<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status503ServiceUnavailable, typeof(ProblemDetails), ["application/problem+json"]));

    /// <summary>Documents the refusals of a JSON body as a whole (<see cref="JsonBody"/>): 413 too large, 415 not JSON.</summary>
    public static TBuilder ProducesJsonBodyRefusals<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder
            .WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status413PayloadTooLarge, typeof(ProblemDetails), ["application/problem+json"]))
            .WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status415UnsupportedMediaType, typeof(ProblemDetails), ["application/problem+json"]));

    private static Dictionary<string, object?> Fields(string field, string message) =>
        new(StringComparer.Ordinal) { ["errors"] = new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [message] } };

    private static string Summarize(Dictionary<string, string[]> errors) =>
        string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"));
}

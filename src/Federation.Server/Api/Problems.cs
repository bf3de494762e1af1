using Microsoft.AspNetCore.Http.HttpResults;

namespace Federation.Server.Api;

/// <summary>The problem-details answers the API gives; each names the field it is about under <c>errors</c>.</summary>
internal static class Problems
{
    public static ValidationProblem Invalid(Dictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, title: "The request is invalid.", detail: Summarize(errors));

    public static ValidationProblem Invalid(string field, string message) => Invalid(new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [message] });

    public static ProblemHttpResult NotFound(string field, string message) =>
        TypedResults.Problem(detail: message, statusCode: StatusCodes.Status404NotFound, title: "Not found.", extensions: Fields(field, message));

    public static ProblemHttpResult Conflict(string field, string message) =>
        TypedResults.Problem(detail: message, statusCode: StatusCodes.Status409Conflict, title: "Conflict.", extensions: Fields(field, message));

    private static Dictionary<string, object?> Fields(string field, string message) =>
        new(StringComparer.Ordinal) { ["errors"] = new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [message] } };

    private static string Summarize(Dictionary<string, string[]> errors) =>
        string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"));
}

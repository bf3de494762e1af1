using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Federation.Server.Api;

/// <summary>
/// Reads a JSON request body itself rather than through parameter binding, so that a malformed body gets
/// a problem answer naming the field (from <see cref="JsonException.Path"/>) instead of a bare 400.
/// </summary>
internal static class JsonBody
{
    /// <summary>The body, or the errors that say which field is wrong; an empty body is null when <paramref name="optional"/>.</summary>
    public static async Task<(T? Value, Dictionary<string, string[]>? Errors)> ReadAsync<T>(HttpContext context, bool optional, CancellationToken cancellationToken)
        where T : class
    {
        var options = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, cancellationToken);
        if (buffer.Length == 0 || IsWhiteSpace(buffer))
        {
            return optional ? (null, null) : (null, Error("body", "a JSON body is required"));
        }

        buffer.Position = 0;
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(buffer, options, cancellationToken);
            return value is null ? (null, Error("body", "must be a JSON object, not null")) : (value, null);
        }
        catch (JsonException e)
        {
            return (null, Error(FieldOf(e.Path), Describe(e)));
        }
    }

    /// <summary>Turns a JSON path (<c>$.accelerators.count</c>, <c>$.allowedRegions[1]</c>) into a field name.</summary>
    public static string FieldOf(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return "body";
        }

        return path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
    }

    private static string Describe(JsonException e)
    {
        var message = e.Message;
        const string Marker = "could not be converted to ";
        var at = message.IndexOf(Marker, StringComparison.Ordinal);
        if (at < 0)
        {
            return e.LineNumber is { } line
                ? $"malformed JSON (line {line + 1}, byte {e.BytePositionInLine + 1})"
                : "malformed JSON";
        }

        var type = message[(at + Marker.Length)..];
        var expected = type switch
        {
            _ when type.StartsWith("System.Int32", StringComparison.Ordinal) || type.StartsWith("System.Int64", StringComparison.Ordinal) => "an integer",
            _ when type.StartsWith("System.Double", StringComparison.Ordinal) => "a number",
            _ when type.StartsWith("System.String", StringComparison.Ordinal) => "a string",
            _ when type.StartsWith("System.Boolean", StringComparison.Ordinal) => "true or false",
            _ when type.StartsWith("System.Nullable`1[System.DateTimeOffset]", StringComparison.Ordinal)
                || type.StartsWith("System.DateTimeOffset", StringComparison.Ordinal) => "an ISO 8601 date-time",
            _ when type.StartsWith("System.Collections.Immutable.ImmutableArray", StringComparison.Ordinal) => "an array",
            _ when type.StartsWith("Federation.Contracts.JobState", StringComparison.Ordinal) => "one of Submitted, Queued, Running, Completed, Failed, Cancelled",
            _ when type.StartsWith("Federation.Contracts.", StringComparison.Ordinal) => "an object",
            _ => null,
        };
        return expected is null ? "has the wrong type" : $"must be {expected}";
    }

    private static bool IsWhiteSpace(MemoryStream buffer)
    {
        foreach (var b in buffer.GetBuffer().AsSpan(0, (int)buffer.Length))
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                return false;
            }
        }

        return true;
    }

    private static Dictionary<string, string[]> Error(string field, string message) => new(StringComparer.Ordinal) { [field] = [message] };
}

using System.Buffers;
using System.IO.Pipelines;
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
    /// <summary>Largest JSON body accepted, bytes: a job request with the longest script and environment fits with room to spare.</summary>
    public const long MaxBytes = 512 * 1024;

    /// <summary>
    /// The body, or why it is refused: <c>Refused</c> for a body that is not JSON by its <c>Content-Type</c> (415: only
    /// <c>application/json</c> is accepted, which also keeps a web page of another site from sending one without a
    /// preflight) or too large (413); <c>Errors</c> naming the field for a malformed or unknown member. An empty body is
    /// null when <paramref name="optional"/>.
    /// </summary>
    public static async Task<JsonRead<T>> ReadAsync<T>(HttpContext context, bool optional, CancellationToken cancellationToken)
        where T : class
    {
        var request = context.Request;
        if (!IsJson(request.ContentType))
        {
            return new(null, null, Problems.UnsupportedMediaType("Content-Type", NotJson(request.ContentType)));
        }

        if (request.ContentLength > MaxBytes)
        {
            return new(null, null, Problems.TooLarge("body", $"must be at most {MaxBytes} bytes, not {request.ContentLength}"));
        }

        var (value, errors, tooLarge) = await ReadBodyAsync<T>(context, optional, cancellationToken);
        return tooLarge
            ? new(null, null, Problems.TooLarge("body", $"must be at most {MaxBytes} bytes"))
            : new(value, errors, null);
    }

    /// <summary>What is wrong with a body that is not JSON by its <c>Content-Type</c> (this check's and routing's 415 alike).</summary>
    public static string NotJson(string? contentType) =>
        $"must be application/json, not {(string.IsNullOrEmpty(contentType) ? "absent" : $"'{contentType}'")}";

    /// <summary>Whether a <c>Content-Type</c> says JSON (<c>application/json</c> or <c>*/*+json</c>, UTF-8 if a charset is given).</summary>
    public static bool IsJson(string? contentType)
    {
        if (!Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            return false;
        }

        var type = media.MediaType.Value ?? "";
        var json = type.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (type.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && type.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
        return json && (media.Charset.Value is null || media.Charset.Value.Equals("utf-8", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The body, or the errors that say which field is wrong; an empty body is null when <paramref name="optional"/>.</summary>
    /// <remarks>
    /// The body is read whole from the request's pipe and parsed in place (no copy into a stream, no asynchronous
    /// parse: a request body is a few hundred bytes, and this runs for every submission).
    /// </remarks>
    private static async Task<(T? Value, Dictionary<string, string[]>? Errors, bool TooLarge)> ReadBodyAsync<T>(HttpContext context, bool optional, CancellationToken cancellationToken)
        where T : class
    {
        var options = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var reader = context.Request.BodyReader;
        ReadResult read;
        while (true)
        {
            read = await reader.ReadAsync(cancellationToken);
            if (read.IsCompleted || read.IsCanceled)
            {
                break;
            }

            if (read.Buffer.Length > MaxBytes)
            {
                // A body sent without a length (chunked) that outgrows the limit: not read further.
                reader.AdvanceTo(read.Buffer.End);
                return (null, null, true);
            }

            // Nothing consumed, everything examined: the next read returns once more of the body has arrived.
            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }

        if (read.Buffer.Length > MaxBytes)
        {
            reader.AdvanceTo(read.Buffer.End);
            return (null, null, true);
        }

        try
        {
            var (value, errors) = Parse<T>(read.Buffer, optional, options);
            return (value, errors, false);
        }
        finally
        {
            reader.AdvanceTo(read.Buffer.End);
        }
    }

    private static (T? Value, Dictionary<string, string[]>? Errors) Parse<T>(ReadOnlySequence<byte> body, bool optional, JsonSerializerOptions options)
        where T : class
    {
        if (IsWhiteSpace(body))
        {
            return optional ? (null, null) : (null, Error("body", "a JSON body is required"));
        }

        byte[]? rented = null;
        try
        {
            ReadOnlySpan<byte> json;
            if (body.IsSingleSegment)
            {
                json = body.FirstSpan;
            }
            else
            {
                rented = ArrayPool<byte>.Shared.Rent((int)body.Length);
                body.CopyTo(rented);
                json = rented.AsSpan(0, (int)body.Length);
            }

            // The whole body must be one JSON value (anything after it is malformed), as a stream parse checks too.
            var value = JsonSerializer.Deserialize<T>(json, options);
            return value is null ? (null, Error("body", "must be a JSON object, not null")) : (value, null);
        }
        catch (JsonException e) when (UnknownMember(e) is { } unknown)
        {
            // A misspelt field must not silently drop what it meant (an allowedRegion that is not allowedRegions).
            var field = FieldOf(e.Path);
            var parentPath = e.Path is { } p && p.LastIndexOf('.') is var dot and > 0 ? p[..dot] : "$";
            var owner = TypeAt(options, typeof(T), parentPath) ?? typeof(T);
            if (!field.EndsWith(unknown, StringComparison.Ordinal))
            {
                field = field == "body" ? unknown : $"{field}.{unknown}";
            }

            return (null, Error(field, $"is not a field of {Describe(owner)}; the fields are {string.Join(", ", FieldsOf(options, owner))}"));
        }
        catch (JsonException e)
        {
            return (null, Error(FieldOf(e.Path), Describe(e, TypeAt(options, typeof(T), e.Path))));
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>The name of the member the serializer found no place for (unknown members are refused), or null.</summary>
    private static string? UnknownMember(JsonException e)
    {
        const string Marker = "could not be mapped to any .NET member";
        if (!e.Message.Contains(Marker, StringComparison.Ordinal))
        {
            return null;
        }

        var start = e.Message.IndexOf('\'', StringComparison.Ordinal);
        var end = start < 0 ? -1 : e.Message.IndexOf('\'', start + 1);
        return end > start ? e.Message[(start + 1)..end] : null;
    }

    private static string Describe(Type type) => type.Name switch
    {
        "JobRequest" => "a job request",
        "OfferView" => "an offer",
        "DrainRequest" => "a drain request",
        "AcceleratorRequest" => "accelerators",
        "DatasetRef" => "a dataset",
        "JobRun" => "run",
        "OfferedAcceleratorsView" => "offered accelerators",
        _ => type.Name,
    };

    private static IEnumerable<string> FieldsOf(JsonSerializerOptions options, Type type)
    {
        var element = ElementType(type) is { } e && type != typeof(string) ? e : type;
        return options.GetTypeInfo(element).Properties.Where(static p => p.Set is not null).Select(static p => p.Name);
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

    /// <summary>
    /// The declared type of the member at <paramref name="path"/> (<c>$.accelerators.count</c>, <c>$.allowedRegions[1]</c>)
    /// under <paramref name="root"/>, from the serializer's own metadata; null when the path does not lead to one.
    /// </summary>
    private static Type? TypeAt(JsonSerializerOptions options, Type root, string? path)
    {
        if (string.IsNullOrEmpty(path) || !path.StartsWith('$'))
        {
            return null;
        }

        var type = root;
        foreach (var part in path[1..].Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = part;
            var index = part.IndexOf('[', StringComparison.Ordinal);
            if (index >= 0)
            {
                name = part[..index];
            }

            if (name.Length > 0)
            {
                var info = options.GetTypeInfo(type);
                var property = info.Properties.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
                if (property is null)
                {
                    return null;
                }

                type = property.PropertyType;
            }

            if (index >= 0 && ElementType(type) is { } element)
            {
                type = element;
            }
        }

        return type;
    }

    private static Type? ElementType(Type type) =>
        type.IsArray ? type.GetElementType()
        : type.IsGenericType && type.GetGenericArguments() is [var element] && typeof(System.Collections.IEnumerable).IsAssignableFrom(type) ? element
        : null;

    /// <summary>What the member should have been, in words: from its declared type, else from the serializer's message.</summary>
    private static string Describe(JsonException e, Type? declared)
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

        // The message names the type being read, which with generated metadata can be the enclosing object's.
        var type = declared is not null && !IsArrayLike(declared) ? Nullable.GetUnderlyingType(declared)?.FullName ?? declared.FullName ?? "" : message[(at + Marker.Length)..];
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

    private static bool IsArrayLike(Type type) => type != typeof(string) && ElementType(type) is not null;

    private static bool IsWhiteSpace(ReadOnlySequence<byte> body)
    {
        foreach (var segment in body)
        {
            foreach (var b in segment.Span)
            {
                if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static Dictionary<string, string[]> Error(string field, string message) => new(StringComparer.Ordinal) { [field] = [message] };
}

/// <summary>A JSON body as read: the value, or the errors naming the field (400), or a refusal of the body as a whole (413, 415).</summary>
internal readonly record struct JsonRead<T>(T? Value, Dictionary<string, string[]>? Errors, Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult? Refused)
    where T : class;

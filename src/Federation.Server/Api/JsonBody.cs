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
    /// <summary>The body, or the errors that say which field is wrong; an empty body is null when <paramref name="optional"/>.</summary>
    /// <remarks>
    /// The body is read whole from the request's pipe and parsed in place (no copy into a stream, no asynchronous
    /// parse: a request body is a few hundred bytes, and this runs for every submission).
    /// </remarks>
    public static async Task<(T? Value, Dictionary<string, string[]>? Errors)> ReadAsync<T>(HttpContext context, bool optional, CancellationToken cancellationToken)
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

            // Nothing consumed, everything examined: the next read returns once more of the body has arrived.
            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }

        try
        {
            return Parse<T>(read.Buffer, optional, options);
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

using System.Globalization;

namespace Federation.Server.Api;

/// <summary>
/// The API's entity tags: a resource's version as a strong ETag (<c>"3"</c>), and the version an <c>If-Match</c> asks
/// for. One parser for every resource that takes <c>If-Match</c> (regions, residency classes).
/// </summary>
internal static class ETags
{
    public static string Of(long version) => $"\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    /// <summary>
    /// The version <c>If-Match</c> asks for: null when absent or <c>*</c> (any version); an error naming what to send
    /// (<paramref name="expected"/>, e.g. "the region's ETag as GET /api/regions/{id} gives it") when it is not one of
    /// this API's ETags.
    /// </summary>
    public static (long? Version, string? Error) IfMatch(HttpContext context, string expected)
    {
        ArgumentNullException.ThrowIfNull(context);
        var header = context.Request.Headers.IfMatch.ToString().Trim();
        if (header.Length == 0 || header == "*")
        {
            return (null, null);
        }

        var tag = header.StartsWith("W/", StringComparison.Ordinal) ? header[2..] : header;
        return tag.Length > 2 && tag[0] == '"' && tag[^1] == '"'
            && long.TryParse(tag[1..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? (version, null)
            : (null, $"must be {expected} (e.g. \"3\"), or *; not {header}");
    }
}

using System.Globalization;

namespace Federation.Actors.Storage;

/// <summary>
/// The ETag format every provider of ours uses: the row version as an invariant decimal string,
/// as Orleans' ADO.NET providers do. Shared so all providers agree byte for byte.
/// </summary>
public static class StorageETag
{
    public static string Format(long version) => version.ToString(CultureInfo.InvariantCulture);

    /// <summary>Parses an ETag this family of providers issued; false for anything else.</summary>
    public static bool TryParse(string? eTag, out long version)
    {
        version = 0;
        return eTag is not null
            && long.TryParse(eTag, NumberStyles.None, CultureInfo.InvariantCulture, out version)
            && version > 0;
    }

    /// <summary>The exception for a write or clear whose ETag does not match the stored version.</summary>
    public static InconsistentStateException Mismatch(string operation, string stateName, GrainId grainId, string? storedETag, string? sentETag) =>
        new(
            $"{operation} of state '{stateName}' of grain '{grainId}' was rejected: stored ETag is {Describe(storedETag)}, the caller sent {Describe(sentETag)}. Re-read the state, re-evaluate, then write.",
            storedETag,
            sentETag);

    private static string Describe(string? eTag) => eTag is null ? "none" : "'" + eTag + "'";
}

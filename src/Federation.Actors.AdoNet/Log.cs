using Microsoft.Extensions.Logging;

namespace Federation.Actors.AdoNet;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "{Dialect} database {Database}: schema migrated from version {From} to {To}")]
    public static partial void SchemaMigrated(ILogger logger, string dialect, string database, int from, int to);

    [LoggerMessage(2, LogLevel.Debug, "{Dialect} database {Database}: schema is at version {Version}")]
    public static partial void SchemaCurrent(ILogger logger, string dialect, string database, int version);

    [LoggerMessage(3, LogLevel.Error, "{Dialect} database {Database} could not be prepared")]
    public static partial void SchemaFailed(ILogger logger, string dialect, string database, Exception exception);

    [LoggerMessage(4, LogLevel.Debug, "Storage {Provider}: {Operation} of state {StateName} of grain {GrainId} rejected, stored ETag {StoredETag}, sent ETag {SentETag}")]
    public static partial void ETagMismatch(ILogger logger, string provider, string operation, string stateName, GrainId grainId, string? storedETag, string? sentETag);
}

using Microsoft.Extensions.Logging;

namespace Federation.Storage;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "{Dialect} database {Database}: schema of {Component} migrated from version {From} to {To}")]
    public static partial void SchemaMigrated(ILogger logger, string dialect, string database, string component, int from, int to);

    [LoggerMessage(2, LogLevel.Debug, "{Dialect} database {Database}: schema of {Component} is at version {Version}")]
    public static partial void SchemaCurrent(ILogger logger, string dialect, string database, string component, int version);

    [LoggerMessage(3, LogLevel.Error, "{Dialect} database {Database} could not be prepared")]
    public static partial void SchemaFailed(ILogger logger, string dialect, string database, Exception exception);

    [LoggerMessage(4, LogLevel.Debug, "Job store {Database}: {Operation} of job {JobId} rejected, stored ETag {StoredETag}, sent ETag {SentETag}")]
    public static partial void ETagMismatch(ILogger logger, string database, string operation, string jobId, string? storedETag, string? sentETag);
}

namespace Federation.Server.Hosting;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Federation server: storage {Storage}, megaregion {Megaregion} ({Regions} regions), time scale {TimeScale}x, demo {Demo}")]
    public static partial void Starting(ILogger logger, string storage, string megaregion, int regions, double timeScale, bool demo);

    [LoggerMessage(2, LogLevel.Error, "Request {Method} {Path} failed")]
    public static partial void RequestFailed(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(3, LogLevel.Warning, "Request {Method} {Path} answered 503: {Reason}")]
    public static partial void StoreUnreachable(ILogger logger, string method, string path, string reason);

    [LoggerMessage(10, LogLevel.Information, "demo: {JobId} from {Home} ({Count} x {Types}, {Hours:F1} h): {State} in {Region}")]
    public static partial void DemoSubmitted(ILogger logger, string jobId, string home, int count, string types, double hours, string state, string? region);

    [LoggerMessage(11, LogLevel.Warning, "demo: submitting {JobId} failed")]
    public static partial void DemoFailed(ILogger logger, Exception exception, string jobId);
}

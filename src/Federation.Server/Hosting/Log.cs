namespace Federation.Server.Hosting;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Federation server: storage {Storage}, megaregion {Megaregion} ({Regions} regions), time scale {TimeScale}x, demo {Demo}")]
    public static partial void Starting(ILogger logger, string storage, string megaregion, int regions, double timeScale, bool demo);

    [LoggerMessage(2, LogLevel.Error, "Request {Method} {Path} failed")]
    public static partial void RequestFailed(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(3, LogLevel.Warning, "Request {Method} {Path} answered 503: {Reason}")]
    public static partial void StoreUnreachable(ILogger logger, string method, string path, string reason);

    [LoggerMessage(4, LogLevel.Warning, "Request {Method} {Path} answered 503: a silo is unavailable ({Reason})")]
    public static partial void SiloUnavailable(ILogger logger, string method, string path, string reason);

    [LoggerMessage(20, LogLevel.Information, "Execution clock resumes at {Origin:O}, {AheadHours:F1} h ahead of wall time (time scale {TimeScale}): the previous run on this store reached that far")]
    public static partial void ClockResumed(ILogger logger, DateTimeOffset origin, double aheadHours, double timeScale);

    [LoggerMessage(21, LogLevel.Information, "Execution clock starts at wall time {Origin:O} (time scale {TimeScale}): {Reason}")]
    public static partial void ClockStarted(ILogger logger, DateTimeOffset origin, double timeScale, string reason);

    [LoggerMessage(22, LogLevel.Warning, "Execution clock: writing its mark to the store failed; retrying every {IntervalSeconds} s, logged once until it succeeds")]
    public static partial void ClockWriteFailed(ILogger logger, Exception exception, double intervalSeconds);

    [LoggerMessage(23, LogLevel.Information, "Execution clock: its mark is written again ({Mark:O})")]
    public static partial void ClockWriteRecovered(ILogger logger, DateTimeOffset mark);

    [LoggerMessage(24, LogLevel.Information, "Execution clock: this silo anchored the cluster's simulated time at {Origin:O} (time scale {TimeScale})")]
    public static partial void ClusterClockCreated(ILogger logger, DateTimeOffset origin, double timeScale);

    [LoggerMessage(25, LogLevel.Information, "Execution clock: on the cluster's simulated time, now {Now:O} (time scale {TimeScale})")]
    public static partial void ClusterClockJoined(ILogger logger, DateTimeOffset now, double timeScale);

    [LoggerMessage(26, LogLevel.Information, "Silo of region {Region} joins cluster {ClusterId} (service {ServiceId}) through PostgreSQL membership; silo {Address}:{SiloPort}, gateway {GatewayPort}")]
    public static partial void JoiningCluster(ILogger logger, string region, string clusterId, string serviceId, string address, int siloPort, int gatewayPort);

    [LoggerMessage(10, LogLevel.Information, "demo: {JobId} from {Home} ({Count} x {Types}, {Hours:F1} h): {State} in {Region}")]
    public static partial void DemoSubmitted(ILogger logger, string jobId, string home, int count, string types, double hours, string state, string? region);

    [LoggerMessage(11, LogLevel.Warning, "demo: submitting {JobId} failed")]
    public static partial void DemoFailed(ILogger logger, Exception exception, string jobId);
}

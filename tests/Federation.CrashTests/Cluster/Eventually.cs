using System.Diagnostics;

namespace Federation.CrashTests.Cluster;

/// <summary>
/// Polls what a cluster of separate processes does on its own schedule (membership, failure detection, a grain moving
/// home): there is no barrier to await across processes. Fails naming what was awaited after the deadline; returns how
/// long it took, which the failover figures report.
/// </summary>
internal static class Eventually
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    public static async Task<TimeSpan> HoldsAsync(Func<CancellationToken, Task<bool>> condition, TimeSpan deadline, string what, Stopwatch? since = null)
    {
        var clock = since ?? Stopwatch.StartNew();
        var end = clock.Elapsed + deadline;
        Exception? last = null;
        while (clock.Elapsed < end)
        {
            using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                if (await condition(attempt.Token))
                {
                    return clock.Elapsed;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException or InvalidOperationException or System.Text.Json.JsonException)
            {
                // A silo stopping or starting answers with errors meanwhile.
                last = e;
            }

            await Task.Delay(Interval);
        }

        throw new TimeoutException($"{what}: not within {deadline.TotalSeconds:0} s{(last is null ? "" : $" (last error: {last.GetType().Name}: {last.Message})")}");
    }
}

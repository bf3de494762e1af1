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

    /// <summary>
    /// Waits until <paramref name="remaining"/> reaches zero, for as long as it keeps going down: fails when it has not
    /// gone down for <paramref name="stall"/> (work that stopped, not work that is slow). Returns how long it took.
    /// </summary>
    public static async Task<TimeSpan> DrainsAsync(Func<CancellationToken, Task<int>> remaining, TimeSpan stall, string what)
    {
        var clock = Stopwatch.StartNew();
        var lowest = int.MaxValue;
        var lastProgress = TimeSpan.Zero;
        Exception? last = null;
        while (clock.Elapsed - lastProgress < stall)
        {
            using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                var now = await remaining(attempt.Token);
                if (now == 0)
                {
                    return clock.Elapsed;
                }

                if (now < lowest)
                {
                    lowest = now;
                    lastProgress = clock.Elapsed;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException or InvalidOperationException or System.Text.Json.JsonException)
            {
                last = e;
            }

            await Task.Delay(Interval);
        }

        throw new TimeoutException($"{what}: {lowest} left, none done in the last {stall.TotalSeconds:0} s (after {clock.Elapsed.TotalSeconds:0} s){(last is null ? "" : $" (last error: {last.GetType().Name}: {last.Message})")}");
    }
}

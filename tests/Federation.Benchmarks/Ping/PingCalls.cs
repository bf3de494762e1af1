namespace Federation.Benchmarks.Ping;

/// <summary>Which call a ping caller makes.</summary>
public enum PingCall
{
    /// <summary><c>ValueTask&lt;int&gt; Ping(int)</c> on the caller's own grain.</summary>
    Ping,

    /// <summary><c>Task&lt;int&gt; PingTask(int)</c> on the caller's own grain.</summary>
    Task,

    /// <summary>A ping with a record argument Orleans deep-copies.</summary>
    Record,

    /// <summary>A ping with the same record marked <c>[Immutable]</c>.</summary>
    ImmutableRecord,

    /// <summary>A ping on the one <c>[StatelessWorker]</c> grain every caller shares.</summary>
    Worker,
}

/// <summary>The callers' loops, shared by the BenchmarkDotNet classes and the <c>ping</c> load generator.</summary>
internal static class PingCalls
{
    /// <summary>Starts one caller on the thread pool (not inline on the starting thread, so all callers run concurrently).</summary>
    public static Task StartCaller(PingCall call, IPingGrain grain, IWorkerPingGrain worker, int calls) =>
        Task.Run(() => RunAsync(call, grain, worker, calls));

    /// <summary>Makes exactly <paramref name="calls"/> calls, each awaited before the next.</summary>
    public static async Task RunAsync(PingCall call, IPingGrain grain, IWorkerPingGrain worker, int calls)
    {
        var value = 0;
        switch (call)
        {
            case PingCall.Ping:
                for (var i = 0; i < calls; i++)
                {
                    value = await grain.Ping(value);
                }

                break;
            case PingCall.Task:
                for (var i = 0; i < calls; i++)
                {
                    value = await grain.PingTask(value);
                }

                break;
            case PingCall.Record:
                var job = PingJob.Sample;
                for (var i = 0; i < calls; i++)
                {
                    value = await grain.PingRecord(value, job);
                }

                break;
            case PingCall.ImmutableRecord:
                var immutable = ImmutablePingJob.Sample;
                for (var i = 0; i < calls; i++)
                {
                    value = await grain.PingImmutableRecord(value, immutable);
                }

                break;
            case PingCall.Worker:
                for (var i = 0; i < calls; i++)
                {
                    value = await worker.Ping(value);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(call), call, null);
        }

        if (value != calls)
        {
            throw new InvalidOperationException($"{call}: {calls} calls answered {value}");
        }
    }
}

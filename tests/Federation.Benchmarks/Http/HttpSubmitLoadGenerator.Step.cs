using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Federation.Benchmarks.Http;

/// <summary>One step: a warm-up and a measured window at one fixed rate, over every target.</summary>
public sealed partial class HttpSubmitLoadGenerator
{
    /// <summary>Status of a submission not sent (yet); 0 is a transport error, anything else the HTTP status.</summary>
    private const int NotSentStatus = -1;

    /// <param name="token">The bearer token every submission sends.</param>
    /// <param name="pids">Server processes whose CPU is reported (the child, or <c>--pids</c>).</param>
    /// <param name="stallsLabel">What runs in this process, for the line of its own figures.</param>
    private static async Task<SubmitStepResult> RunStepAsync(
        Options o, double rate, double warmup, SubmitTargets targets, string token, IReadOnlyList<int> pids, string stallsLabel, CancellationToken cancellationToken)
    {
        var run = DateTime.UtcNow.ToString("HHmmssfff", CultureInfo.InvariantCulture);
        var warmupCount = (int)(rate * warmup);
        var total = warmupCount + (int)(rate * o.Duration);
        var targetOf = new int[total];
        var bodies = new byte[total][];
        for (var i = 0; i < total; i++)
        {
            var t = targetOf[i] = targets.TargetOf(i);
            var home = SubmitTargets.HomeOf(i);
            var body = Encoding.UTF8.GetBytes(Body($"load-{run}-{i:D7}", home, o.Hours));
            var uri = targets.Uris[t];
            bodies[i] = o.Client == "raw" ? RawHttpConnection.JsonPost(uri.Authority, uri.AbsolutePath + "api/jobs", body, token) : body;
        }

        var statuses = new int[total];
        Array.Fill(statuses, NotSentStatus);
        var serviceTicks = new long[total];
        var intendedTicks = new long[total];
        var firstErrors = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var start = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 5);
        long Intended(int i) => start + (long)(i * (double)Stopwatch.Frequency / rate);

        void Record(int i, long sent, long done, int status, string? error)
        {
            if (status != (int)HttpStatusCode.Created)
            {
                firstErrors.TryAdd(ErrorKey(status), error ?? "");
            }

            serviceTicks[i] = done - sent;

            // From the intended time, or from the send when the pacer let it go early (by < 1 ms): never less than from send.
            intendedTicks[i] = done - Math.Min(sent, Intended(i));
            Volatile.Write(ref statuses[i], status);
        }

        // Open loop without a pacer thread: a free client takes the next request in order and sends it at its
        // intended time; when every client is busy the request waits for one, which "from intended" counts.
        var next = -1;
        async Task<int> NextAsync()
        {
            var i = Interlocked.Increment(ref next);
            if (i < total)
            {
                // Task.Delay rounds to whole milliseconds: a wait under 1 ms sends at once.
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), Intended(i));
                if (wait >= TimeSpan.FromMilliseconds(1))
                {
                    await Task.Delay(wait, cancellationToken);
                }
            }

            return i;
        }

        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = o.Clients, PooledConnectionLifetime = Timeout.InfiniteTimeSpan, UseProxy = false };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        var postUris = new Uri[targets.Count];
        var endPoints = new IPEndPoint[targets.Count];
        for (var t = 0; t < targets.Count; t++)
        {
            var uri = targets.Uris[t];
            postUris[t] = new Uri(uri, "api/jobs");
            endPoints[t] = new IPEndPoint(IPAddress.Parse(uri.Host == "localhost" ? "127.0.0.1" : uri.Host), uri.Port);
        }

        // Each client holds a keep-alive socket to every target, so any client may take the next submission wherever it
        // goes; all are opened before the first send, so no connect falls in the measured window.
        var connections = new RawHttpConnection?[o.Clients][];
        try
        {
            for (var c = 0; c < o.Clients; c++)
            {
                connections[c] = new RawHttpConnection?[targets.Count];
                if (o.Client == "raw")
                {
                    for (var t = 0; t < targets.Count; t++)
                    {
                        connections[c][t] = await RawHttpConnection.ConnectAsync(endPoints[t], cancellationToken);
                    }
                }
            }

            var workers = new Task[o.Clients];
            for (var w = 0; w < workers.Length; w++)
            {
                var own = connections[w];
                workers[w] = Task.Run(
                    async () =>
                    {
                        int i;
                        while ((i = await NextAsync()) < total && !cancellationToken.IsCancellationRequested)
                        {
                            var t = targetOf[i];
                            var sent = Stopwatch.GetTimestamp();
                            try
                            {
                                if (o.Client == "raw")
                                {
                                    // A connection lost earlier is opened again for this request (its connect counted in its latency).
                                    var connection = own[t] ??= await RawHttpConnection.ConnectAsync(endPoints[t], cancellationToken);
                                    var (status, body) = await connection.SendAsync(bodies[i], (int)HttpStatusCode.Created, cancellationToken);
                                    Record(i, sent, Stopwatch.GetTimestamp(), status, body);
                                }
                                else
                                {
                                    using var content = new ByteArrayContent(bodies[i]);
                                    content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                                    using var response = await http.PostAsync(postUris[t], content, cancellationToken);
                                    var done = Stopwatch.GetTimestamp();
                                    var error = response.StatusCode == HttpStatusCode.Created ? null : await response.Content.ReadAsStringAsync(cancellationToken);
                                    Record(i, sent, done, (int)response.StatusCode, error);
                                }
                            }
                            catch (Exception e) when (e is HttpRequestException or IOException or SocketException or InvalidDataException or TaskCanceledException
                                && !cancellationToken.IsCancellationRequested)
                            {
                                Record(i, sent, Stopwatch.GetTimestamp(), 0, $"{targets.Uris[t].Authority}: {e.GetType().Name}: {e.Message}");
                                own[t]?.Dispose();
                                own[t] = null;
                            }
                        }
                    },
                    cancellationToken);
            }

            // Stall attribution for the measured window (warm-up excluded): GC pauses and collections, process
            // CPU, and the thread pool's backlog sampled every millisecond by a thread of its own.
            var monitor = new StallMonitor();
            var measuredFrom = Intended(warmupCount);

            // In UTC too, so the seconds of slow answers can be matched with the logs of the servers and the database.
            var windowStart = DateTime.UtcNow + Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), measuredFrom);
            var untilMeasured = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), measuredFrom);
            if (untilMeasured > TimeSpan.Zero)
            {
                await Task.Delay(untilMeasured, cancellationToken);
            }

            var cpuBefore = CpuSnapshot.Take(pids);
            monitor.Start();
            await Task.WhenAll(workers);
            var end = Stopwatch.GetTimestamp();
            var cpuAfter = CpuSnapshot.Take(pids);
            var stalls = monitor.Stop();
            var (machineCpu, postgresCpu, serverCpu, generatorCpu) = CpuSnapshot.Used(cpuBefore, cpuAfter);
            return Summarize(rate, targets, warmupCount, targetOf, statuses, serviceTicks, intendedTicks, firstErrors) with
            {
                WindowSeconds = Stopwatch.GetElapsedTime(measuredFrom, end).TotalSeconds,
                WindowStart = windowStart,
                MachineCpu = machineCpu,
                PostgresCpu = postgresCpu,
                ServerCpu = pids.Select((pid, k) => (pid, serverCpu[k])).ToArray(),
                GeneratorCpu = generatorCpu,
                Stalls = stallsLabel + stalls,
            };
        }
        finally
        {
            foreach (var own in connections)
            {
                foreach (var connection in own ?? [])
                {
                    connection?.Dispose();
                }
            }
        }
    }

    private static string ErrorKey(int status) => status == 0 ? "connection" : status.ToString(CultureInfo.InvariantCulture);

    private static SubmitStepResult Summarize(
        double rate, SubmitTargets targets, int warmupCount, int[] targetOf, int[] statuses, long[] serviceTicks, long[] intendedTicks,
        ConcurrentDictionary<string, string> firstErrors)
    {
        static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        var fromSend = new List<double>();
        var fromIntended = new List<double>();
        var errors = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var perTarget = new (int Sent, int Created, List<double> FromSend, SortedDictionary<string, int> Errors)[targets.Count];
        for (var t = 0; t < perTarget.Length; t++)
        {
            perTarget[t] = (0, 0, [], new SortedDictionary<string, int>(StringComparer.Ordinal));
        }

        // Which second of the window (by intended send) each answer belongs to, to tell a tail spread over the window
        // from one that a few stalls make.
        var seconds = new List<(int Second, double Ms)>();
        int created = 0, notSent = 0, warmupFailures = 0;
        for (var i = 0; i < statuses.Length; i++)
        {
            var status = statuses[i];
            if (i < warmupCount)
            {
                warmupFailures += status is not NotSentStatus and not (int)HttpStatusCode.Created ? 1 : 0;
                continue;
            }

            ref var target = ref perTarget[targetOf[i]];
            if (status == NotSentStatus)
            {
                notSent++;
                continue;
            }

            target.Sent++;
            if (status == (int)HttpStatusCode.Created)
            {
                created++;
                target.Created++;
                fromSend.Add(Ms(serviceTicks[i]));
                seconds.Add(((int)((i - warmupCount) / rate), Ms(serviceTicks[i])));
                fromIntended.Add(Ms(intendedTicks[i]));
                target.FromSend.Add(Ms(serviceTicks[i]));
            }
            else
            {
                var key = ErrorKey(status);
                errors[key] = errors.GetValueOrDefault(key) + 1;
                target.Errors[key] = target.Errors.GetValueOrDefault(key) + 1;
            }
        }

        var measured = statuses.Length - warmupCount;
        var summary = LatencySummary.Of(fromSend);
        return new SubmitStepResult
        {
            TailSeconds = summary is null ? [] : TailSeconds(seconds, summary.P99),
            Rate = rate,
            Measured = measured,
            Created = created,
            NotSent = notSent,
            WindowSeconds = 1,
            WindowStart = default,
            FromSend = summary,
            FromIntended = LatencySummary.Of(fromIntended),
            Errors = errors,
            FirstErrors = new Dictionary<string, string>(firstErrors, StringComparer.Ordinal),
            WarmupFailures = warmupFailures,
            Targets = perTarget.Select((p, t) => new TargetResult(targets.Uris[t], targets.RegionOf(t), p.Sent, p.Created, LatencySummary.Of(p.FromSend), p.Errors)).ToArray(),
            ServerCpu = [],
            Stalls = "",
        };
    }

    /// <summary>The (at most) three seconds of the window with the most answers slower than <paramref name="p99"/>.</summary>
    private static (int Second, int Count, double MaxMs)[] TailSeconds(List<(int Second, double Ms)> answers, double p99)
    {
        var bySecond = new Dictionary<int, (int Count, double Max)>();
        foreach (var (second, ms) in answers)
        {
            if (ms > p99)
            {
                var (count, max) = bySecond.GetValueOrDefault(second);
                bySecond[second] = (count + 1, Math.Max(max, ms));
            }
        }

        return [.. bySecond.OrderByDescending(s => s.Value.Count).ThenByDescending(s => s.Value.Max).Take(3).Select(s => (s.Key, s.Value.Count, s.Value.Max))];
    }

    private static string Body(string id, string home, double hours) =>
        "{\"id\":\"" + id + "\",\"project\":\"load\",\"owner\":\"bench\",\"homeRegion\":\"" + home
        + "\",\"accelerators\":{\"count\":1},\"durationHours\":" + hours.ToString(CultureInfo.InvariantCulture)
        + ",\"dataset\":{\"region\":\"" + home + "\",\"sizeGb\":10}}";
}

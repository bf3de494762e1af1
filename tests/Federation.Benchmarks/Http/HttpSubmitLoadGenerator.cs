using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Federation.Server;
using Federation.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Federation.Benchmarks.Http;

/// <summary>
/// <c>http-submit</c>: POST /api/jobs at a fixed rate (open loop: a request's send time is fixed in
/// advance, whether or not earlier ones have been answered) from concurrent clients over loopback, for a
/// bounded time, and prints p50/p90/p99/p99.9/max latency and the achieved rate. Two latencies are
/// reported: from the actual send, and from the intended send time (which also counts any time a request
/// waited for a free client, so a server that falls behind cannot hide it). By default the server runs as a
/// process of its own on 127.0.0.1 (memory, SQLite or PostgreSQL storage), as deployed, and its CPU is
/// reported apart; <c>--server in-process</c> hosts it in this process instead, <c>--url</c> targets a
/// running one. The clients are keep-alive sockets sending prepared requests (<c>--client httpclient</c>
/// uses <see cref="HttpClient"/>, which costs several times the server's CPU per request). The warm-up
/// (10 s by default) runs at the same rate so that the tiered JIT has optimized the server's hot path
/// before the measured window. On PostgreSQL each run gets a schema of its own, dropped afterwards.
/// </summary>
public sealed class HttpSubmitLoadGenerator : ILoadGenerator
{
    private const string UsageText =
        "http-submit [--rate 2000] [--duration 10] [--warmup 10] [--clients 64] [--storage memory|sqlite|postgres]\n" +
        "            [--connection <sqlite file | Npgsql connection string, default $FEDERATION_TEST_POSTGRES>]\n" +
        "            [--time-scale 100] [--hours 0.01] [--server process|in-process | --url http://host:port]\n" +
        "            [--client raw|httpclient]";

    private static readonly string[] Regions = ["gwangju", "suncheon", "gwangyang", "daegu"];

    public string Verb => "http-submit";

    public string Description => "POST /api/jobs at a fixed rate over loopback from keep-alive sockets; p50/p99/p99.9/max from send and from intended send (server as a child process, in process, or --url)";

    public string Usage => UsageText;

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        Options o;
        try
        {
            o = Options.Parse(args);
        }
        catch (FormatException e)
        {
            await Console.Error.WriteLineAsync($"http-submit: {e.Message}\n{LoadGeneratorArgs.UsageLine(UsageText)}");
            return 2;
        }

        WebApplication? app = null;
        var appLogGate = new ConsoleLogGate(LogLevel.Error);
        ServerChildProcess? child = null;
        string? tempFolder = null;
        string? postgres = null, schema = null;
        var url = o.Url;
        string? storage = null;
        var failed = false;
        try
        {
            if (url is null)
            {
                var serverArgs = new List<string> { "--storage", o.Storage, "--time-scale", o.TimeScale.ToString(CultureInfo.InvariantCulture) };
                if (o.Storage == "sqlite")
                {
                    var connection = o.Connection;
                    if (connection is null)
                    {
                        tempFolder = Path.Combine(Path.GetTempPath(), $"http-submit-{Guid.NewGuid():N}");
                        Directory.CreateDirectory(tempFolder);
                        connection = Path.Combine(tempFolder, "federation.db");
                    }

                    serverArgs.AddRange(["--connection", connection]);
                }
                else if (o.Storage == "postgres")
                {
                    try
                    {
                        postgres = BenchmarkPostgres.ConnectionOrDefault(o.Connection);
                    }
                    catch (FormatException e)
                    {
                        await Console.Error.WriteLineAsync($"http-submit: {e.Message}");
                        return 2;
                    }

                    schema = BenchmarkPostgres.NewSchema("bench_http");
                    serverArgs.AddRange(["--connection", postgres, "--schema", schema, "--Federation:StoreMaxPoolSize", BenchmarkPostgres.MaxPoolSize.ToString(CultureInfo.InvariantCulture)]);
                }

                storage = $"{o.Storage}, time scale {o.TimeScale.ToString(CultureInfo.InvariantCulture)}x";
                if (o.Server == "process")
                {
                    child = await ServerChildProcess.StartAsync(serverArgs, cancellationToken);
                    url = child.Url;
                    storage = $"server process {child.ProcessId} ({storage})";
                }
                else
                {
                    // Ports of its own for the silo too: two runs, or a run and a server on the defaults, must not collide.
                    var ports = FreePorts.Take(2);
                    var builder = FederationServer.CreateBuilder(
                    [
                        .. serverArgs,
                        "--urls", "http://127.0.0.1:0",
                        "--silo-port", ports[0].ToString(CultureInfo.InvariantCulture),
                        "--gateway-port", ports[1].ToString(CultureInfo.InvariantCulture),
                    ]);

                    // Errors only: a failed request says why (the server logs it), and nothing else competes for the cores.
                    appLogGate.Apply(builder.Logging);
                    app = FederationServer.Build(builder);
                    await app.StartAsync(cancellationToken);
                    url = app.Urls.Single();
                    storage = $"server in this process ({storage}, {app.Services.GetRequiredService<ServerSettings>().StorageDescription})";
                }
            }

            var code = await DriveAsync(o, url, storage, child, cancellationToken);
            failed = code != 0;
            return code;
        }
        finally
        {
            if (app is not null)
            {
                appLogGate.Stopping();
                await app.StopAsync(CancellationToken.None);
                await app.DisposeAsync();
            }

            if (child is not null)
            {
                await child.DisposeAsync();
                if (failed)
                {
                    Console.WriteLine($"server log: {child.LogPath}");
                }
                else
                {
                    File.Delete(child.LogPath);
                }
            }

            if (tempFolder is not null)
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                Directory.Delete(tempFolder, recursive: true);
            }

            if (schema is not null)
            {
                await BenchmarkPostgres.DropSchemaAsync(postgres!, schema);
            }
        }
    }

    /// <param name="server">Where the server runs, in words; null when driving <c>--url</c>.</param>
    /// <param name="child">The server process when it is a child of this one (its CPU is reported).</param>
    private static async Task<int> DriveAsync(Options o, string url, string? server, ServerChildProcess? child, CancellationToken cancellationToken)
    {
        var baseUri = new Uri(url.TrimEnd('/') + "/");
        var run = DateTime.UtcNow.ToString("HHmmssfff", CultureInfo.InvariantCulture);
        var warmupCount = (int)(o.Rate * o.Warmup);
        var total = warmupCount + (int)(o.Rate * o.Duration);
        var bodies = new byte[total][];
        for (var i = 0; i < total; i++)
        {
            var body = Encoding.UTF8.GetBytes(Body($"load-{run}-{i:D7}", Regions[i % Regions.Length], o.Hours));
            bodies[i] = o.Client == "raw" ? RawHttpConnection.JsonPost(baseUri.Authority, baseUri.AbsolutePath + "api/jobs", body) : body;
        }

        var serviceTicks = new long[total];
        var intendedTicks = new long[total];
        var failures = 0;
        string? firstFailure = null;
        var start = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 5;
        long Intended(int i) => start + (long)(i * (double)Stopwatch.Frequency / o.Rate);

        void Record(int i, long sent, long done, int status, string? error)
        {
            if (status != (int)HttpStatusCode.Created)
            {
                Interlocked.Increment(ref failures);
                Interlocked.CompareExchange(ref firstFailure, status == 0 ? error : $"{status}: {error}", null);
                serviceTicks[i] = intendedTicks[i] = -1;
                return;
            }

            serviceTicks[i] = done - sent;

            // From the intended time, or from the send when the pacer let it go early (by < 1 ms): never less than from send.
            intendedTicks[i] = done - Math.Min(sent, Intended(i));
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
        using var http = new HttpClient(handler) { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(30) };
        var endPoint = new IPEndPoint(IPAddress.Parse(baseUri.Host == "localhost" ? "127.0.0.1" : baseUri.Host), baseUri.Port);
        var connections = new List<RawHttpConnection>();
        if (o.Client == "raw")
        {
            for (var c = 0; c < o.Clients; c++)
            {
                connections.Add(await RawHttpConnection.ConnectAsync(endPoint, cancellationToken));
            }
        }

        var workers = new Task[o.Clients];
        for (var w = 0; w < workers.Length; w++)
        {
            var connection = o.Client == "raw" ? connections[w] : null;
            workers[w] = Task.Run(
                async () =>
                {
                    int i;
                    while ((i = await NextAsync()) < total && !cancellationToken.IsCancellationRequested)
                    {
                        var sent = Stopwatch.GetTimestamp();
                        try
                        {
                            if (connection is not null)
                            {
                                var (status, body) = await connection.SendAsync(bodies[i], (int)HttpStatusCode.Created, cancellationToken);
                                Record(i, sent, Stopwatch.GetTimestamp(), status, body);
                            }
                            else
                            {
                                using var content = new ByteArrayContent(bodies[i]);
                                content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                                using var response = await http.PostAsync("api/jobs", content, cancellationToken);
                                var done = Stopwatch.GetTimestamp();
                                var error = response.StatusCode == HttpStatusCode.Created ? null : await response.Content.ReadAsStringAsync(cancellationToken);
                                Record(i, sent, done, (int)response.StatusCode, error);
                            }
                        }
                        catch (Exception e) when (e is HttpRequestException or IOException or SocketException or InvalidDataException)
                        {
                            Record(i, sent, Stopwatch.GetTimestamp(), 0, e.Message);
                            if (connection is not null)
                            {
                                // A broken connection ends this client; the others go on.
                                return;
                            }
                        }
                    }
                },
                cancellationToken);
        }

        // Stall attribution for the measured window (warm-up excluded): GC pauses and collections, process
        // CPU, and the thread pool's backlog sampled every millisecond by a thread of its own.
        var monitor = new StallMonitor();
        var measuredFrom = Intended(warmupCount);
        var untilMeasured = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), measuredFrom);
        if (untilMeasured > TimeSpan.Zero)
        {
            await Task.Delay(untilMeasured, cancellationToken);
        }

        var serverCpuBefore = child?.Cpu;
        monitor.Start();
        await Task.WhenAll(workers);
        var end = Stopwatch.GetTimestamp();
        var serverCpu = child is null ? (TimeSpan?)null : child.Cpu - serverCpuBefore!.Value;
        var stalls = monitor.Stop();
        foreach (var c in connections)
        {
            c.Dispose();
        }

        var window = Stopwatch.GetElapsedTime(measuredFrom, end).TotalSeconds;
        var measured = total - warmupCount;
        var achieved = measured / window;

        Console.WriteLine($"http-submit: {o.Rate.ToString(CultureInfo.InvariantCulture)}/s for {o.Duration.ToString(CultureInfo.InvariantCulture)} s after {o.Warmup.ToString(CultureInfo.InvariantCulture)} s warm-up, " +
            $"{o.Clients} {(o.Client == "raw" ? "keep-alive socket" : "HttpClient")} clients, {server ?? url}; {Environment.ProcessorCount} cores");
        Console.WriteLine($"requests measured: {measured} ({failures} failed over the whole run); achieved rate {achieved:F0}/s");
        if (firstFailure is not null)
        {
            Console.WriteLine($"first failure: {firstFailure}");
        }

        Console.WriteLine($"latency from send (ms):            {Percentiles(serviceTicks, warmupCount)}");
        Console.WriteLine($"latency from intended send (ms):   {Percentiles(intendedTicks, warmupCount)}");
        if (serverCpu is { } cpu)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"server process: CPU {100 * cpu.TotalSeconds / window:F0} % of one core, {cpu.TotalMilliseconds * 1000 / measured:F0} us per request"));
        }

        Console.WriteLine((child is null && server is not null ? "this process (server and load generator): " : "load generator process: ") + stalls);
        return failures == 0 ? 0 : 1;
    }

    private static string Percentiles(long[] ticks, int skip)
    {
        var measured = ticks.Skip(skip).Where(t => t >= 0).Select(t => t * 1000.0 / Stopwatch.Frequency).ToArray();
        if (measured.Length == 0)
        {
            return "no successful requests";
        }

        Array.Sort(measured);
        string At(double q) => measured[Math.Min(measured.Length - 1, (int)Math.Ceiling(q * measured.Length) - 1)].ToString("F2", CultureInfo.InvariantCulture);
        return $"p50 {At(0.50)}  p90 {At(0.90)}  p99 {At(0.99)}  p99.9 {At(0.999)}  max {measured[^1].ToString("F2", CultureInfo.InvariantCulture)}";
    }

    private static string Body(string id, string home, double hours) =>
        "{\"id\":\"" + id + "\",\"project\":\"load\",\"owner\":\"bench\",\"homeRegion\":\"" + home
        + "\",\"accelerators\":{\"count\":1},\"durationHours\":" + hours.ToString(CultureInfo.InvariantCulture)
        + ",\"dataset\":{\"region\":\"" + home + "\",\"sizeGb\":10}}";

    private sealed record Options
    {
        public double Rate { get; init; } = 2000;

        public double Duration { get; init; } = 10;

        public double Warmup { get; init; } = 10;

        public int Clients { get; init; } = 64;

        public string Storage { get; init; } = "memory";

        public string? Connection { get; init; }

        public double TimeScale { get; init; } = 100;

        public double Hours { get; init; } = 0.01;

        public string? Url { get; init; }

        public string Client { get; init; } = "raw";

        public string Server { get; init; } = "process";

        public static Options Parse(string[] args)
        {
            var o = new Options();
            for (var i = 0; i < args.Length; i++)
            {
                var value = i + 1 < args.Length ? args[i + 1] : throw new FormatException($"{args[i]} needs a value");
                o = args[i] switch
                {
                    "--rate" => o with { Rate = Positive(args[i], value) },
                    "--duration" => o with { Duration = Positive(args[i], value) },
                    "--warmup" => o with { Warmup = double.Parse(value, CultureInfo.InvariantCulture) },
                    "--clients" => o with { Clients = (int)Positive(args[i], value) },
                    "--storage" => value is "memory" or "sqlite" or "postgres" ? o with { Storage = value } : throw new FormatException("--storage must be memory, sqlite or postgres"),
                    "--connection" => o with { Connection = value },
                    "--time-scale" => o with { TimeScale = Positive(args[i], value) },
                    "--hours" => o with { Hours = Positive(args[i], value) },
                    "--url" => o with { Url = value },
                    "--client" => value is "raw" or "httpclient" ? o with { Client = value } : throw new FormatException("--client must be raw or httpclient"),
                    "--server" => value is "process" or "in-process" ? o with { Server = value } : throw new FormatException("--server must be process or in-process"),
                    _ => throw new FormatException($"unknown option {args[i]}"),
                };
                i++;
            }

            return o;
        }

        private static double Positive(string name, string value) =>
            double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : throw new FormatException($"{name} must be a number > 0");
    }
}

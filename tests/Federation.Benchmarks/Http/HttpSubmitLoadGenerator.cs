using Federation.TestKit.Net;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Federation.Server;
using Federation.Server.Hosting;
using Federation.TestKit;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Federation.Benchmarks.Http;

/// <summary>
/// <c>http-submit</c>: POST /api/jobs at a fixed rate (open loop: a request's send time is fixed in
/// advance, whether or not earlier ones have been answered) from concurrent clients over loopback, for a
/// bounded time, and prints p50/p90/p99/p99.9/max latency, the achieved rate of placements (201 answers per
/// second) and the answers that were not 201 by status. Two latencies are reported: from the actual send, and
/// from the intended send time (which also counts any time a request waited for a free client, so a server that
/// falls behind cannot hide it). By default the server runs as a process of its own on 127.0.0.1 (memory, SQLite
/// or PostgreSQL storage), as deployed, and its CPU is reported apart; <c>--server in-process</c> hosts it in this
/// process instead. <c>--url</c> targets one running server and <c>--targets</c> several, such as the four silos
/// of <c>deploy/local/megaregion.sh</c>, each serving the whole API: submissions are spread over them
/// (<see cref="SubmitSpread"/>) and the split per target is printed; every request sends a coordinator's token
/// (<c>--token</c>, else <c>$FEDCTL_TOKEN</c>; a server started here gets the test bootstrap token). The clients are keep-alive sockets sending
/// prepared requests (<c>--client httpclient</c> uses <see cref="HttpClient"/>, which costs several times the
/// server's CPU per request). The warm-up (10 s by default) runs at the same rate so that the tiered JIT has
/// optimized the server's hot path before the measured window. On PostgreSQL each run gets a schema of its own,
/// dropped afterwards. <c>--rates</c> runs several rates in a row on the same servers, and <c>--saturate</c>
/// searches for the highest rate whose p99 stays under a target.
/// </summary>
public sealed partial class HttpSubmitLoadGenerator : ILoadGenerator
{
    private const string UsageText =
        "http-submit [--rate 2000 | --rates 250,500,1000 | --saturate <p99 ms> [--rate <first>] [--max-rate 20000] [--search-steps 3]]\n" +
        "            [--duration 10] [--warmup 10] [--first-warmup <s, default --warmup>] [--clients 64] [--hours 0.01] [--client raw|httpclient]\n" +
        "            server started here: [--storage memory|sqlite|postgres] [--server process|in-process] [--time-scale 100]\n" +
        "                                 [--connection <sqlite file | Npgsql connection string, default $FEDERATION_TEST_POSTGRES>]\n" +
        "            running servers:     --url http://host:port | --targets http://h:p1,http://h:p2,... [--spread round-robin|home]\n" +
        "                                 [--token <a coordinator's token, default $FEDCTL_TOKEN>] [--pids <their process ids, for their CPU>]";

    /// <summary>The variable <c>fedctl</c> reads its token from, read here too: a shell set up for one is set up for the other.</summary>
    private const string TokenVariable = "FEDCTL_TOKEN";

    /// <summary>The lowest rate <c>--saturate</c> tries before it gives up.</summary>
    private const double MinimumRate = 10;

    /// <summary>Between two steps: the jobs of the last one finish (0.36 s at time scale 100) and its notices settle.</summary>
    private static readonly TimeSpan PauseBetweenSteps = TimeSpan.FromSeconds(3);

    public string Verb => "http-submit";

    public string Description => "POST /api/jobs at fixed rates over loopback from keep-alive sockets to one server or several (a cluster's silos); placements/s, p50/p90/p99/p99.9/max from send and from intended send, errors by status, split per target";

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
        var failed = false;
        try
        {
            SubmitTargets targets;
            string server;
            string token;
            IReadOnlyList<int> pids = o.Pids;
            var stallsLabel = "load generator process: ";
            if (o.Targets is not null || o.Url is not null)
            {
                targets = o.Targets is { } list ? SubmitTargets.Parse(list, o.Spread) : SubmitTargets.Single(o.Url!);

                // A coordinator's: the jobs name their owner, which only a coordinator submits on someone's behalf.
                token = o.Token ?? throw new FormatException($"running servers need a coordinator's token: --token <token>, or set ${TokenVariable}");
                if (!await DescribeTargetsAsync(targets, o, token, cancellationToken))
                {
                    return 2;
                }

                server = targets.Count == 1
                    ? targets.Uris[0].ToString()
                    : $"{targets.Count} targets ({(targets.Spread == SubmitSpread.Home ? "each job to its home region's" : "round-robin")})";
            }
            else
            {
                // The limit on changes per caller is off: one load generator is one caller, and this measures the server. So is
                // the cap on queued jobs per project: every job is of one project, and a long run queues more than the cap.
                // The server is this run's own, on loopback: the test bootstrap token is its coordinator token.
                var serverArgs = new List<string> { "--storage", o.Storage, "--time-scale", o.TimeScale.ToString(CultureInfo.InvariantCulture), "--Federation:RateLimit:ChangesPerMinute=0", "--Federation:Admission:MaxQueuedJobsPerProject=0", TestTokens.BootstrapArgument };
                token = TestTokens.Bootstrap;
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

                var storage = $"{o.Storage}, time scale {o.TimeScale.ToString(CultureInfo.InvariantCulture)}x";
                if (o.Server == "process")
                {
                    child = await ServerChildProcess.StartAsync(serverArgs, cancellationToken);
                    targets = SubmitTargets.Single(child.Url);
                    server = $"server process {child.ProcessId} ({storage})";
                    pids = [child.ProcessId];
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
                    targets = SubmitTargets.Single(app.Urls.Single());
                    server = $"server in this process ({storage}, {app.Services.GetRequiredService<ServerSettings>().StorageDescription})";
                    stallsLabel = "this process (server and load generator): ";
                }
            }

            var steps = await RunStepsAsync(o, targets, server, token, pids, stallsLabel, cancellationToken);

            // A fixed rate is expected to be placed in full; a search runs into the rates where it is not.
            failed = o.Saturate is null && steps.Exists(s => s.Failed > 0 || s.NotSent > 0);
            return failed ? 1 : 0;
        }
        catch (FormatException e)
        {
            await Console.Error.WriteLineAsync($"http-submit: {e.Message}\n{LoadGeneratorArgs.UsageLine(UsageText)}");
            return 2;
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

    /// <summary>The fixed rates one after another, or the search of <c>--saturate</c>; prints each step, then a table of all.</summary>
    private static async Task<List<SubmitStepResult>> RunStepsAsync(
        Options o, SubmitTargets targets, string server, string token, IReadOnlyList<int> pids, string stallsLabel, CancellationToken cancellationToken)
    {
        var steps = new List<SubmitStepResult>();
        async Task<SubmitStepResult> StepAsync(double rate)
        {
            if (steps.Count > 0)
            {
                await Task.Delay(PauseBetweenSteps, cancellationToken);
            }

            if (steps.Count > 0 || o.Saturate is not null || o.Rates is not null)
            {
                Console.WriteLine();
            }

            var warmup = steps.Count == 0 ? o.FirstWarmup ?? o.Warmup : o.Warmup;
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"http-submit: {rate}/s for {o.Duration} s after {warmup} s warm-up, {o.Clients} {(o.Client == "raw" ? "keep-alive socket" : "HttpClient")} clients, {server}; {Environment.ProcessorCount} cores, load average {LoadAverage()}"));
            var step = await RunStepAsync(o, rate, warmup, targets, token, pids, stallsLabel, cancellationToken);
            step.Print(Console.Out);
            steps.Add(step);
            return step;
        }

        if (o.Saturate is { } p99Target)
        {
            var best = await SaturateAsync(o, p99Target, StepAsync);
            PrintTable(steps, p99Target);
            Console.WriteLine(best is { } rate
                ? string.Create(CultureInfo.InvariantCulture, $"highest rate with every submission placed and p99 from intended send <= {p99Target} ms: {rate}/s")
                : string.Create(CultureInfo.InvariantCulture, $"no rate down to {MinimumRate}/s kept p99 from intended send <= {p99Target} ms"));
        }
        else
        {
            foreach (var rate in o.Rates ?? [o.Rate])
            {
                await StepAsync(rate);
            }

            if (steps.Count > 1)
            {
                PrintTable(steps, null);
            }
        }

        return steps;
    }

    /// <summary>
    /// Up by half from <c>--rate</c> while a step meets the target (down by a third while it does not), then
    /// <c>--search-steps</c> bisections between the highest rate that met it and the lowest that did not. One step
    /// per rate: on a machine whose runs differ by ±15 %, repeat the search to see its spread.
    /// </summary>
    private static async Task<double?> SaturateAsync(Options o, double p99Target, Func<double, Task<SubmitStepResult>> stepAsync)
    {
        double? good = null, bad = null;
        var rate = Round(o.Rate);
        while (true)
        {
            var step = await stepAsync(rate);
            if (step.Meets(p99Target))
            {
                good = rate;
                if (bad is not null || rate >= o.MaxRate)
                {
                    break;
                }

                rate = Math.Min(o.MaxRate, Round(rate * 1.5));
            }
            else
            {
                bad = rate;
                if (good is not null || rate / 1.5 < MinimumRate)
                {
                    break;
                }

                rate = Round(rate / 1.5);
            }
        }

        for (var s = 0; s < o.SearchSteps && good is { } g && bad is { } b; s++)
        {
            var mid = Round((g + b) / 2);
            if (mid <= g || mid >= b)
            {
                break;
            }

            if ((await stepAsync(mid)).Meets(p99Target))
            {
                good = mid;
            }
            else
            {
                bad = mid;
            }
        }

        return good;
    }

    /// <summary>To 10/s from 100/s up, to 1/s below.</summary>
    private static double Round(double rate) => rate >= 100 ? Math.Round(rate / 10) * 10 : Math.Max(1, Math.Round(rate));

    private static void PrintTable(List<SubmitStepResult> steps, double? p99Target)
    {
        var i = CultureInfo.InvariantCulture;
        Console.WriteLine();
        Console.WriteLine($"{"rate/s",8} {"placed/s",9} {"failed",7}   {"latency from send (ms): p50",28} {"p90",8} {"p99",8} {"p99.9",8} {"max",8}   {"p99 from intended",17}   {"servers CPU",11} {"machine CPU",11}{(p99Target is null ? "" : "   meets")}");
        foreach (var s in steps.OrderBy(s => s.Rate))
        {
            var l = s.FromSend;
            string Ms(double? v) => v is { } x ? x.ToString("F2", i) : "-";
            var servers = s.ServerCpu.Length > 0 ? s.ServerCpu.Sum(c => c.Cpu).ToString("F0", i) + " %" : "-";
            var machine = s.MachineCpu is { } m ? m.ToString("F0", i) + " %" : "-";
            Console.WriteLine(string.Create(i, $"{s.Rate,8} {s.Achieved,9:F0} {s.Failed + s.NotSent,7}   {Ms(l?.P50),28} {Ms(l?.P90),8} {Ms(l?.P99),8} {Ms(l?.P999),8} {Ms(l?.Max),8}   {Ms(s.FromIntended?.P99),17}   {servers,11} {machine,11}{(p99Target is { } t ? (s.Meets(t) ? "   yes" : "   no") : "")}"));
        }
    }

    /// <summary>
    /// Prints what each running target says of itself on <c>/health</c> (storage, database, time scale: the full report,
    /// which takes a token), so a run's output names what it measured; false when one is not healthy.
    /// </summary>
    private static async Task<bool> DescribeTargetsAsync(SubmitTargets targets, Options o, string token, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = TestTokens.Header(token);
        var healthy = true;
        for (var t = 0; t < targets.Count; t++)
        {
            var uri = targets.Uris[t];
            var region = targets.RegionOf(t) is { } r ? $" ({r})" : "";
            try
            {
                using var response = await http.GetAsync(new Uri(uri, "health"), cancellationToken);
                using var health = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
                var root = health.RootElement;
                string Text(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "-";
                var timeScale = root.TryGetProperty("timeScale", out var ts) && ts.ValueKind == JsonValueKind.Number ? ts.GetDouble() : double.NaN;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"target {uri}{region}: {Text("status")}, {Text("storage")} {Text("database")}, time scale {timeScale}x (a {o.Hours}-hour job runs {o.Hours * 3600 / timeScale:F2} s)"));
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Console.WriteLine($"  {(int)response.StatusCode}: {Text("error")}");
                    healthy = false;
                }

                // /health answers a refused token as it does no token (its short report): ask who the token is.
                using var whoami = await http.GetAsync(new Uri(uri, "api/whoami"), cancellationToken);
                var who = await whoami.Content.ReadAsStringAsync(cancellationToken);
                if (whoami.StatusCode != HttpStatusCode.OK)
                {
                    Console.WriteLine($"  the token was refused: {(int)whoami.StatusCode} {who}");
                    healthy = false;
                }
                else
                {
                    using var identity = JsonDocument.Parse(who);
                    if (!(identity.RootElement.TryGetProperty("role", out var role) && string.Equals(role.GetString(), "coordinator", StringComparison.OrdinalIgnoreCase)))
                    {
                        Console.WriteLine($"  the token is not a coordinator's ({who}): the jobs name their owner, which only a coordinator may");
                        healthy = false;
                    }
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
            {
                Console.WriteLine($"target {uri}{region}: no health answer ({e.Message})");
                healthy = false;
            }
        }

        return healthy;
    }

    /// <summary>The 1-, 5- and 15-minute load averages, or "-" without <c>/proc/loadavg</c>.</summary>
    private static string LoadAverage()
    {
        try
        {
            var f = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"{f[0]} {f[1]} {f[2]}";
        }
        catch (IOException)
        {
            return "-";
        }
    }

    private sealed record Options
    {
        public double Rate { get; init; } = 2000;

        public double[]? Rates { get; init; }

        /// <summary>The p99 target (ms) of <c>--saturate</c>; null for fixed rates.</summary>
        public double? Saturate { get; init; }

        public double MaxRate { get; init; } = 20000;

        public int SearchSteps { get; init; } = 3;

        public double Duration { get; init; } = 10;

        public double Warmup { get; init; } = 10;

        /// <summary>
        /// The first step's warm-up, when it differs: a fresh server, and more so four fresh silos on two cores, is still
        /// compiling its hot paths (tiered JIT) and growing its connection pools a minute after it started.
        /// </summary>
        public double? FirstWarmup { get; init; }

        public int Clients { get; init; } = 64;

        public string Storage { get; init; } = "memory";

        public string? Connection { get; init; }

        public double TimeScale { get; init; } = 100;

        public double Hours { get; init; } = 0.01;

        public string? Url { get; init; }

        public string? Targets { get; init; }

        public SubmitSpread Spread { get; init; } = SubmitSpread.RoundRobin;

        public int[] Pids { get; init; } = [];

        /// <summary>The token sent to running servers (<c>--token</c>, else <c>$FEDCTL_TOKEN</c>).</summary>
        public string? Token { get; init; }

        public string Client { get; init; } = "raw";

        public string Server { get; init; } = "process";

        public static Options Parse(string[] args)
        {
            var o = new Options { Token = Environment.GetEnvironmentVariable(TokenVariable) is { Length: > 0 } variable ? variable : null };
            for (var i = 0; i < args.Length; i++)
            {
                var value = i + 1 < args.Length ? args[i + 1] : throw new FormatException($"{args[i]} needs a value");
                o = args[i] switch
                {
                    "--rate" => o with { Rate = Positive(args[i], value) },
                    "--rates" => o with { Rates = [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => Positive(args[i], v))] },
                    "--saturate" => o with { Saturate = Positive(args[i], value) },
                    "--max-rate" => o with { MaxRate = Positive(args[i], value) },
                    "--search-steps" => o with { SearchSteps = (int)Positive(args[i], value) },
                    "--duration" => o with { Duration = Positive(args[i], value) },
                    "--warmup" => o with { Warmup = double.Parse(value, CultureInfo.InvariantCulture) },
                    "--first-warmup" => o with { FirstWarmup = double.Parse(value, CultureInfo.InvariantCulture) },
                    "--clients" => o with { Clients = (int)Positive(args[i], value) },
                    "--storage" => value is "memory" or "sqlite" or "postgres" ? o with { Storage = value } : throw new FormatException("--storage must be memory, sqlite or postgres"),
                    "--connection" => o with { Connection = value },
                    "--time-scale" => o with { TimeScale = Positive(args[i], value) },
                    "--hours" => o with { Hours = Positive(args[i], value) },
                    "--url" => o with { Url = value },
                    "--targets" => o with { Targets = value },
                    "--spread" => value switch
                    {
                        "round-robin" => o with { Spread = SubmitSpread.RoundRobin },
                        "home" => o with { Spread = SubmitSpread.Home },
                        _ => throw new FormatException("--spread must be round-robin or home"),
                    },
                    "--token" => o with { Token = value },
                    "--pids" => o with { Pids = [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => (int)Positive(args[i], v))] },
                    "--client" => value is "raw" or "httpclient" ? o with { Client = value } : throw new FormatException("--client must be raw or httpclient"),
                    "--server" => value is "process" or "in-process" ? o with { Server = value } : throw new FormatException("--server must be process or in-process"),
                    _ => throw new FormatException($"unknown option {args[i]}"),
                };
                i++;
            }

            if (o.Url is not null && o.Targets is not null)
            {
                throw new FormatException("--url and --targets exclude each other (--targets takes one URL too)");
            }

            if (o.Rates is not null && o.Saturate is not null)
            {
                throw new FormatException("--rates and --saturate exclude each other");
            }

            if (o.Rates is { Length: 0 })
            {
                throw new FormatException("--rates needs at least one rate");
            }

            return o;
        }

        private static double Positive(string name, string value) =>
            double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : throw new FormatException($"{name} must be a number > 0 (was '{value}')");
    }
}

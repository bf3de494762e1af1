using Federation.TestKit.Net;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Federation.Server;
using Federation.TestKit;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

namespace Federation.Benchmarks.WebConsole;

/// <summary>
/// How fast the web console's pages load with a real store behind them: the server in this process on SQLite in a
/// temporary folder, <c>--jobs</c> jobs submitted through the API, then each page opened <c>--loads</c> times in a
/// fresh browser context (Debian's chromium, no cache, no cookies) and timed from the navigation's start with the
/// browser's own clock: DOMContentLoaded, the page's data shown (a selector first matching, watched by a
/// MutationObserver installed before any script runs), the longest task on the main thread until then, and the
/// bytes transferred (navigation and resources, headers included; the live stream is open and not counted). The server
/// is started with the test bootstrap token, which the submissions send and each browser context holds as the tab's
/// signed-in token (the console's <c>sessionStorage</c> key, set before any page script runs).
/// </summary>
public sealed class ConsoleLoadGenerator : ILoadGenerator
{
    private const string UsageText =
        "console-load [--jobs 10000] [--loads 20] [--time-scale 1] [--chromium /usr/bin/chromium]";

    // What each page shows once its data is there; the first job's id replaces {job}.
    private static readonly (string Name, string Address, string ReadySelector)[] Pages =
    [
        ("megaregion", "/#/", "body[data-ready=\"megaregion\"]"),
        ("megaregion latest jobs", "/#/", ".latest-jobs tbody tr"),
        ("jobs", "/#/jobs", ".jobs-table tbody tr"),
        ("job", "/#/jobs/{job}", ".job-state:not(:empty)"),
    ];

    // Installed before the page's own scripts: records when the selector first matches and the longest task.
    private const string ProbeScript = """
        (() => {
          const selector = window.__probeSelector;
          window.__probe = { readyAt: null, longestTask: 0 };
          try {
            new PerformanceObserver((list) => {
              for (const e of list.getEntries()) window.__probe.longestTask = Math.max(window.__probe.longestTask, e.duration);
            }).observe({ type: 'longtask', buffered: true });
          } catch { }
          const check = () => {
            if (window.__probe.readyAt === null && document.querySelector(selector)) window.__probe.readyAt = performance.now();
          };
          new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true });
        })();
        """;

    /// <summary>Where the console keeps the tab's token (wwwroot/api.js).</summary>
    private const string TokenKey = "federation.token";

    public string Verb => "console-load";

    public string Description => "the web console's pages over loopback with N jobs in a SQLite store: navigation → data shown, DOMContentLoaded, longest task, bytes; p50/p95/max per page";

    public string Usage => UsageText;

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        int jobs, loads;
        double timeScale;
        string chromium;
        try
        {
            LoadGeneratorArgs.RejectUnknown(args, "--jobs", "--loads", "--time-scale", "--chromium");
            jobs = LoadGeneratorArgs.Int(args, "--jobs", 10_000, 0);
            loads = LoadGeneratorArgs.Int(args, "--loads", 20, 1);
            timeScale = double.Parse(LoadGeneratorArgs.String(args, "--time-scale", "1"), CultureInfo.InvariantCulture);
            chromium = LoadGeneratorArgs.String(args, "--chromium", Environment.GetEnvironmentVariable("FEDERATION_TEST_CHROMIUM") is { Length: > 0 } c ? c : "/usr/bin/chromium");
        }
        catch (FormatException e)
        {
            await System.Console.Error.WriteLineAsync($"console-load: {e.Message}\n{LoadGeneratorArgs.UsageLine(UsageText)}");
            return 2;
        }

        var folder = Directory.CreateTempSubdirectory("console-load-");
        var gate = new ConsoleLogGate(LogLevel.Error);
        WebApplication? app = null;
        try
        {
            var ports = FreePorts.Take(2);
            var builder = FederationServer.CreateBuilder(
            [
                "--storage", "sqlite",
                "--connection", Path.Combine(folder.FullName, "federation.db"),
                "--time-scale", timeScale.ToString(CultureInfo.InvariantCulture),
                "--urls", "http://127.0.0.1:0",
                "--silo-port", ports[0].ToString(CultureInfo.InvariantCulture),
                "--gateway-port", ports[1].ToString(CultureInfo.InvariantCulture),
                "--Federation:RateLimit:ChangesPerMinute=0", // it submits its jobs as one caller, faster than the limit allows
                "--Federation:Admission:MaxQueuedJobsPerProject=0", // and of one project, queueing more than the cap
                TestTokens.BootstrapArgument,
            ]);
            gate.Apply(builder.Logging);
            app = FederationServer.Build(builder);
            await app.StartAsync(cancellationToken);
            var baseAddress = new Uri(app.Urls.Single() + "/");
            System.Console.WriteLine($"console-load: server in this process at {baseAddress} (SQLite in {folder.FullName}), {Environment.ProcessorCount} cores");

            var firstJob = await SubmitAsync(baseAddress, jobs, cancellationToken);

            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = chromium,
                Headless = true,
                Args = ["--no-sandbox", "--disable-dev-shm-usage"],
            });

            // One unmeasured load of every page first: the server's and the browser's first-use costs are not the page's.
            foreach (var (_, address, selector) in Pages)
            {
                await LoadOnceAsync(browser, baseAddress, address.Replace("{job}", firstJob, StringComparison.Ordinal), selector);
            }

            System.Console.WriteLine($"{"page",-24} {"what",-26} {"p50",10} {"p95",10} {"max",10}");
            foreach (var (name, address, selector) in Pages)
            {
                var samples = new List<LoadSample>();
                for (var i = 0; i < loads; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    samples.Add(await LoadOnceAsync(browser, baseAddress, address.Replace("{job}", firstJob, StringComparison.Ordinal), selector));
                }

                Print(name, "navigation → data shown", samples.Select(s => s.ReadyMs), "ms");
                Print(name, "DOMContentLoaded", samples.Select(s => s.DomContentLoadedMs), "ms");
                Print(name, "longest task", samples.Select(s => s.LongestTaskMs), "ms");
                Print(name, "bytes transferred", samples.Select(s => s.Bytes / 1024.0), "KiB");
            }

            return 0;
        }
        finally
        {
            if (app is not null)
            {
                gate.Stopping();
                await app.StopAsync(CancellationToken.None);
                await app.DisposeAsync();
            }

            try
            {
                folder.Delete(recursive: true);
            }
            catch (IOException)
            {
                // SQLite's pool may hold the file a moment longer; the temp folder is the OS's to clean.
            }
        }
    }

    /// <summary>Submits <paramref name="count"/> jobs (homes and types spread over the regions), 16 at a time; returns the first id.</summary>
    private static async Task<string> SubmitAsync(Uri baseAddress, int count, CancellationToken cancellationToken)
    {
        string[] regions = ["gwangju", "suncheon", "gwangyang", "daegu"];
        string[][] types = [["H100"], ["A100"], [], ["H100", "A100"]];
        using var client = new HttpClient { BaseAddress = baseAddress }.AsCoordinator();
        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        var started = Stopwatch.StartNew();
        var next = -1;
        var failed = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, 16), cancellationToken, async (_, ct) =>
        {
            for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
            {
                var request = new
                {
                    id = $"bench-{i:D6}",
                    project = $"project-{i % 37}",
                    owner = $"owner-{i % 11}",
                    homeRegion = regions[i % regions.Length],
                    accelerators = new { count = 1 << (i % 5), types = types[(i / 4) % types.Length] },
                    durationHours = 1 + (i % 24),
                };
                using var response = await client.PostAsJsonAsync("api/jobs", request, json, ct);
                if (!response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        });
        System.Console.WriteLine($"console-load: submitted {count:N0} jobs in {started.Elapsed.TotalSeconds:F1} s ({failed} refused)");
        return "bench-000000";
    }

    private static async Task<LoadSample> LoadOnceAsync(IBrowser browser, Uri baseAddress, string address, string selector)
    {
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1366, Height = 900 },
        });
        context.SetDefaultTimeout(30_000);
        await context.AddInitScriptAsync(
            $"sessionStorage.setItem({JsonSerializer.Serialize(TokenKey)}, {JsonSerializer.Serialize(TestTokens.Bootstrap)});\n"
            + $"window.__probeSelector = {JsonSerializer.Serialize(selector)};\n{ProbeScript}");
        var page = await context.NewPageAsync();
        await page.GotoAsync(address);
        // Not WaitForFunction: its predicate is evaluated from a string, which the console's CSP (no 'unsafe-eval')
        // refuses. The probe has recorded the time by the moment the selector matches.
        await page.WaitForSelectorAsync(selector, new() { State = WaitForSelectorState.Attached });
        var figures = await page.EvaluateAsync<JsonElement>("""
            () => {
              const nav = performance.getEntriesByType('navigation')[0];
              const bytes = nav.transferSize + performance.getEntriesByType('resource').reduce((n, r) => n + r.transferSize, 0);
              return { ready: window.__probe.readyAt, dcl: nav.domContentLoadedEventEnd, longest: window.__probe.longestTask, bytes };
            }
            """);
        return new LoadSample(
            figures.GetProperty("ready").GetDouble(),
            figures.GetProperty("dcl").GetDouble(),
            figures.GetProperty("longest").GetDouble(),
            figures.GetProperty("bytes").GetDouble());
    }

    private static void Print(string page, string what, IEnumerable<double> values, string unit)
    {
        var sorted = values.Order().ToArray();
        double At(double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
        System.Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{page,-24} {what,-26} {At(0.5),7:F1} {unit,-3}{At(0.95),7:F1} {unit,-3}{sorted[^1],7:F1} {unit}"));
    }

    private readonly record struct LoadSample(double ReadyMs, double DomContentLoadedMs, double LongestTaskMs, double Bytes);
}

using System.Text.Json;
using Federation.TestKit;
using Microsoft.Playwright;

namespace Federation.Console.Tests;

/// <summary>
/// One headless chromium per test class (Debian's, at <c>FEDERATION_TEST_CHROMIUM</c> or <c>/usr/bin/chromium</c>;
/// <c>eng/ensure-tools.sh</c> installs it), a fresh context per page so tests share no cookies or storage.
/// Screenshots go to <see cref="ScreenshotDirectory"/>, kept with the test results.
/// </summary>
public sealed class Browser : IAsyncLifetime
{
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>Where screenshots are written: artifacts/test-results/console-screenshots under the repository.</summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(RepositoryRoot(), "artifacts", "test-results", "console-screenshots");

    public static string ExecutablePath { get; } =
        Environment.GetEnvironmentVariable("FEDERATION_TEST_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public async Task InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException($"chromium not found at {ExecutablePath}: run eng/ensure-tools.sh (or set FEDERATION_TEST_CHROMIUM)");
        }

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            // Root in CI has no user namespace for chromium's sandbox; /dev/shm may be small in containers.
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
    }

    /// <summary>The sessionStorage key the console keeps the tab's access token under (<c>wwwroot/api.js</c>).</summary>
    public const string TokenKey = "federation.token";

    /// <summary>
    /// A page in a fresh context, its viewport a laptop's, its console errors collected in <paramref name="errors"/>, signed
    /// in with <paramref name="token"/> (the bootstrap coordinator's unless said; null: signed out): every tab of the context
    /// starts with it in the console's sessionStorage, as if its viewer had signed in, and may sign out for good.
    /// </summary>
    public async Task<IPage> NewPageAsync(Uri baseAddress, List<string>? errors = null, string timeZone = "Asia/Seoul", string? token = TestTokens.Bootstrap)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        var context = await _browser!.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1366, Height = 900 },
            TimezoneId = timeZone,
            Locale = "en-GB",
        });
        context.SetDefaultTimeout(15_000);
        if (token is not null)
        {
            // Once per tab (a reload after signing out stays signed out), and only on the server's own origin.
            var origin = JsonSerializer.Serialize(baseAddress.GetLeftPart(UriPartial.Authority));
            await context.AddInitScriptAsync($$"""
                if (window === window.top && location.origin === {{origin}} && sessionStorage.getItem('test.signed-in') === null) {
                  sessionStorage.setItem('test.signed-in', '1');
                  sessionStorage.setItem({{JsonSerializer.Serialize(TokenKey)}}, {{JsonSerializer.Serialize(token)}});
                }
                """);
        }

        var page = await context.NewPageAsync();
        if (errors is not null)
        {
            page.Console += (_, message) =>
            {
                if (message.Type == "error")
                {
                    lock (errors)
                    {
                        errors.Add(message.Text);
                    }
                }
            };
            page.PageError += (_, error) =>
            {
                lock (errors)
                {
                    errors.Add(error);
                }
            };
        }

        return page;
    }

    /// <summary>Saves a full-page screenshot as <c>{name}.png</c> in <see cref="ScreenshotDirectory"/>.</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, name + ".png"), FullPage = true });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Federation.sln")))
            {
                return dir.FullName;
            }
        }

        return Path.GetTempPath();
    }
}

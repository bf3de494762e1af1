using System.Diagnostics;
using System.Net;
using System.Reflection;
using Federation.TestKit;

namespace Federation.CrashTests;

/// <summary>
/// <c>Federation.Server</c> as a separate OS process on a loopback port, started on a given store and killed
/// with SIGKILL (<see cref="Process.Kill(bool)"/> sends SIGKILL on Linux: no shutdown hook, no flush, no
/// graceful deactivation runs). Its output goes to one log file per test, appended across restarts. Every start
/// gives the silo and the gateway free ports of their own (<c>--silo-port</c>, <c>--gateway-port</c>), so the
/// server never collides with another one on the machine; the HTTP port stays the same across restarts.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    /// <summary>How many times one start is tried, on fresh silo and gateway ports each time, when a port was taken meanwhile.</summary>
    private const int MaxPortAttempts = 3;

    private readonly string[] _storageArgs;
    private readonly double _timeScale;
    private readonly StreamWriter _log;
    private readonly object _logGate = new();
    private Process? _process;
    private bool _closed;
    private volatile bool _addressInUse;

    private readonly IReadOnlyDictionary<string, string>? _environment;

    /// <param name="storageArgs">The server's arguments after its ports (the store, a region).</param>
    /// <param name="timeScale">The execution clock's time scale.</param>
    /// <param name="logPath">The log file, appended across restarts.</param>
    /// <param name="environment">Environment variables set for the server beyond the test's own (configuration).</param>
    public ServerProcess(string[] storageArgs, double timeScale, string logPath, IReadOnlyDictionary<string, string>? environment = null)
    {
        _storageArgs = storageArgs;
        _environment = environment;
        _timeScale = timeScale;
        LogPath = logPath;
        _log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        Port = TestKit.Net.FreePorts.Next();
        BaseAddress = new Uri($"http://127.0.0.1:{Port}/");
    }

    public int Port { get; }

    public Uri BaseAddress { get; }

    public string LogPath { get; }

    /// <summary>How many times the server was started.</summary>
    public int Starts { get; private set; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The silo port of the current (or last) start: the silo's address in Orleans' membership is 127.0.0.1:this.</summary>
    public int SiloPort { get; private set; }

    /// <summary>The process id of the current start.</summary>
    public int Pid => _process?.Id ?? throw new InvalidOperationException("the server is not running");

    /// <summary>The server assembly, built next to this project in the same configuration.</summary>
    public static string ServerDll
    {
        get
        {
            var configuration = typeof(ServerProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Federation.sln")))
            {
                dir = dir.Parent;
            }

            if (dir is null)
            {
                throw new InvalidOperationException($"Federation.sln not found above {AppContext.BaseDirectory}");
            }

            var dll = Path.Combine(dir.FullName, "src", "Federation.Server", "bin", configuration, "net10.0", "Federation.Server.dll");
            return File.Exists(dll) ? dll : throw new InvalidOperationException($"{dll} is missing: build the solution ({configuration}) first");
        }
    }

    /// <summary>Starts the server and waits until <c>/health</c> answers 200.</summary>
    public async Task StartAsync(TimeSpan timeout)
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("the server is already running");
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await StartOnceAsync(timeout);
                return;
            }
            catch (InvalidOperationException) when (attempt < MaxPortAttempts && _addressInUse)
            {
                // A port free when it was chosen was taken before the server bound it: start again on other ports.
                Write("==== a port was taken meanwhile; starting again on other ports");
                Kill("a port was taken");
            }
        }
    }

    private async Task StartOnceAsync(TimeSpan timeout)
    {
        var ports = TestKit.Net.FreePorts.Take(2);
        SiloPort = ports[0];
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(ServerDll);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(BaseAddress.ToString().TrimEnd('/'));
        info.ArgumentList.Add("--silo-port");
        info.ArgumentList.Add(ports[0].ToString(System.Globalization.CultureInfo.InvariantCulture));
        info.ArgumentList.Add("--gateway-port");
        info.ArgumentList.Add(ports[1].ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var a in _storageArgs)
        {
            info.ArgumentList.Add(a);
        }

        info.ArgumentList.Add("--time-scale");
        info.ArgumentList.Add(_timeScale.ToString(System.Globalization.CultureInfo.InvariantCulture));
        info.Environment["Logging__Console__FormatterName"] = "simple";
        info.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        info.Environment["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ";
        // A job logs at Debug the notices it ignores: the ghost-run check reads them.
        info.Environment["Logging__LogLevel__Federation.Grains.Jobs.JobGrain"] = "Debug";

        // A region logs at Debug each start it asks, each run it hands to the executor and each end: a job that does not
        // end can be followed through them.
        info.Environment["Logging__LogLevel__Federation.Grains.Regions.RegionGrain"] = "Debug";
        // The coordinator token the tests' clients send: every endpoint but /health requires one.
        info.Environment[TestTokens.BootstrapVariable] = TestTokens.Bootstrap;
        info.Environment["DOTNET_gcServer"] = "0";
        info.Environment["DOTNET_TieredPGO"] = "0";
        foreach (var (key, value) in _environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        Starts++;
        _addressInUse = false;
        Write($"==== start #{Starts}: dotnet {string.Join(' ', info.ArgumentList.Select(a => a.Contains("Password", StringComparison.OrdinalIgnoreCase) ? "<connection>" : a))}");
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Output(e.Data);
        process.ErrorDataReceived += (_, e) => Output(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (process.HasExited)
            {
                // Drains the output readers, so the log (and whether a port was in use) is complete.
                process.WaitForExit();
                throw new InvalidOperationException($"the server exited with {process.ExitCode} while starting; see {LogPath}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(BaseAddress, "health"));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    Write($"==== healthy after {deadline.ElapsedMilliseconds} ms");
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"the server did not become healthy within {timeout}; see {LogPath}");
    }

    /// <summary>SIGSTOP: the process hangs (every thread stopped, its sockets open), as a silo in a long pause does.</summary>
    public void Pause(string why) => Signal("STOP", why);

    /// <summary>SIGCONT: a paused process runs on (a silo declared dead meanwhile learns it and stops itself).</summary>
    public void Resume(string why) => Signal("CONT", why);

    /// <summary>Waits for the process to end by itself; false when it still runs after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        if (_process is not { } process)
        {
            return true;
        }

        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        Write($"==== exited by itself with {process.ExitCode}");
        process.Dispose();
        _process = null;
        return true;
    }

    private void Signal(string signal, string why)
    {
        if (_process is not { HasExited: false } process)
        {
            throw new InvalidOperationException("the server is not running");
        }

        Write($"==== kill -{signal} ({why})");
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{signal} {process.Id} exited with {kill.ExitCode}");
        }
    }

    /// <summary>SIGKILL, then waits for the process to be gone.</summary>
    public void Kill(string why)
    {
        if (_process is not { } process)
        {
            return;
        }

        Write($"==== kill -9 ({why})");
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        process.WaitForExit();
        process.Dispose();
        _process = null;
    }

    public ValueTask DisposeAsync()
    {
        Kill("end of test");
        lock (_logGate)
        {
            _closed = true;
            _log.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>A note in the server's log, to line the test's actions up with the server's lines.</summary>
    public void Write(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_logGate)
        {
            if (!_closed)
            {
                _log.WriteLine(line);
            }
        }
    }


    private void Output(string? line)
    {
        if (line is not null && line.Contains("Address already in use", StringComparison.Ordinal))
        {
            _addressInUse = true;
        }

        Write(line);
    }
}

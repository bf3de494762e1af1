using Federation.TestKit.Net;
using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Federation.Benchmarks.Http;

/// <summary>
/// <c>Federation.Server</c> as a process of its own (the build next to this assembly, with its own runtime
/// settings: server GC), as it is deployed: the load generator then measures the server from outside, and
/// the server's CPU is read from the OS for it alone. Its output goes to a log file, kept when the run fails.
/// </summary>
internal sealed class ServerChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private ServerChildProcess(Process process, StreamWriter log, string logPath, string url)
    {
        _process = process;
        _log = log;
        LogPath = logPath;
        Url = url;
    }

    public string Url { get; }

    public string LogPath { get; }

    public int ProcessId => _process.Id;

    /// <summary>The server process's CPU time (user + system) so far.</summary>
    public TimeSpan Cpu
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <param name="serverArgs">Everything but the ports (storage, connection, time scale).</param>
    public static async Task<ServerChildProcess> StartAsync(IEnumerable<string> serverArgs, CancellationToken cancellationToken)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Federation.Server.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"{dll} is missing: build tests/Federation.Benchmarks (it references the server)");
        }

        // HTTP, silo and gateway ports of its own: two runs, or a run and a server on the defaults, must not collide.
        var ports = FreePorts.Take(3);
        var port = ports[0];
        var url = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add(url);
        info.ArgumentList.Add("--silo-port");
        info.ArgumentList.Add(ports[1].ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add("--gateway-port");
        info.ArgumentList.Add(ports[2].ToString(CultureInfo.InvariantCulture));
        foreach (var a in serverArgs)
        {
            info.ArgumentList.Add(a);
        }

        // Warnings and errors only: nothing else competes for the cores, and a failure still says why.
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        var logPath = Path.Combine(Path.GetTempPath(), $"http-submit-server-{DateTime.UtcNow:HHmmss}-{port}.log");
        var log = new StreamWriter(logPath) { AutoFlush = true };
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ServerChildProcess(process, log, logPath, url);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (process.HasExited)
            {
                await server.DisposeAsync();
                throw new InvalidOperationException($"the server exited with {process.ExitCode} while starting; see {logPath}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(url + "/health"), cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return server;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(100, cancellationToken);
        }

        await server.DisposeAsync();
        throw new TimeoutException($"the server did not become healthy within 60 s; see {logPath}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM: the host stops gracefully (the store is flushed and closed).
            Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])?.WaitForExit();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }

        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            if (log.BaseStream.CanWrite)
            {
                log.WriteLine(line);
            }
        }
    }
}

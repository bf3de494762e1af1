using System.Diagnostics;
using Npgsql;

namespace Federation.CrashTests;

/// <summary>
/// A fresh database per test on a PostgreSQL server (the role needs CREATEDB), dropped at the end, so runs
/// never see each other's rows.
/// </summary>
internal sealed class TestDatabase : IAsyncDisposable
{
    private readonly string _adminConnection;

    private TestDatabase(string adminConnection, string name, string connectionString)
    {
        _adminConnection = adminConnection;
        Name = name;
        ConnectionString = connectionString;
    }

    public string Name { get; }

    public string ConnectionString { get; }

    /// <summary>The shared test server: <c>FEDERATION_TEST_POSTGRES</c> (eng/test.sh sets it from eng/ensure-postgres.sh).</summary>
    public static string SharedServer =>
        Environment.GetEnvironmentVariable("FEDERATION_TEST_POSTGRES") is { Length: > 0 } cs
            ? cs
            : throw new InvalidOperationException("FEDERATION_TEST_POSTGRES is not set: run `export FEDERATION_TEST_POSTGRES=$(eng/ensure-postgres.sh | tail -1)` (eng/test.sh does it)");

    public static async Task<TestDatabase> CreateAsync(string serverConnection)
    {
        var name = $"federation_crash_{Guid.NewGuid():N}"[..40];
        await using (var admin = new NpgsqlConnection(serverConnection))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", admin);
            await create.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(serverConnection) { Database = name };
        return new TestDatabase(serverConnection, name, builder.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(_adminConnection);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }
}

/// <summary>
/// A private PostgreSQL instance (initdb into a temp folder owned by the <c>postgres</c> OS user, which initdb
/// needs when the test runs as root; a free port; its socket in the same folder), so that a test can stop and
/// start it under a running server without touching the developer's shared cluster.
/// </summary>
internal sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _dir;
    private readonly string _bin;

    private PrivatePostgres(string dir, string bin, int port)
    {
        _dir = dir;
        _bin = bin;
        Port = port;
    }

    public int Port { get; }

    public string DataDir => Path.Combine(_dir, "data");

    /// <summary>Superuser on the private instance (trust authentication on loopback only).</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=false;Timeout=5";

    public static async Task<PrivatePostgres> StartAsync()
    {
        var versions = Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql") : [];
        var bin = versions.Select(v => Path.Combine(v, "bin")).Where(b => File.Exists(Path.Combine(b, "initdb"))).OrderBy(b => b, StringComparer.Ordinal).LastOrDefault()
            ?? throw new InvalidOperationException("no PostgreSQL server binaries under /usr/lib/postgresql/<version>/bin (initdb): install postgresql (eng/ensure-postgres.sh does)");
        var dir = Path.Combine(Path.GetTempPath(), $"federation-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await RunAsync("chown", ["postgres:postgres", dir], asPostgres: false);
        }

        var pg = new PrivatePostgres(dir, bin, TestKit.Net.FreePorts.Next());
        await RunAsync(Path.Combine(bin, "initdb"), ["-D", pg.DataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"], asRoot);
        await pg.StartServerAsync();
        return pg;
    }

    public Task StartServerAsync() =>
        RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataDir, "-w", "-t", "60", "-l", Path.Combine(_dir, "postgres.log"),
            "-o", $"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1 -c max_connections=200", "start"], Environment.UserName == "root");

    /// <summary>Stops the instance: <c>fast</c> (clients disconnected, clean shutdown) or <c>immediate</c> (as a crash; recovery at the next start).</summary>
    public Task StopServerAsync(string mode) =>
        RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataDir, "-w", "-t", "60", "-m", mode, "stop"], Environment.UserName == "root");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopServerAsync("immediate");
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        Directory.Delete(_dir, recursive: true);
    }

    private static async Task RunAsync(string file, string[] args, bool asPostgres)
    {
        var info = new ProcessStartInfo(asPostgres ? "runuser" : file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asPostgres)
        {
            info.ArgumentList.Add("-u");
            info.ArgumentList.Add("postgres");
            info.ArgumentList.Add("--");
            info.ArgumentList.Add(file);
        }

        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{(asPostgres ? "runuser -u postgres -- " : "")}{file} {string.Join(' ', args)} exited {process.ExitCode}: {await stderr} {await stdout}");
        }
    }
}

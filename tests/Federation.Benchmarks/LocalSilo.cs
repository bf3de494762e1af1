using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Federation.Benchmarks;

/// <summary>
/// A silo in this process, hosted as the server hosts one (a generic host with <c>UseOrleans</c> and localhost
/// clustering), on free ports. Only warnings and errors reach the console: nothing else competes for the cores, and a
/// failure still says why.
/// </summary>
internal sealed class LocalSilo : IAsyncDisposable
{
    /// <summary>The Orleans service and cluster id of benchmark silos (job rows in a database are keyed by it).</summary>
    public const string ServiceId = "bench";

    private readonly IHost _host;
    private readonly LogGate _logGate;

    private LocalSilo(IHost host, LogGate logGate)
    {
        _host = host;
        _logGate = logGate;
    }

    public IServiceProvider Services => _host.Services;

    /// <param name="configure">Adds the grains' services and storage.</param>
    /// <param name="cancellationToken">Abandons the start.</param>
    public static async Task<LocalSilo> StartAsync(Action<ISiloBuilder> configure, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(configure);

        // No appsettings, environment or command-line configuration: a benchmark's silo is what its code says.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var logGate = new LogGate();
        builder.Logging.AddConsole().AddFilter(logGate.Passes);
        var ports = FreePorts.Take(2);
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(ports[0], ports[1], serviceId: ServiceId, clusterId: ServiceId);
            configure(silo);
        });
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return new LocalSilo(host, logGate);
    }

    /// <summary>
    /// Stops the silo gracefully and disposes the host. The measurement is over by then: what the shutdown logs below
    /// <paramref name="duringStop"/> is left out, so a run's output ends with its figures. A silo whose state lives only
    /// in memory passes <see cref="LogLevel.Critical"/> (Orleans' memory storage is itself grains, deactivated before
    /// the grains that write to it on their way out, and nothing is lost that would not be lost anyway); one with a
    /// database passes <see cref="LogLevel.Error"/>, so a write that failed on the way out is seen.
    /// </summary>
    public async Task StopAsync(LogLevel duringStop)
    {
        _logGate.Minimum = duringStop;
        try
        {
            await _host.StopAsync(CancellationToken.None);
        }
        finally
        {
            await DisposeHostAsync();
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync(LogLevel.Error));

    private async Task DisposeHostAsync()
    {
        if (_host is IAsyncDisposable asyncDisposable)
        {
            await asyncDisposable.DisposeAsync();
        }
        else
        {
            _host.Dispose();
        }
    }

    /// <summary>The console's minimum level, raised when the silo stops.</summary>
    private sealed class LogGate
    {
        private volatile int _minimum = (int)LogLevel.Warning;

        public LogLevel Minimum
        {
            get => (LogLevel)_minimum;
            set => _minimum = (int)value;
        }

        public bool Passes(string? category, LogLevel level) => level >= Minimum;
    }
}

using Federation.TestKit.Net;
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
    private readonly ConsoleLogGate _logGate;

    private LocalSilo(IHost host, ConsoleLogGate logGate)
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
        var logGate = new ConsoleLogGate(LogLevel.Warning);
        logGate.Apply(builder.Logging);
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
    /// Stops the silo gracefully and disposes the host. The measurement is over by then, so a run's output ends with its
    /// figures (<see cref="ConsoleLogGate.Stopping"/>).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        _logGate.Stopping();
        try
        {
            await _host.StopAsync(CancellationToken.None);
        }
        finally
        {
            await DisposeHostAsync();
        }
    }

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
}

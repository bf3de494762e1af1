using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Federation.Benchmarks;

/// <summary>
/// A silo in this process, hosted as the server hosts one (a generic host with <c>UseOrleans</c> and localhost
/// clustering), on free ports. Only warnings and errors reach the console: nothing else competes for the cores, and a
/// failure still says why.
/// </summary>
internal static class LocalSilo
{
    /// <summary>The Orleans service and cluster id of benchmark silos (job rows in a database are keyed by it).</summary>
    public const string ServiceId = "bench";

    /// <param name="configure">Adds the grains' services and storage.</param>
    /// <param name="cancellationToken">Abandons the start.</param>
    public static async Task<IHost> StartAsync(Action<ISiloBuilder> configure, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(configure);

        // No appsettings, environment or command-line configuration: a benchmark's silo is what its code says.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddConsole().SetMinimumLevel(LogLevel.Warning);
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

        return host;
    }

    /// <summary>Stops the silo gracefully (its grains deactivate, its storage is flushed) and disposes the host.</summary>
    public static async Task StopAsync(IHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        try
        {
            await host.StopAsync(CancellationToken.None);
        }
        finally
        {
            if (host is IAsyncDisposable asyncDisposable)
            {
                await asyncDisposable.DisposeAsync();
            }
            else
            {
                host.Dispose();
            }
        }
    }
}

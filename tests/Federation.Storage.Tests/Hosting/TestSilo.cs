using Federation.Storage.Hosting;
using Federation.TestKit.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Hosting;
using Orleans.Storage;

namespace Federation.Storage.Tests.Hosting;

/// <summary>
/// One real Orleans silo on a generic host, on loopback ports of its own (so silos of tests running at once never
/// collide), with the storage a test configures. Disposing stops the silo and disposes the container, which closes the
/// databases.
/// </summary>
public sealed class TestSilo : IAsyncDisposable
{
    /// <summary>The service id rows are stored under.</summary>
    public const string ServiceId = "storage-tests";

    private readonly IHost _host;

    private TestSilo(IHost host)
    {
        _host = host;
    }

    public IServiceProvider Services => _host.Services;

    /// <summary>Orleans' grain storage the silo resolves under <see cref="StorageNames.GrainState"/>.</summary>
    public IGrainStorage GrainState => Services.GetRequiredKeyedService<IGrainStorage>(StorageNames.GrainState);

    /// <summary>Builds and starts a silo; <paramref name="configure"/> adds its storage.</summary>
    public static async Task<TestSilo> StartAsync(Action<ISiloBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var host = Build(configure);
        try
        {
            await host.StartAsync();
        }
        catch
        {
            await DisposeHostAsync(host);
            throw;
        }

        return new TestSilo(host);
    }

    /// <summary>Builds a silo without starting it, for tests of what happens at start.</summary>
    public static IHost Build(Action<ISiloBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(FreePorts.Next(), FreePorts.Next(), serviceId: ServiceId, clusterId: ServiceId);
            configure(silo);
        });
        return builder.Build();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _host.StopAsync();
        }
        finally
        {
            await DisposeHostAsync(_host);
        }
    }

    private static async ValueTask DisposeHostAsync(IHost host)
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

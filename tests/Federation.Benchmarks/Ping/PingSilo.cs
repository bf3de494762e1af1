using Federation.Actors;
using Federation.Actors.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Benchmarks.Ping;

/// <summary>A silo in process, started without a host (no console logging, no hosted-service noise).</summary>
internal sealed class PingSilo : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly Silo _silo;

    private PingSilo(ServiceProvider services)
    {
        _services = services;
        _silo = services.GetRequiredService<Silo>();
        GrainFactory = services.GetRequiredService<IGrainFactory>();
    }

    public IGrainFactory GrainFactory { get; }

    public static async Task<PingSilo> StartAsync()
    {
        var services = new ServiceCollection();
        services.AddActors();
        var silo = new PingSilo(services.BuildServiceProvider());
        await silo._silo.StartAsync(CancellationToken.None);
        return silo;
    }

    public async ValueTask DisposeAsync()
    {
        await _silo.StopAsync(CancellationToken.None);
        await _services.DisposeAsync();
    }
}

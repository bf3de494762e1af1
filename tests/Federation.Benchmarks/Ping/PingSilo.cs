using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Federation.Benchmarks.Ping;

/// <summary>A silo in this process with nothing but the ping grains in use (no storage, no federation grains).</summary>
internal sealed class PingSilo : IAsyncDisposable
{
    private readonly IHost _host;

    private PingSilo(IHost host)
    {
        _host = host;
        GrainFactory = host.Services.GetRequiredService<IGrainFactory>();
    }

    public IGrainFactory GrainFactory { get; }

    public static async Task<PingSilo> StartAsync(CancellationToken cancellationToken = default) =>
        new(await LocalSilo.StartAsync(static _ => { }, cancellationToken));

    public ValueTask DisposeAsync() => new(LocalSilo.StopAsync(_host));
}

using Microsoft.Extensions.DependencyInjection;

namespace Federation.Benchmarks.Ping;

/// <summary>A silo in this process with nothing but the ping grains in use (no storage, no federation grains).</summary>
internal sealed class PingSilo : IAsyncDisposable
{
    private readonly LocalSilo _silo;

    private PingSilo(LocalSilo silo)
    {
        _silo = silo;
        GrainFactory = silo.Services.GetRequiredService<IGrainFactory>();
    }

    public IGrainFactory GrainFactory { get; }

    public static async Task<PingSilo> StartAsync(CancellationToken cancellationToken = default) =>
        new(await LocalSilo.StartAsync(static _ => { }, cancellationToken));

    public ValueTask DisposeAsync() => _silo.DisposeAsync();
}

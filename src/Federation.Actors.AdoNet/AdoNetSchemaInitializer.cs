using Microsoft.Extensions.Hosting;

namespace Federation.Actors.AdoNet;

/// <summary>
/// Prepares a provider's database when the host starts, so a wrong path or an unreachable server
/// stops the host at start rather than failing the first grain activation. The provider still
/// initialises on first use, so it works when resolved before (or without) the host starting.
/// </summary>
internal sealed class AdoNetSchemaInitializer(Func<CancellationToken, Task> initialize) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => initialize(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

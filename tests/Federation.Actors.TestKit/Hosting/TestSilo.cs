using Federation.Actors.Hosting;
using Federation.Actors.Reminders;
using Federation.Actors.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Federation.Actors.TestKit;

/// <summary>
/// A one-silo host for tests: the runtime on the generic host with in-memory storage ("Default"), a
/// reminder table (shared across restarts when passed in) and a <see cref="ManualTimeProvider"/>.
/// </summary>
public sealed class TestSilo : IAsyncDisposable
{
    private readonly IHost _host;
    private bool _stopped;

    private TestSilo(IHost host, ManualTimeProvider time)
    {
        _host = host;
        Time = time;
    }

    public ManualTimeProvider Time { get; }

    public IServiceProvider Services => _host.Services;

    public IGrainFactory GrainFactory => _host.Services.GetRequiredService<IGrainFactory>();

    public Silo Silo => _host.Services.GetRequiredService<Silo>();

    /// <summary>Builds and starts a silo. Pass the same time provider and reminder table to model a restart.</summary>
    public static async Task<TestSilo> StartAsync(
        Action<ActorsBuilder>? configure = null,
        Action<IServiceCollection>? configureServices = null,
        ManualTimeProvider? time = null,
        IReminderTable? reminderTable = null,
        CancellationToken cancellationToken = default)
    {
        time ??= new ManualTimeProvider();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddMemoryGrainStorage();
        if (reminderTable is null)
        {
            builder.Services.AddMemoryReminderTable();
        }
        else
        {
            builder.Services.AddSingleton(reminderTable);
        }

        configureServices?.Invoke(builder.Services);
        builder.UseActors(configure);
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return new TestSilo(host, time);
    }

    /// <summary>Graceful stop: every activation deactivates (OnDeactivateAsync runs).</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await _host.StopAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _host.Dispose();
    }
}

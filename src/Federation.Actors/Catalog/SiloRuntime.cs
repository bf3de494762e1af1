using Federation.Actors.Configuration;
using Federation.Actors.Diagnostics;
using Federation.Actors.Directory;
using Federation.Actors.Placement;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Federation.Actors.Catalog;

/// <summary>The services every activation of this silo shares.</summary>
internal sealed class SiloRuntime
{
    public SiloRuntime(
        IServiceProvider services,
        TimeProvider timeProvider,
        IOptions<GrainCollectionOptions> collection,
        IOptions<MessagingOptions> messaging,
        IOptions<StatelessWorkerOptions> workers,
        IOptions<SiloOptions> silo,
        ActorsInstruments instruments,
        IGrainDirectory directory,
        ILoggerFactory loggerFactory)
    {
        Services = services;
        TimeProvider = timeProvider;
        Collection = collection.Value;
        Messaging = messaging.Value;
        Workers = workers.Value;
        Instruments = instruments;
        Directory = directory;
        Logger = loggerFactory.CreateLogger("Federation.Actors.Runtime");
        var options = silo.Value;
        var address = new SiloAddress("127.0.0.1", 11111, timeProvider.GetUtcNow().ToUnixTimeMilliseconds());
        LocalSilo = new SiloInfo(address, options.SiloName, new Dictionary<string, string>(options.Metadata, StringComparer.Ordinal));
        Placement = new PlacementService(services, LocalSilo);
    }

    public IServiceProvider Services { get; }

    public TimeProvider TimeProvider { get; }

    public GrainCollectionOptions Collection { get; }

    public MessagingOptions Messaging { get; }

    public StatelessWorkerOptions Workers { get; }

    public ActorsInstruments Instruments { get; }

    public IGrainDirectory Directory { get; }

    public ILogger Logger { get; }

    public SiloInfo LocalSilo { get; }

    public PlacementService Placement { get; }

    /// <summary>Set once the catalog exists (they reference each other).</summary>
    public Catalog Catalog { get; set; } = null!;

    public IGrainFactory GrainFactory { get; set; } = null!;

    public Reminders.ReminderService? Reminders { get; set; }

    public long Now => TimeProvider.GetTimestamp();

    public long After(TimeSpan span) =>
        span == Timeout.InfiniteTimeSpan || span >= TimeSpan.FromDays(3650) ? long.MaxValue : TimeProvider.GetTimestamp() + (long)(span.TotalSeconds * TimeProvider.TimestampFrequency);

    public TimeSpan Elapsed(long from, long to) => TimeSpan.FromSeconds((to - from) / (double)TimeProvider.TimestampFrequency);
}

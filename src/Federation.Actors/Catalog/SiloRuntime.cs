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
    private readonly long _activationIdPrefix = BitConverter.ToInt64(Guid.NewGuid().ToByteArray(), 0);
    private long _activationIdCounter;

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

    /// <summary>
    /// A new activation id: this silo's random 64-bit prefix and a counter. Unique like
    /// <see cref="Guid.NewGuid"/> (the prefix tells silos and incarnations apart) without a call into
    /// the OS random source per activation, which showed at ~2 % of a job-heavy silo's CPU.
    /// </summary>
    public Guid NewActivationId()
    {
        Span<byte> bytes = stackalloc byte[16];
        BitConverter.TryWriteBytes(bytes, _activationIdPrefix);
        BitConverter.TryWriteBytes(bytes[8..], Interlocked.Increment(ref _activationIdCounter));
        return new Guid(bytes);
    }

    public long Now => TimeProvider.GetTimestamp();

    public long After(TimeSpan span) =>
        span == Timeout.InfiniteTimeSpan || span >= TimeSpan.FromDays(3650) ? long.MaxValue : TimeProvider.GetTimestamp() + (long)(span.TotalSeconds * TimeProvider.TimestampFrequency);

    public TimeSpan Elapsed(long from, long to) => TimeSpan.FromSeconds((to - from) / (double)TimeProvider.TimestampFrequency);
}

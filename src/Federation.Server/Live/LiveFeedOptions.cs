using Microsoft.Extensions.Options;

namespace Federation.Server.Live;

/// <summary>
/// The live feed (<c>GET /api/live</c>) and the load history it samples (<c>GET /api/regions/{id}/history</c>), bound
/// from <c>Federation:Live</c> (e.g. <c>Federation__Live__Period=00:00:00.5</c>). Every period runs on the silo's
/// clock (the system clock), never on the execution clock jobs run on.
/// </summary>
public sealed class LiveFeedOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Federation:Live";

    /// <summary>Default of <see cref="Period"/>: a browser sees a change within a second.</summary>
    public static readonly TimeSpan DefaultPeriod = TimeSpan.FromSeconds(1);

    /// <summary>Default of <see cref="KeepAlive"/>: well under the idle timeouts of common proxies (60 s).</summary>
    public static readonly TimeSpan DefaultKeepAlive = TimeSpan.FromSeconds(15);

    /// <summary>Default of <see cref="FetchTimeout"/>: a fetch that takes longer is reported as a problem and tried again next period.</summary>
    public static readonly TimeSpan DefaultFetchTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Default of <see cref="HistoryInterval"/>.</summary>
    public static readonly TimeSpan DefaultHistoryInterval = TimeSpan.FromSeconds(60);

    /// <summary>Default of <see cref="HistoryRetention"/>: the longest window <c>?hours=</c> may ask for.</summary>
    public static readonly TimeSpan DefaultHistoryRetention = TimeSpan.FromHours(24);

    /// <summary>Default of <see cref="SubscriberBuffer"/>.</summary>
    public const int DefaultSubscriberBuffer = 4;

    /// <summary>Shortest accepted period or interval: shorter would make the poller a busy loop over the grains.</summary>
    public static readonly TimeSpan MinPeriod = TimeSpan.FromMilliseconds(10);

    /// <summary>Most samples kept per region (retention / interval), so a mistaken setting cannot exhaust memory.</summary>
    public const int MaxSamplesPerRegion = 1_000_000;

    /// <summary>How often the feed reads the megaregion while someone listens, and sends a snapshot when it changed.</summary>
    public TimeSpan Period { get; set; } = DefaultPeriod;

    /// <summary>How long a stream may stay silent before it gets a <c>: keepalive</c> comment.</summary>
    public TimeSpan KeepAlive { get; set; } = DefaultKeepAlive;

    /// <summary>Longest wait for the megaregion grain and the regions in one fetch.</summary>
    public TimeSpan FetchTimeout { get; set; } = DefaultFetchTimeout;

    /// <summary>How often each region's load is sampled into the history, listeners or not.</summary>
    public TimeSpan HistoryInterval { get; set; } = DefaultHistoryInterval;

    /// <summary>How long samples are kept (in memory, per region; lost on restart).</summary>
    public TimeSpan HistoryRetention { get; set; } = DefaultHistoryRetention;

    /// <summary>Snapshots buffered per connected stream; a slower stream loses the oldest, never blocks the feed.</summary>
    public int SubscriberBuffer { get; set; } = DefaultSubscriberBuffer;
}

/// <summary>Validates <see cref="LiveFeedOptions"/>; each message names the option as configured.</summary>
public sealed class LiveFeedOptionsValidator : IValidateOptions<LiveFeedOptions>
{
    public ValidateOptionsResult Validate(string? name, LiveFeedOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        Positive(failures, nameof(LiveFeedOptions.Period), options.Period);
        Positive(failures, nameof(LiveFeedOptions.KeepAlive), options.KeepAlive);
        Positive(failures, nameof(LiveFeedOptions.FetchTimeout), options.FetchTimeout);
        Positive(failures, nameof(LiveFeedOptions.HistoryInterval), options.HistoryInterval);
        if (options.HistoryRetention < options.HistoryInterval)
        {
            failures.Add($"{LiveFeedOptions.SectionName}:{nameof(LiveFeedOptions.HistoryRetention)} must be at least {nameof(LiveFeedOptions.HistoryInterval)} ({options.HistoryInterval}), was {options.HistoryRetention}.");
        }
        else if (options.HistoryInterval >= LiveFeedOptions.MinPeriod && options.HistoryRetention / options.HistoryInterval > LiveFeedOptions.MaxSamplesPerRegion)
        {
            failures.Add($"{LiveFeedOptions.SectionName}:{nameof(LiveFeedOptions.HistoryRetention)} / {nameof(LiveFeedOptions.HistoryInterval)} must be at most {LiveFeedOptions.MaxSamplesPerRegion} samples per region, was {options.HistoryRetention / options.HistoryInterval:F0}.");
        }

        if (options.SubscriberBuffer is < 1 or > 1024)
        {
            failures.Add($"{LiveFeedOptions.SectionName}:{nameof(LiveFeedOptions.SubscriberBuffer)} must be from 1 to 1024, was {options.SubscriberBuffer}.");
        }

        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }

    private static void Positive(List<string> failures, string option, TimeSpan value)
    {
        if (value < LiveFeedOptions.MinPeriod)
        {
            failures.Add($"{LiveFeedOptions.SectionName}:{option} must be at least {LiveFeedOptions.MinPeriod.TotalMilliseconds} ms, was {value}.");
        }
    }
}

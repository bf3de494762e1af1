using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Federation.Contracts;
using Federation.Grains.Hosting;
using Federation.Server.Hosting;
using Federation.Storage;
using Microsoft.Extensions.Options;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Federation.Server.Live;

/// <summary>What <c>GET /api/live</c> sends as <c>event: snapshot</c>: the megaregion and every region, read together.</summary>
public sealed record LiveSnapshot
{
    /// <summary>When the server read them (silo time).</summary>
    public DateTimeOffset At { get; init; }

    /// <summary>As <c>GET /api/megaregion</c> answers.</summary>
    public required MegaregionView Megaregion { get; init; }

    /// <summary>As <c>GET /api/regions</c> answers.</summary>
    public required ImmutableArray<RegionView> Regions { get; init; }
}

/// <summary>What <c>GET /api/live</c> sends as <c>event: problem</c> when a read failed; the feed keeps trying.</summary>
public sealed record LiveProblem(string Title, string Detail);

/// <summary>One server-sent event, formatted once and written as is to every stream.</summary>
/// <param name="Sequence">The event's <c>id:</c>, increasing over the server's life.</param>
/// <param name="Text">The whole event in UTF-8: <c>id</c>, <c>event</c>, <c>data</c> lines and the blank line.</param>
public sealed record LiveEvent(long Sequence, ReadOnlyMemory<byte> Text);

/// <summary>
/// The silo's one poller of the megaregion for the console: once per <see cref="LiveFeedOptions.Period"/>, while at least
/// one stream listens, it reads the megaregion grain and every region and sends a snapshot to every stream when anything
/// but the reading time changed (and to a new stream at once); every <see cref="LiveFeedOptions.HistoryInterval"/>,
/// listeners or not, it records each region's load into <see cref="History"/>. With nobody listening it calls no grain
/// between samples. Each stream has a bounded buffer that drops its oldest event, so a slow browser never holds up the
/// poller or the other streams. Periods run on the silo's clock (the DI <see cref="TimeProvider"/>, the system clock),
/// not on the execution clock jobs run on.
/// </summary>
public sealed partial class MegaregionFeed : BackgroundService
{
    private readonly GrainReferences _grains;
    private readonly Scheduling.Megaregion _megaregion;
    private readonly LiveFeedOptions _options;
    private readonly TimeProvider _time;
    private readonly JsonSerializerOptions _json;
    private readonly ILogger<MegaregionFeed> _logger;
    private readonly Lock _lock = new();
    private Subscriber[] _subscribers = [];
    private TaskCompletionSource _wake = NewWake();
    private long _sequence;
    private string? _lastState;
    private string? _lastProblem;
    private DateTimeOffset _nextSample;

    public MegaregionFeed(
        GrainReferences grains,
        Scheduling.Megaregion megaregion,
        IOptions<LiveFeedOptions> options,
        IOptions<HttpJsonOptions> json,
        TimeProvider time,
        ILogger<MegaregionFeed> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(json);
        _grains = grains;
        _megaregion = megaregion;
        _options = options.Value;
        _time = time;
        _json = json.Value.SerializerOptions;
        _logger = logger;
        History = new LoadHistory(_options.HistoryInterval, _options.HistoryRetention, time.GetUtcNow());
        _nextSample = History.Since;
    }

    /// <summary>Each region's sampled load since this server started.</summary>
    public LoadHistory History { get; }

    /// <summary>Streams connected now.</summary>
    public int SubscriberCount => Volatile.Read(ref _subscribers).Length;

    /// <summary>
    /// A stream's subscription: its first event is a snapshot (or a problem, if the megaregion cannot be read), then
    /// one per change. Dispose it when the stream ends.
    /// </summary>
    public Subscription Subscribe()
    {
        var subscriber = new Subscriber(this, Channel.CreateBounded<LiveEvent>(new BoundedChannelOptions(_options.SubscriberBuffer)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
            SingleWriter = true,
        }));
        lock (_lock)
        {
            _subscribers = [.. _subscribers, subscriber];
        }

        Volatile.Read(ref _wake).TrySetResult();
        return new Subscription(subscriber);
    }

    private void Remove(Subscriber subscriber)
    {
        lock (_lock)
        {
            var index = Array.IndexOf(_subscribers, subscriber);
            if (index >= 0)
            {
                _subscribers = [.. _subscribers[..index], .. _subscribers[(index + 1)..]];
            }
        }

        subscriber.Channel.Writer.TryComplete();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                // Read the wake signal before deciding whether anyone listens: a subscriber added after this read
                // completes it, so the wait below ends at once.
                var wake = Volatile.Read(ref _wake);
                var now = _time.GetUtcNow();
                var listening = SubscriberCount > 0;
                var sampleDue = now >= _nextSample;
                if (listening || sampleDue)
                {
                    await TickAsync(now, sampleDue, stoppingToken);
                }

                var untilSample = _nextSample - _time.GetUtcNow();
                var wait = listening || SubscriberCount > 0 ? Min(_options.Period, untilSample) : untilSample;
                await WaitAsync(wake, wait, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The server is stopping.
        }
        finally
        {
            // End every stream, so requests still open do not hold up the server's shutdown.
            foreach (var subscriber in Volatile.Read(ref _subscribers))
            {
                subscriber.Channel.Writer.TryComplete();
            }
        }
    }

    private async Task WaitAsync(TaskCompletionSource wake, TimeSpan wait, CancellationToken stoppingToken)
    {
        if (wait > TimeSpan.Zero && !wake.Task.IsCompleted)
        {
            using var delay = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var timer = Task.Delay(wait, _time, delay.Token);
            await Task.WhenAny(timer, wake.Task);
            await delay.CancelAsync();
            stoppingToken.ThrowIfCancellationRequested();
        }

        if (wake.Task.IsCompleted)
        {
            Interlocked.CompareExchange(ref _wake, NewWake(), wake);
        }
    }

    private async Task TickAsync(DateTimeOffset now, bool sampleDue, CancellationToken stoppingToken)
    {
        LiveSnapshot snapshot;
        try
        {
            snapshot = await FetchAsync(stoppingToken).WaitAsync(_options.FetchTimeout, _time, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            if (sampleDue)
            {
                // Try the sample again next period rather than a whole interval later.
                _nextSample = now + _options.Period;
            }

            Fail(e);
            return;
        }

        if (_lastProblem is not null)
        {
            LogRecovered(_logger);
            _lastProblem = null;
        }

        if (sampleDue)
        {
            History.Add(now, snapshot.Regions);
            _nextSample += _options.HistoryInterval;
            if (_nextSample <= now)
            {
                _nextSample = now + _options.HistoryInterval;
            }
        }

        Publish(snapshot);
    }

    private async Task<LiveSnapshot> FetchAsync(CancellationToken cancellationToken)
    {
        var megaregion = _grains.Megaregion.GetAsync();
        var regions = new Task<RegionView>[_megaregion.Regions.Length];
        for (var i = 0; i < regions.Length; i++)
        {
            regions[i] = _grains.Region(i).GetAsync();
        }

        var views = await Task.WhenAll(regions).WaitAsync(cancellationToken);
        return new LiveSnapshot { At = _time.GetUtcNow(), Megaregion = await megaregion.WaitAsync(cancellationToken), Regions = [.. views] };
    }

    private void Publish(LiveSnapshot snapshot)
    {
        var subscribers = Volatile.Read(ref _subscribers);
        if (subscribers.Length == 0)
        {
            // Nobody to compare for: the next stream gets a snapshot anyway.
            _lastState = null;
            return;
        }

        // The megaregion's reading time changes on every read; anything else is a change worth sending.
        var state = JsonSerializer.Serialize(snapshot with { At = default, Megaregion = snapshot.Megaregion with { At = default } }, _json);
        var changed = !string.Equals(state, _lastState, StringComparison.Ordinal);
        _lastState = state;
        LiveEvent? message = null;
        foreach (var subscriber in subscribers)
        {
            if (changed || !subscriber.HasSnapshot)
            {
                message ??= Format("snapshot", JsonSerializer.Serialize(snapshot, _json));
                subscriber.HasSnapshot = true;
                subscriber.LastProblem = null;
                subscriber.Channel.Writer.TryWrite(message);
            }
        }
    }

    private void Fail(Exception e)
    {
        var problem = Describe(e);
        if (!string.Equals(problem.Detail, _lastProblem, StringComparison.Ordinal))
        {
            LogFetchFailed(_logger, e, problem.Detail);
            _lastProblem = problem.Detail;
        }

        // The next good read is sent to every stream, changed or not: they saw the problem.
        _lastState = null;
        LiveEvent? message = null;
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            if (!string.Equals(subscriber.LastProblem, problem.Detail, StringComparison.Ordinal))
            {
                message ??= Format("problem", JsonSerializer.Serialize(problem, _json));
                subscriber.LastProblem = problem.Detail;
                subscriber.Channel.Writer.TryWrite(message);
            }
        }
    }

    private LiveProblem Describe(Exception e)
    {
        const string Resume = " The feed keeps trying every period and sends a snapshot when the read succeeds.";
        if (StorageErrors.FindUnreachable(e) is not null)
        {
            return new LiveProblem(ApiExceptionHandler.StoreUnreachableTitle, "The database that holds jobs and regions could not be reached." + Resume);
        }

        if (e is TimeoutException || ApiExceptionHandler.StatusOf(e) == StatusCodes.Status503ServiceUnavailable)
        {
            return new LiveProblem(
                "The megaregion did not answer in time.",
                $"The megaregion grain or a region did not answer within {_options.FetchTimeout.TotalSeconds:0.###} s, or a silo of the cluster is unavailable." + Resume);
        }

        return new LiveProblem("The megaregion could not be read.", "Reading the megaregion failed; see the server log." + Resume);
    }

    private LiveEvent Format(string kind, string json)
    {
        var sequence = Interlocked.Increment(ref _sequence);
        var text = new StringBuilder(json.Length + 48)
            .Append("id: ").Append(sequence).Append('\n')
            .Append("event: ").Append(kind).Append('\n')
            .Append("data: ").Append(json).Append("\n\n")
            .ToString();
        return new LiveEvent(sequence, Encoding.UTF8.GetBytes(text));
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static TaskCompletionSource NewWake() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [LoggerMessage(60, LogLevel.Warning, "Live feed: reading the megaregion failed ({Problem}); retrying every period, logged once until it succeeds")]
    private static partial void LogFetchFailed(ILogger logger, Exception exception, string problem);

    [LoggerMessage(61, LogLevel.Information, "Live feed: the megaregion is read again")]
    private static partial void LogRecovered(ILogger logger);

    /// <summary>A connected stream: its buffer and what it has been sent.</summary>
    internal sealed class Subscriber(MegaregionFeed feed, Channel<LiveEvent> channel)
    {
        public MegaregionFeed Feed { get; } = feed;

        public Channel<LiveEvent> Channel { get; } = channel;

        /// <summary>Written by the poller only.</summary>
        public bool HasSnapshot { get; set; }

        /// <summary>Written by the poller only.</summary>
        public string? LastProblem { get; set; }
    }

    /// <summary>A stream's subscription to the feed; disposing it removes the stream.</summary>
    public sealed class Subscription : IDisposable
    {
        private readonly Subscriber _subscriber;
        private int _disposed;

        internal Subscription(Subscriber subscriber) => _subscriber = subscriber;

        /// <summary>The stream's events; completes when the server stops.</summary>
        public ChannelReader<LiveEvent> Events => _subscriber.Channel.Reader;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                _subscriber.Feed.Remove(_subscriber);
            }
        }
    }
}

using Federation.Contracts;

namespace Federation.Server.Live;

/// <summary>One region's load at one moment, as <c>GET /api/regions/{id}/history</c> shows it.</summary>
public sealed record LoadSample
{
    public DateTimeOffset At { get; init; }

    /// <summary>Busy accelerators, all pools.</summary>
    public int Busy { get; init; }

    /// <summary>All accelerators of the region.</summary>
    public int Capacity { get; init; }

    /// <summary>Of <see cref="Busy"/>, accelerators used by jobs from other regions.</summary>
    public int ExternalBusy { get; init; }

    public int QueuedJobs { get; init; }

    /// <summary>Accelerators the queued jobs ask for.</summary>
    public long QueuedDemand { get; init; }

    public int RunningJobs { get; init; }

    /// <summary>Busy accelerators per accelerator type (the region's pools).</summary>
    public IReadOnlyDictionary<string, int> BusyByType { get; init; } = new Dictionary<string, int>();

    public static LoadSample From(DateTimeOffset at, RegionView region)
    {
        ArgumentNullException.ThrowIfNull(region);
        int busy = 0, capacity = 0, external = 0;
        var byType = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var pool in region.Pools)
        {
            busy += pool.Busy;
            capacity += pool.Count;
            external += pool.ExternalBusy;
            byType[pool.Type] = byType.GetValueOrDefault(pool.Type) + pool.Busy;
        }

        return new LoadSample
        {
            At = at,
            Busy = busy,
            Capacity = capacity,
            ExternalBusy = external,
            QueuedJobs = region.QueuedJobs,
            QueuedDemand = region.QueuedDemand,
            RunningJobs = region.RunningJobs,
            BusyByType = byType,
        };
    }
}

/// <summary>The answer of <c>GET /api/regions/{id}/history</c>.</summary>
public sealed record RegionHistoryView
{
    public string Region { get; init; } = "";

    /// <summary>Seconds between samples.</summary>
    public double IntervalSeconds { get; init; }

    /// <summary>When this server started sampling: no sample is older (history is in memory, per server).</summary>
    public DateTimeOffset Since { get; init; }

    /// <summary>The window asked for.</summary>
    public int Hours { get; init; }

    /// <summary>Oldest first.</summary>
    public IReadOnlyList<LoadSample> Samples { get; init; } = [];
}

/// <summary>
/// Each region's load over the last <see cref="LiveFeedOptions.HistoryRetention"/>, one ring buffer per region of
/// retention / interval samples, filled by <see cref="MegaregionFeed"/>. In memory and per server: it starts empty when
/// the server starts, and every silo of a cluster samples on its own.
/// </summary>
public sealed class LoadHistory
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Ring> _regions = new(StringComparer.Ordinal);
    private readonly int _capacity;

    public LoadHistory(TimeSpan interval, TimeSpan retention, DateTimeOffset since)
    {
        Interval = interval;
        Since = since;
        _capacity = Math.Max(1, (int)Math.Ceiling(retention / interval));
    }

    public TimeSpan Interval { get; }

    /// <summary>When sampling started.</summary>
    public DateTimeOffset Since { get; }

    /// <summary>Records one sample of every region.</summary>
    public void Add(DateTimeOffset at, IReadOnlyList<RegionView> regions)
    {
        ArgumentNullException.ThrowIfNull(regions);
        lock (_lock)
        {
            foreach (var region in regions)
            {
                if (!_regions.TryGetValue(region.Id, out var ring))
                {
                    ring = new Ring(_capacity);
                    _regions.Add(region.Id, ring);
                }

                ring.Add(LoadSample.From(at, region));
            }
        }
    }

    /// <summary>The region's samples taken at or after <paramref name="from"/>, oldest first (empty before the first sample).</summary>
    public IReadOnlyList<LoadSample> Read(string region, DateTimeOffset from)
    {
        lock (_lock)
        {
            return _regions.TryGetValue(region, out var ring) ? ring.From(from) : [];
        }
    }

    private sealed class Ring(int capacity)
    {
        private readonly LoadSample[] _items = new LoadSample[capacity];
        private int _next;
        private int _count;

        public void Add(LoadSample sample)
        {
            _items[_next] = sample;
            _next = (_next + 1) % _items.Length;
            _count = Math.Min(_count + 1, _items.Length);
        }

        public List<LoadSample> From(DateTimeOffset from)
        {
            var result = new List<LoadSample>();
            var start = (_next - _count + _items.Length) % _items.Length;
            for (var i = 0; i < _count; i++)
            {
                var sample = _items[(start + i) % _items.Length];
                if (sample.At >= from)
                {
                    result.Add(sample);
                }
            }

            return result;
        }
    }
}

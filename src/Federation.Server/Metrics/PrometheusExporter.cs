using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Federation.Server.Metrics;

/// <summary>
/// Serves Orleans' meter (<c>Microsoft.Orleans</c>: messaging, activations, grain calls, storage, membership) and the
/// <c>Federation.*</c> meters of this host (the grains', the server's) in the Prometheus text exposition format. A
/// <see cref="MeterListener"/> aggregates measurements as they happen; observable instruments are read on each scrape.
/// Of the <c>Federation.*</c> meters only those created by this host's <see cref="IMeterFactory"/> are listened to, so
/// two servers in one process (tests) do not see each other's figures; Orleans' meter is one per process.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    /// <summary>Meters of this host whose name starts with this are exported.</summary>
    public const string MeterPrefix = "Federation";

    /// <summary>Orleans' meter, exported whoever created it.</summary>
    public const string OrleansMeter = "Microsoft.Orleans";

    /// <summary>The content type of the text exposition format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private static readonly double[] MillisecondBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
    private static readonly double[] SecondBuckets = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private static readonly double[] CountBuckets = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, Family> _families = new(StringComparer.Ordinal);
    private readonly object _scope;
    private readonly object _scrapeLock = new();

    public PrometheusExporter(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _scope = meterFactory;
        _listener.InstrumentPublished = OnInstrumentPublished;
        _listener.SetMeasurementEventCallback<long>(static (instrument, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (instrument, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (instrument, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<float>(static (instrument, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.Start();
    }

    /// <summary>The current figures in the text exposition format, families sorted by name.</summary>
    public string Render()
    {
        var text = new StringBuilder(4096);
        lock (_scrapeLock)
        {
            foreach (var family in _families.Values)
            {
                family.BeginObservation();
            }

            _listener.RecordObservableInstruments();
            var names = _families.Keys.ToArray();
            Array.Sort(names, StringComparer.Ordinal);
            foreach (var name in names)
            {
                _families[name].Write(text);
            }
        }

        return text.ToString();
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>A Prometheus metric name: dots and dashes become underscores, with a unit suffix for time.</summary>
    public static string MetricName(string instrumentName, string? unit, bool counter)
    {
        var name = new StringBuilder(instrumentName.Length + 16);
        foreach (var c in instrumentName)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '_');
        }

        var suffix = unit switch
        {
            "ms" => "_milliseconds",
            "s" => "_seconds",
            "By" => "_bytes",
            _ => "",
        };
        if (suffix.Length > 0 && !name.ToString().EndsWith(suffix, StringComparison.Ordinal))
        {
            name.Append(suffix);
        }

        if (counter)
        {
            name.Append("_total");
        }

        return name.ToString();
    }

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        var ours = instrument.Meter.Name.StartsWith(MeterPrefix, StringComparison.Ordinal) && ReferenceEquals(instrument.Meter.Scope, _scope);
        if (!ours && !string.Equals(instrument.Meter.Name, OrleansMeter, StringComparison.Ordinal))
        {
            return;
        }

        var kind = instrument switch
        {
            Counter<long> or Counter<int> or Counter<double> or ObservableCounter<long> or ObservableCounter<int> or ObservableCounter<double> => Kind.Counter,
            Histogram<long> or Histogram<int> or Histogram<double> or Histogram<float> => Kind.Histogram,
            _ => Kind.Gauge,
        };
        var name = MetricName(instrument.Name, instrument.Unit, kind == Kind.Counter);
        var family = _families.GetOrAdd(name, static (n, a) => new Family(n, a.kind, a.instrument), (kind, instrument));
        listener.EnableMeasurementEvents(instrument, family);
    }

    private enum Kind
    {
        Counter,
        Gauge,
        Histogram,
    }

    private sealed class Family
    {
        private readonly string _name;
        private readonly Kind _kind;
        private readonly string _help;
        private readonly bool _observable;
        private readonly double[] _buckets;
        private readonly ConcurrentDictionary<string, Series> _series = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<TagKey, Series> _byTags = new();

        public Family(string name, Kind kind, Instrument instrument)
        {
            _name = name;
            _kind = kind;
            _help = (instrument.Description ?? instrument.Name).Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
            _observable = instrument.IsObservable;
            _buckets = instrument.Unit switch
            {
                "ms" => MillisecondBuckets,
                "s" => SecondBuckets,
                _ => CountBuckets,
            };
        }

        public void BeginObservation()
        {
            if (_observable)
            {
                // An observable reports its current value per scrape; series that were not reported again are gone.
                _series.Clear();
                _byTags.Clear();
            }
        }

        /// <summary>
        /// One measurement. This runs on every grain call of the server (the runtime's request latency is
        /// recorded whenever someone listens), so it allocates nothing once a tag combination has been seen
        /// and takes no lock: the series is found by the tags themselves, and updated with interlocked
        /// operations, so concurrent grain calls never wait on each other here.
        /// </summary>
        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            Series series;
            if (TagKey.TryCreate(tags, out var key))
            {
                if (!_byTags.TryGetValue(key, out series!))
                {
                    series = _byTags.GetOrAdd(key, SeriesFor(tags));
                }
            }
            else
            {
                series = SeriesFor(tags);
            }

            switch (_kind)
            {
                case Kind.Histogram:
                    series.Observe(value);
                    break;
                case Kind.Counter or Kind.Gauge when _observable:
                    series.Set(value);
                    break;
                default:
                    series.Add(value);
                    break;
            }
        }

        /// <summary>The series of a label set, whatever order its tags came in.</summary>
        private Series SeriesFor(ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
            _series.GetOrAdd(Labels(tags), static (_, buckets) => new Series(buckets), _kind == Kind.Histogram ? _buckets : null);

        public void Write(StringBuilder text)
        {
            if (_series.IsEmpty)
            {
                return;
            }

            text.Append("# HELP ").Append(_name).Append(' ').Append(_help).Append('\n');
            text.Append("# TYPE ").Append(_name).Append(' ').Append(_kind switch { Kind.Counter => "counter", Kind.Histogram => "histogram", _ => "gauge" }).Append('\n');
            var labels = _series.Keys.ToArray();
            Array.Sort(labels, StringComparer.Ordinal);
            foreach (var label in labels)
            {
                var series = _series[label];
                if (_kind != Kind.Histogram)
                {
                    Sample(text, _name, label, null, series.Value);
                    continue;
                }

                // Counts are read once each; the count is their sum, so the buckets are cumulative and the
                // +Inf bucket equals the count even while measurements arrive during the scrape.
                long cumulative = 0;
                for (var i = 0; i < _buckets.Length; i++)
                {
                    cumulative += series.CountAt(i);
                    Sample(text, _name + "_bucket", label, Format(_buckets[i]), cumulative);
                }

                cumulative += series.CountAt(_buckets.Length);
                Sample(text, _name + "_bucket", label, "+Inf", cumulative);
                Sample(text, _name + "_sum", label, null, series.Value);
                Sample(text, _name + "_count", label, null, cumulative);
            }
        }

        private static void Sample(StringBuilder text, string name, string labels, string? le, double value)
        {
            text.Append(name);
            if (labels.Length > 0 || le is not null)
            {
                text.Append('{').Append(labels);
                if (le is not null)
                {
                    text.Append(labels.Length > 0 ? "," : "").Append("le=\"").Append(le).Append('"');
                }

                text.Append('}');
            }

            text.Append(' ').Append(Format(value)).Append('\n');
        }

        private static string Format(double value) => value switch
        {
            double.PositiveInfinity => "+Inf",
            double.NegativeInfinity => "-Inf",
            _ => value.ToString("R", CultureInfo.InvariantCulture),
        };

        private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.Length == 0)
            {
                return "";
            }

            var sorted = tags.ToArray();
            Array.Sort(sorted, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            var text = new StringBuilder();
            foreach (var (key, value) in sorted)
            {
                if (text.Length > 0)
                {
                    text.Append(',');
                }

                foreach (var c in key)
                {
                    text.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
                }

                text.Append("=\"");
                foreach (var c in Convert.ToString(value, CultureInfo.InvariantCulture) ?? "")
                {
                    _ = c switch
                    {
                        '\\' => text.Append("\\\\"),
                        '"' => text.Append("\\\""),
                        '\n' => text.Append("\\n"),
                        _ => text.Append(c),
                    };
                }

                text.Append('"');
            }

            return text.ToString();
        }
    }

    /// <summary>
    /// Up to three tags as a dictionary key, compared by name and value without building the label text.
    /// Tags given in another order make another key that maps to the same <see cref="Series"/>.
    /// </summary>
    private readonly struct TagKey : IEquatable<TagKey>
    {
        private readonly int _count;
        private readonly string? _k0;
        private readonly object? _v0;
        private readonly string? _k1;
        private readonly object? _v1;
        private readonly string? _k2;
        private readonly object? _v2;

        private TagKey(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            _count = tags.Length;
            if (tags.Length > 0)
            {
                (_k0, _v0) = (tags[0].Key, tags[0].Value);
            }

            if (tags.Length > 1)
            {
                (_k1, _v1) = (tags[1].Key, tags[1].Value);
            }

            if (tags.Length > 2)
            {
                (_k2, _v2) = (tags[2].Key, tags[2].Value);
            }
        }

        public static bool TryCreate(ReadOnlySpan<KeyValuePair<string, object?>> tags, out TagKey key)
        {
            key = tags.Length <= 3 ? new TagKey(tags) : default;
            return tags.Length <= 3;
        }

        public bool Equals(TagKey other) =>
            _count == other._count
            && string.Equals(_k0, other._k0, StringComparison.Ordinal) && Equals(_v0, other._v0)
            && string.Equals(_k1, other._k1, StringComparison.Ordinal) && Equals(_v1, other._v1)
            && string.Equals(_k2, other._k2, StringComparison.Ordinal) && Equals(_v2, other._v2);

        public override bool Equals(object? obj) => obj is TagKey other && Equals(other);

        public override int GetHashCode() => HashCode.Combine(_count, _k0, _v0, _k1, _v1, _k2, _v2);
    }

    /// <summary>One labelled series, updated without a lock (interlocked adds; the sum by compare-and-swap).</summary>
    private sealed class Series
    {
        private readonly double[]? _buckets;

        // Per-bucket (not cumulative) counts of a histogram; the last slot counts values above every bound.
        private readonly long[]? _counts;
        private double _value;

        public Series(double[]? buckets)
        {
            _buckets = buckets;
            _counts = buckets is null ? null : new long[buckets.Length + 1];
        }

        /// <summary>The counter or gauge value, or the histogram's sum.</summary>
        public double Value => Volatile.Read(ref _value);

        public long CountAt(int bucket) => Volatile.Read(ref _counts![bucket]);

        public void Set(double value) => Volatile.Write(ref _value, value);

        public void Add(double value)
        {
            var current = Volatile.Read(ref _value);
            while (true)
            {
                var seen = Interlocked.CompareExchange(ref _value, current + value, current);
                if (BitConverter.DoubleToInt64Bits(seen) == BitConverter.DoubleToInt64Bits(current))
                {
                    return;
                }

                current = seen;
            }
        }

        public void Observe(double value)
        {
            Add(value);
            var i = Array.BinarySearch(_buckets!, value);
            Interlocked.Increment(ref _counts![i >= 0 ? i : ~i]);
        }
    }
}

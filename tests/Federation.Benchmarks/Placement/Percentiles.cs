using System.Globalization;

namespace Federation.Benchmarks.GrainPlacement;

/// <summary>Latency samples in timestamp ticks, reported in microseconds.</summary>
internal sealed class Percentiles(int capacity)
{
    private long[] _samples = new long[capacity];
    private int _count;

    public int Count => _count;

    public void Add(long ticks)
    {
        if (_count == _samples.Length)
        {
            Array.Resize(ref _samples, _samples.Length * 2);
        }

        _samples[_count++] = ticks;
    }

    public void Merge(Percentiles other)
    {
        for (var i = 0; i < other._count; i++)
        {
            Add(other._samples[i]);
        }
    }

    public string Report()
    {
        Array.Sort(_samples, 0, _count);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"n={_count} p50={Us(0.50):F1} us p90={Us(0.90):F1} us p99={Us(0.99):F1} us p99.9={Us(0.999):F1} us max={Us(1):F1} us");
    }

    private double Us(double q)
    {
        if (_count == 0)
        {
            return double.NaN;
        }

        var i = Math.Min(_count - 1, (int)Math.Ceiling(q * _count) - 1);
        return _samples[Math.Max(0, i)] * 1_000_000.0 / System.Diagnostics.Stopwatch.Frequency;
    }
}

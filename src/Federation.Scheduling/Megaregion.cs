using System.Collections.Immutable;

namespace Federation.Scheduling;

/// <summary>
/// The regions and the links between them, with precomputed all-pairs transfer parameters.
/// Transfer time between two regions is <c>latency + size / (bandwidth × <see cref="TransferEfficiency"/>)</c>
/// along the lowest-latency path (latencies add up, bandwidth is the path's bottleneck); 0 inside one region.
/// </summary>
public sealed class Megaregion
{
    /// <summary>
    /// Share of a link's nominal bandwidth a bulk dataset copy achieves end to end (TCP over a few-ms
    /// path, storage read/write on both sides, protocol overhead). 0.7 is an assumption, not a measurement.
    /// </summary>
    public const double TransferEfficiency = 0.7;

    private readonly Dictionary<string, int> _index;
    private readonly double[] _pathLatencyS;
    private readonly double[] _pathBandwidthGbps;

    public Megaregion(ImmutableArray<Region> regions, ImmutableArray<Link> links)
    {
        Regions = regions;
        Links = links;
        _index = new Dictionary<string, int>(regions.Length, StringComparer.Ordinal);
        for (var i = 0; i < regions.Length; i++)
        {
            if (!_index.TryAdd(regions[i].Id, i))
            {
                throw new ArgumentException($"duplicate region id '{regions[i].Id}'", nameof(regions));
            }
        }

        var n = regions.Length;
        _pathLatencyS = new double[n * n];
        _pathBandwidthGbps = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                _pathLatencyS[(i * n) + j] = i == j ? 0 : double.PositiveInfinity;
                _pathBandwidthGbps[(i * n) + j] = i == j ? double.PositiveInfinity : 0;
            }
        }

        foreach (var l in links)
        {
            var a = IndexOf(l.A);
            var b = IndexOf(l.B);
            if (a < 0 || b < 0)
            {
                throw new ArgumentException($"link {l.A}-{l.B} names an unknown region", nameof(links));
            }

            var lat = l.LatencyMs / 1000.0;
            if (lat < _pathLatencyS[(a * n) + b])
            {
                _pathLatencyS[(a * n) + b] = _pathLatencyS[(b * n) + a] = lat;
                _pathBandwidthGbps[(a * n) + b] = _pathBandwidthGbps[(b * n) + a] = l.BandwidthGbps;
            }
        }

        // Floyd–Warshall on latency; the bandwidth of the chosen path is its bottleneck.
        for (var k = 0; k < n; k++)
        {
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    var via = _pathLatencyS[(i * n) + k] + _pathLatencyS[(k * n) + j];
                    if (via < _pathLatencyS[(i * n) + j])
                    {
                        _pathLatencyS[(i * n) + j] = via;
                        _pathBandwidthGbps[(i * n) + j] = Math.Min(_pathBandwidthGbps[(i * n) + k], _pathBandwidthGbps[(k * n) + j]);
                    }
                }
            }
        }
    }

    public ImmutableArray<Region> Regions { get; }

    public ImmutableArray<Link> Links { get; }

    /// <summary>Index of a region id in <see cref="Regions"/>, or -1.</summary>
    public int IndexOf(string regionId) => _index.TryGetValue(regionId, out var i) ? i : -1;

    /// <summary>Total accelerators of the megaregion.</summary>
    public int TotalAccelerators
    {
        get
        {
            var n = 0;
            foreach (var r in Regions)
            {
                n += r.TotalAccelerators;
            }

            return n;
        }
    }

    /// <summary>Seconds to move <paramref name="sizeGb"/> GB from one region to another (by index); infinity when unreachable.</summary>
    public double TransferTimeS(int fromRegion, int toRegion, double sizeGb)
    {
        if (fromRegion == toRegion)
        {
            return 0;
        }

        var k = (fromRegion * Regions.Length) + toRegion;
        var lat = _pathLatencyS[k];
        if (double.IsPositiveInfinity(lat))
        {
            return double.PositiveInfinity;
        }

        return lat + (sizeGb * 8.0 / (_pathBandwidthGbps[k] * TransferEfficiency));
    }

    /// <summary>Seconds to move a dataset of <paramref name="sizeGb"/> GB from <paramref name="datasetRegion"/> to <paramref name="targetRegion"/>.</summary>
    public double TransferTime(string datasetRegion, string targetRegion, double sizeGb)
    {
        var a = IndexOf(datasetRegion);
        var b = IndexOf(targetRegion);
        if (a < 0 || b < 0)
        {
            throw new ArgumentException($"unknown region '{(a < 0 ? datasetRegion : targetRegion)}'");
        }

        return TransferTimeS(a, b, sizeGb);
    }
}

using System.Diagnostics.Metrics;

namespace Federation.Grains.Diagnostics;

/// <summary>The grains' one Meter and its instruments (the region gauges are <see cref="RegionGauges"/>).</summary>
public sealed class GrainsInstruments
{
    /// <summary>
    /// Histogram bucket bounds for a latency in seconds, from 10 µs (a placement decided and admitted in one process) to
    /// 10 s (a submit that waited on a slow store).
    /// </summary>
    public static readonly IReadOnlyList<double> LatencyBucketsSeconds =
        [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    public GrainsInstruments(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(GrainsInstrumentNames.MeterName);
        JobsSubmitted = meter.CreateCounter<long>(GrainsInstrumentNames.JobsSubmitted, "{job}", "Jobs accepted (first submission of an id).");
        JobsFinished = meter.CreateCounter<long>(GrainsInstrumentNames.JobsFinished, "{job}", "Jobs that reached Completed, Failed or Cancelled.");
        Placements = meter.CreateCounter<long>(GrainsInstrumentNames.Placements, "{placement}", "Placements a router made (admitted by a region), per region placed in.");
        PlacementRefusals = meter.CreateCounter<long>(GrainsInstrumentNames.PlacementRefusals, "{refusal}", "Admissions a region refused because the router's view was stale, per refusing region.");
        PlacementDuration = meter.CreateHistogram(
            GrainsInstrumentNames.PlacementDuration,
            "s",
            "Time the router took to place one job: the decision and the admissions it asked for.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBucketsSeconds });
        Overflows = meter.CreateCounter<long>(GrainsInstrumentNames.Overflows, "{job}", "Jobs placed or moved outside their home region, per region placed in and home region.");
        Moves = meter.CreateCounter<long>(GrainsInstrumentNames.Moves, "{job}", "Queued jobs the rebalancer moved, per region left and region moved to.");
        Preemptions = meter.CreateCounter<long>(GrainsInstrumentNames.Preemptions, "{job}", "Lent jobs preempted (committed and placed again) by a region taking its accelerators back, per reclaiming region.");
        SnapshotRefreshes = meter.CreateCounter<long>(GrainsInstrumentNames.SnapshotRefreshes, "{refresh}", "Router refreshes of the regions' estimates.");
    }

    public Counter<long> JobsSubmitted { get; }

    public Counter<long> JobsFinished { get; }

    public Counter<long> Placements { get; }

    public Counter<long> PlacementRefusals { get; }

    public Histogram<double> PlacementDuration { get; }

    public Counter<long> Overflows { get; }

    public Counter<long> Moves { get; }

    public Counter<long> Preemptions { get; }

    public Counter<long> SnapshotRefreshes { get; }

    /// <summary>A placement in <paramref name="region"/>.</summary>
    public void Placed(string region) => Placements.Add(1, new KeyValuePair<string, object?>(GrainsInstrumentNames.RegionTag, region));

    /// <summary>An admission <paramref name="region"/> refused.</summary>
    public void Refused(string region) => PlacementRefusals.Add(1, new KeyValuePair<string, object?>(GrainsInstrumentNames.RegionTag, region));

    /// <summary>A job of <paramref name="homeRegion"/> placed or moved into <paramref name="region"/>.</summary>
    public void Overflowed(string region, string homeRegion) => Overflows.Add(
        1,
        new KeyValuePair<string, object?>(GrainsInstrumentNames.RegionTag, region),
        new KeyValuePair<string, object?>(GrainsInstrumentNames.HomeRegionTag, homeRegion));

    /// <summary>A lent job <paramref name="region"/> preempted to take its accelerators back.</summary>
    public void Preempted(string region) => Preemptions.Add(1, new KeyValuePair<string, object?>(GrainsInstrumentNames.RegionTag, region));

    /// <summary>A queued job the rebalancer moved from <paramref name="fromRegion"/> to <paramref name="region"/>.</summary>
    public void Moved(string fromRegion, string region) => Moves.Add(
        1,
        new KeyValuePair<string, object?>(GrainsInstrumentNames.FromRegionTag, fromRegion),
        new KeyValuePair<string, object?>(GrainsInstrumentNames.RegionTag, region));
}

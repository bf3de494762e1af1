using System.Diagnostics.Metrics;

namespace Federation.Grains.Diagnostics;

/// <summary>The grains' one Meter and its instruments.</summary>
public sealed class GrainsInstruments
{
    public GrainsInstruments(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(GrainsInstrumentNames.MeterName);
        JobsSubmitted = meter.CreateCounter<long>(GrainsInstrumentNames.JobsSubmitted, "{job}", "Jobs accepted (first submission of an id).");
        JobsFinished = meter.CreateCounter<long>(GrainsInstrumentNames.JobsFinished, "{job}", "Jobs that reached Completed, Failed or Cancelled.");
        Placements = meter.CreateCounter<long>(GrainsInstrumentNames.Placements, "{placement}", "Placements a router made (admitted by a region).");
        PlacementRefusals = meter.CreateCounter<long>(GrainsInstrumentNames.PlacementRefusals, "{refusal}", "Admissions a region refused because the router's view was stale.");
        Overflows = meter.CreateCounter<long>(GrainsInstrumentNames.Overflows, "{job}", "Jobs placed or moved outside their home region.");
        Moves = meter.CreateCounter<long>(GrainsInstrumentNames.Moves, "{job}", "Queued jobs the rebalancer moved.");
        SnapshotRefreshes = meter.CreateCounter<long>(GrainsInstrumentNames.SnapshotRefreshes, "{refresh}", "Router refreshes of the regions' estimates.");
    }

    public Counter<long> JobsSubmitted { get; }

    public Counter<long> JobsFinished { get; }

    public Counter<long> Placements { get; }

    public Counter<long> PlacementRefusals { get; }

    public Counter<long> Overflows { get; }

    public Counter<long> Moves { get; }

    public Counter<long> SnapshotRefreshes { get; }
}

namespace Federation.Grains.Diagnostics;

/// <summary>Names of the grains' instruments (one Meter: <see cref="MeterName"/>).</summary>
public static class GrainsInstrumentNames
{
    public const string MeterName = "Federation.Grains";
    public const string JobsSubmitted = "federation.jobs.submitted";
    public const string JobsFinished = "federation.jobs.finished";
    public const string Placements = "federation.placements";
    public const string PlacementRefusals = "federation.placement.refusals";
    public const string Overflows = "federation.overflows";
    public const string Moves = "federation.rebalancer.moves";
    public const string SnapshotRefreshes = "federation.router.snapshot.refreshes";
}

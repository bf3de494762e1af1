using Federation.Grains.Execution;

namespace Federation.Grains.Regions;

/// <summary>
/// The regions' notices to jobs that this silo is delivering (sent, or waiting for a retry, and not yet handled by the
/// job): one piece of work per job with a notice in its region's outbox. Tests await <see cref="WhenDeliveredAsync"/>
/// as the barrier for what reaches a job one-way from a region.
/// </summary>
public sealed class NoticeDeliveries
{
    private readonly InFlightWork _pending = new();

    /// <summary>Jobs with a notice not yet handled, over every region of this silo.</summary>
    public int Pending => _pending.Count;

    /// <summary>Completes when every notice sent so far on this silo has been handled (or forgotten).</summary>
    public Task WhenDeliveredAsync() => _pending.WhenIdleAsync();

    internal void Started() => _pending.Enter();

    internal void Finished() => _pending.Exit();
}

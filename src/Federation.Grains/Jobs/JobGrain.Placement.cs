using Federation.Contracts;

namespace Federation.Grains.Jobs;

/// <summary>A placement applied to the row (numbers only: the words are rendered when the job is shown), and what the job reports once it is committed.</summary>
public sealed partial class JobGrain
{
    private void ApplyPlacement(PlacementOutcome outcome, DateTimeOffset now, string? previousRegion, string queuedKind)
    {
        var record = Record;
        if (!outcome.Placed || outcome.Region is null)
        {
            record.State = JobState.Failed;
            record.Region = previousRegion;
            record.Reason = null;
            record.Placement = outcome.Decision;
            record.EndedAt = now;
            record.AddEvent(now, JobEventKinds.Failed, null);
            _instruments.JobsFinished.Add(1);
            return;
        }

        var readyAt = now + TimeSpan.FromSeconds(outcome.TransferSeconds);
        SetPlaced(outcome.Region, outcome.State, now, readyAt, null, outcome.Decision, outcome.ExpectedStart);

        // The reason (every candidate) and the events' words are rendered from the decision when the job is read.
        var transfer = outcome.TransferSeconds > 0 ? outcome.TransferSeconds : 0;
        if (!string.Equals(outcome.Region, record.Request!.HomeRegion, StringComparison.Ordinal))
        {
            _instruments.Overflowed(outcome.Region, record.Request!.HomeRegion);
            record.AddEvent(now, JobEventKinds.Overflowed, outcome.Region, null, transfer, outcome.Residency);
        }
        else
        {
            record.AddEvent(now, queuedKind, outcome.Region, null, transfer, outcome.Residency);
        }

        if (outcome.Standing is { } standing)
        {
            record.AddEvent(now, outcome.OverAllocation ? JobEventKinds.OverAllocation : JobEventKinds.Allocated, outcome.Region, standing);
        }

        if (outcome.State == JobState.Running)
        {
            record.AddStarted(record.StartedAt!.Value, outcome.Region!, outcome.AcceleratorType);
        }
    }

    /// <param name="startedAt">For a job the region started at once, when it did (its answer says); the job records
    /// that time, not its own now, so that the row and the region's run (and the usage charged) agree.</param>
    private void SetPlaced(string region, JobState state, DateTimeOffset now, DateTimeOffset readyAt, string? reason, PlacementDecision? decision, DateTimeOffset? startedAt)
    {
        var record = Record;
        record.State = state;
        record.Region = region;
        record.Reason = reason;
        record.Placement = decision;
        record.QueuedAt = now;
        record.DataReadyAt = readyAt;
        record.StartedAt = state == JobState.Running ? startedAt ?? now : null;
    }

    /// <summary>Accelerator-hours used up to <paramref name="end"/> (0 when the job never started).</summary>
    private double UsageUntil(DateTimeOffset end) =>
        Record is { State: JobState.Running or JobState.Queued, StartedAt: { } started, Request: { } job }
            ? Math.Max(0, (end - started).TotalHours) * job.Accelerators.Count
            : 0;

    private void ReportFlowIfAway(string from, PlacementOutcome outcome)
    {
        if (!outcome.Placed || outcome.Region is null || string.Equals(outcome.Region, from, StringComparison.Ordinal))
        {
            return;
        }

        var dataGb = outcome.TransferSeconds > 0 ? Record.Request!.Dataset?.SizeGb ?? 0 : 0;
        _reports.JobMoved(from, outcome.Region, dataGb);
    }
}

using System.Globalization;
using Federation.Contracts;
using Federation.Grains.Audit;
using Federation.Grains.Diagnostics;
using Federation.Grains.Model;

namespace Federation.Grains.Jobs;

/// <summary>
/// A move asked by the rebalancer: the job withdraws from the region it is queued in first, then asks the target to
/// admit it, so that it is never queued in two regions; a refused move goes back, or is placed anew.
/// </summary>
public sealed partial class JobGrain
{
    public async Task<bool> TryMoveAsync(string fromRegion, string targetRegion, string reason)
    {
        if (!IsHeldBy(fromRegion) && _megaregion.IndexOf(fromRegion) >= 0)
        {
            // The rebalancer saw the job queued in a region its committed row does not name: a ghost admission. Drop it there.
            if (await _grains.Region(fromRegion).WithdrawAsync(Id))
            {
                GrainsLog.GhostWithdrawn(_logger, Id, fromRegion, Record.State, Record.Region);
            }

            return false;
        }

        if (Record.State != JobState.Queued || !string.Equals(Record.Region, fromRegion, StringComparison.Ordinal)
            || string.Equals(fromRegion, targetRegion, StringComparison.Ordinal) || _megaregion.IndexOf(targetRegion) < 0)
        {
            return false;
        }

        // Withdraw first: from here until the new admission the job is in no region's queue, never in two. Refused when
        // the region has started the job meanwhile, or run it already: its notices then say so.
        var from = _grains.Region(fromRegion);
        if (!await from.WithdrawForMoveAsync(Id))
        {
            return false;
        }

        var job = Record.Request!;
        var now = _clock.Now;
        var spec = DomainMapping.ToSpec(Id, job, _residency.Current.Policy);
        var transfer = _megaregion.TransferTime(spec.DatasetRegion, targetRegion, spec.DatasetSizeGb);

        // What the committed row still says: if anything below fails, the job goes back where the row names it.
        var restore = new AdmitRequest
        {
            JobId = Id,
            Job = job,
            SubmittedAt = Record.SubmittedAt,
            DataReadyAt = Record.DataReadyAt ?? now,
            OverAllocation = JobEventKinds.IsOverAllocation(Record.History),
        };
        var target = _grains.Region(targetRegion);
        var before = AuditState();
        AdmitResult admit;
        try
        {
            admit = await target.TryAdmitAsync(new AdmitRequest
            {
                JobId = Id,
                Job = job,
                SubmittedAt = Record.SubmittedAt,
                DataReadyAt = now + TimeSpan.FromSeconds(transfer),
                OverAllocation = restore.OverAllocation,
            });
        }
        catch (Exception)
        {
            // No answer (e.g. a timeout): the target may hold it or not. Make sure it does not, then go back.
            await CompensateAsync(targetRegion);
            await RestoreAsync(fromRegion, restore);
            throw;
        }

        if (admit.Admitted)
        {
            var moved = string.Create(CultureInfo.InvariantCulture, $"moved from {fromRegion} to {targetRegion}: {reason}; dataset transfer {transfer:F1} s");
            SetPlaced(targetRegion, admit.State, now, now + TimeSpan.FromSeconds(transfer), moved, Record.Placement, admit.ExpectedStart);
            Record.AddEvent(now, JobEventKinds.Overflowed, targetRegion, moved, residency: admit.Residency);
            Audit(AuditActions.JobMove, before, moved + ResidencyWords(admit.Residency));
            if (admit.State == JobState.Running)
            {
                Record.AddStarted(Record.StartedAt!.Value, targetRegion, admit.AcceleratorType);
            }

            await WriteOrCompensateAsync(targetRegion, fromRegion, restore);
            _instruments.Moved(fromRegion, targetRegion);
            _reports.JobMoved(fromRegion, targetRegion, transfer > 0 ? spec.DatasetSizeGb : 0);
            return true;
        }

        // The target refused (its state changed since the plan): go back, or be placed anew.
        var back = await from.TryAdmitAsync(restore);
        if (back.Admitted)
        {
            if (back.State == JobState.Running)
            {
                var started = back.ExpectedStart ?? now;
                Record.State = JobState.Running;
                Record.StartedAt = started;
                Record.AddStarted(started, fromRegion, back.AcceleratorType);
            }

            Record.QueuedAt = now;

            // Back where the row names it: a failed write leaves the region and the row agreeing.
            await WriteOrCompensateAsync(fromRegion, fromRegion, restore);
            return false;
        }

        var outcome = await _grains.Router.PlaceAsync(Id, job, Record.SubmittedAt, null);
        ApplyPlacement(outcome, now, fromRegion, JobEventKinds.Requeued);
        Audit(AuditActions.JobMove, before, $"{targetRegion} refused the move from {fromRegion} ({reason}); {PlacementWords(outcome)}");
        await WriteOrCompensateAsync(outcome.Placed ? outcome.Region : null, fromRegion, restore);
        return outcome.Placed && !string.Equals(outcome.Region, fromRegion, StringComparison.Ordinal);
    }
}

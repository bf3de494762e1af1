using System.Runtime.CompilerServices;
using Federation.Contracts;
using Federation.Grains.Diagnostics;

namespace Federation.Grains.Jobs;

/// <summary>
/// The write path that keeps the row and the regions in agreement: a region only reserves at admission, the job commits
/// its row and then confirms; a write that fails is read back, compensated (the admitting region drops the job) or, when
/// the row cannot be read, marked so that the next call reads it first. A job never answers from memory it could not
/// confirm.
/// </summary>
public sealed partial class JobGrain
{
    // Set when a write failed and the row could not be read back: memory may then hold a transition the store
    // never committed, so the next call reads the row before it answers anything (an acknowledgement must never
    // come from uncommitted memory).
    private bool _reloadNeeded;

    // A region told to drop the job while the outcome of the write was unknown (it failed and the row could not
    // be read back), and the region the job was put back in meanwhile: if the row read later shows the write had
    // committed, the job is re-admitted where the row names it (see ReloadAsync).
    private string? _droppedIn;
    private string? _restoredIn;

    /// <summary>
    /// Commits the new state after an admission in <paramref name="admittedIn"/>, then confirms it to that region,
    /// which only then runs the job. When the write fails, the row is read back: if the write did commit (its
    /// answer was lost), that is success. Otherwise the region that admitted the job is told to drop it (nothing
    /// acknowledged, nothing run), and for a move the job is put back in <paramref name="restoreIn"/>, where the
    /// committed row still names it.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteOrCompensateAsync(string? admittedIn, string? restoreIn = null, AdmitRequest? restore = null)
    {
        var attempted = (Record.State, Record.Region, Record.History.Count, Record.History.Count > 0 ? Record.History[^1].At : default);
        try
        {
            await WriteRowAsync();
        }
        catch (Exception ex)
        {
            if (await TryReloadAsync() && attempted == (Record.State, Record.Region, Record.History.Count, Record.History.Count > 0 ? Record.History[^1].At : default))
            {
                GrainsLog.WriteCommittedDespiteError(_logger, Id);
                await ConfirmAsync(admittedIn);
                return;
            }

            if (admittedIn is not null && !string.Equals(admittedIn, restoreIn, StringComparison.Ordinal))
            {
                GrainsLog.WriteFailedCompensated(_logger, ex, Id, admittedIn);
                if (_reloadNeeded)
                {
                    _droppedIn = admittedIn;
                    _restoredIn = restore is null ? null : restoreIn;
                }

                await CompensateAsync(admittedIn);
                if (restoreIn is not null && restore is not null)
                {
                    await RestoreAsync(restoreIn, restore);
                }
            }

            throw;
        }

        await ConfirmAsync(admittedIn);
    }

    /// <summary>
    /// Tells <paramref name="regionId"/> that the committed row names it, so it may run the job. Only ever after a
    /// commit (or a read of the row) that says so. A failure is not the caller's: the row is committed, and the
    /// region checks unconfirmed admissions against the rows after a deadline.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ConfirmAsync(string? regionId)
    {
        if (regionId is null || !IsHeldBy(regionId))
        {
            return;
        }

        try
        {
            await _grains.Region(regionId).ConfirmAsync(Id, Record.State == JobState.Running);
        }
        catch (Exception ex)
        {
            GrainsLog.ConfirmFailed(_logger, ex, Id, regionId);
        }
    }

    /// <summary>Makes sure <paramref name="regionId"/> neither queues nor runs this job.</summary>
    private async Task CompensateAsync(string regionId)
    {
        var region = _grains.Region(regionId);
        if (!await region.WithdrawAsync(Id))
        {
            await region.StopAsync(Id);
        }
    }

    /// <summary>
    /// Puts the job back in the region its committed row names (queued), after a move that did not commit, and
    /// confirms it there when the row is known (read back) to name it; when it is not, the region's deadline check
    /// reads the row. If it starts there at once, the region tells the job with a start notice, as for any start
    /// its row does not record.
    /// </summary>
    private async Task RestoreAsync(string regionId, AdmitRequest restore)
    {
        var back = await _grains.Region(regionId).TryAdmitAsync(restore);
        if (!back.Admitted)
        {
            GrainsLog.RestoreFailed(_logger, Id, regionId, back.RefusedBecause ?? "refused");
            return;
        }

        // The row names the region, queued: if the job started there at once, the confirmation brings a start notice
        // (committed after this call, which fails with the move's error). Unread, the region's deadline check reads it.
        if (!_reloadNeeded)
        {
            await ConfirmAsync(regionId);
        }
    }

    /// <summary>Commits the state; when the write fails, memory is put back to the row (or marked to be) before the error goes on.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask CommitAsync()
    {
        try
        {
            await WriteRowAsync();
        }
        catch (Exception)
        {
            await TryReloadAsync();
            throw;
        }
    }

    /// <summary>Writes the row with the audit entries of its change (in its transaction), which are then done with, written or not.</summary>
    private async ValueTask WriteRowAsync()
    {
        try
        {
            await _state.WriteStateAsync();
        }
        finally
        {
            Record.PendingAudit.Clear();
        }
    }

    /// <summary>Reads the row back after a failed write; false (and read again before the next call) when the store cannot answer.</summary>
    private async Task<bool> TryReloadAsync()
    {
        try
        {
            await _state.ReadStateAsync();
            _reloadNeeded = false;
            return true;
        }
        catch (Exception ex)
        {
            _reloadNeeded = true;
            GrainsLog.ReloadFailed(_logger, ex, Id);
            return false;
        }
    }

    /// <summary>
    /// Reads the row again (the store failed earlier). If a region was told to drop the job while the write's
    /// outcome was unknown and the row shows that write committed after all, the job is re-admitted there (and
    /// taken out of the region it was put back in), so that the row and the regions agree again.
    /// </summary>
    private async Task ReloadAsync()
    {
        await _state.ReadStateAsync();
        _reloadNeeded = false;
        if (_droppedIn is not { } dropped)
        {
            return;
        }

        var restored = _restoredIn;
        _droppedIn = null;
        _restoredIn = null;
        if (!IsHeldBy(dropped))
        {
            return;
        }

        if (restored is not null && !string.Equals(restored, dropped, StringComparison.Ordinal))
        {
            await CompensateAsync(restored);
        }

        var now = _clock.Now;
        var job = Record.Request!;
        var region = _grains.Region(dropped);
        var admit = await region.TryAdmitAsync(new AdmitRequest
        {
            JobId = Id,
            Job = job,
            SubmittedAt = Record.SubmittedAt,
            DataReadyAt = Record.DataReadyAt ?? now,
            OverAllocation = JobEventKinds.IsOverAllocation(Record.History),
        });
        Record.AddEvent(now, JobEventKinds.Requeued, dropped, $"re-admitted in {dropped}: its last write had committed although it reported a failure", residency: admit.Residency);
        if (!admit.Admitted)
        {
            var outcome = await _grains.Router.PlaceAsync(Id, job, Record.SubmittedAt, dropped);
            ApplyPlacement(outcome, now, dropped, JobEventKinds.Requeued);
            await WriteOrCompensateAsync(outcome.Placed ? outcome.Region : null);
            return;
        }

        SetPlaced(dropped, admit.State, now, Record.DataReadyAt ?? now, Record.Reason, Record.Placement, admit.ExpectedStart);
        if (admit.State == JobState.Running)
        {
            Record.AddStarted(Record.StartedAt!.Value, dropped, admit.AcceleratorType);
        }

        await WriteOrCompensateAsync(dropped);
    }

    /// <summary>
    /// A job keeps nothing in memory between calls: once a call has committed what it changed, the activation is
    /// released, and the next call (a notice from a region, a read, a cancel) activates it again from its row. A job
    /// spends nearly all its life waiting (queued for minutes to days, running for hours): activations kept through
    /// that wait would make a silo's memory, and the work of every garbage collection, grow with the jobs in the
    /// megaregion instead of with the calls in flight. Not released while a failed write left memory that must first be
    /// checked against the row (<see cref="_reloadNeeded"/>).
    /// </summary>
    private void ReleaseActivation()
    {
        if (!_reloadNeeded)
        {
            DeactivateOnIdle();
        }
    }

    /// <summary>Whether the committed state has the job queued or running in <paramref name="regionId"/>.</summary>
    private bool IsHeldBy(string regionId) => Record.IsActive && string.Equals(Record.Region, regionId, StringComparison.Ordinal);
}

using Federation.Contracts;
using Federation.Grains.Diagnostics;

namespace Federation.Grains.Regions;

/// <summary>
/// The region's outbox of notices to jobs (started, what the backend says, finished, released, reclaiming, preempted). A start and a
/// reclaim are questions: the
/// job commits it and answers, and only then does the region hand the job to its executor (<see cref="OnStartAnswered"/>) or send
/// its checkpoint signal (<see cref="OnReclaimRecorded"/>). A notice is sent without the region
/// waiting for it (the region never awaits a job inside one of its turns), but it is not forgotten when it
/// fails: a job whose row could not be written (the store is down, the call timed out) would otherwise keep
/// a row that says Running while the region has freed it, for ever. Notices to one job go one at a time, in
/// the order the region sent them, and the head is retried with backoff until the job's handler returns:
/// the job has then committed it, or ignored it as stale (its handlers are idempotent by state checks).
/// Only the job ids with a notice in flight are held; a deactivation or crash loses the outbox, and the
/// rebuild from job rows reconciles instead (a lagging Running row is re-attached and ends again).
/// </summary>
public sealed partial class RegionGrain
{
    private readonly Dictionary<string, Queue<Notice>> _outbox = new(StringComparer.Ordinal);
    private readonly Stack<Queue<Notice>> _spareQueues = new();

    private enum NoticeKind
    {
        Started,
        Finished,
        Released,
        Report,
        Preempted,
        Reclaiming,
    }

    /// <summary>Asks the job to record the start of <paramref name="entry"/>; the entry runs on the job's answer (<see cref="OnStartAnswered"/>).</summary>
    private void AskToStart(Entry entry)
    {
        GrainsLog.StartAsked(_logger, Id, entry.JobId, entry.StartedAt);
        Send(entry.JobId, new Notice(NoticeKind.Started, entry.StartedAt, entry, ""));
    }

    private void NotifyFinished(string jobId, RunEnd end) =>
        Send(jobId, new Notice(NoticeKind.Finished, end.At, end, end.Message));

    private void NotifyReleased(string jobId, string reason) =>
        Send(jobId, new Notice(NoticeKind.Released, default, null, reason));

    private void NotifyPreempted(string jobId, RunPreempted preempted) =>
        Send(jobId, new Notice(NoticeKind.Preempted, preempted.At, preempted, ""));

    private void NotifyReport(string jobId, BackendReport report) =>
        Send(jobId, new Notice(NoticeKind.Report, report.At, report, report.Message));

    private void Send(string jobId, Notice notice)
    {
        if (_outbox.TryGetValue(jobId, out var pending))
        {
            // Behind a notice to the same job that is in flight or waiting for a retry: order is kept.
            pending.Enqueue(notice);
            return;
        }

        var queue = _spareQueues.Count > 0 ? _spareQueues.Pop() : new Queue<Notice>(2);
        queue.Enqueue(notice);
        _outbox.Add(jobId, queue);
        _deliveries.Started();
        _ = DeliverAsync(jobId, queue);
    }

    /// <summary>
    /// Forgets the notices not yet delivered to a job that asked this region to drop it (withdraw, stop): they
    /// describe an admission the job gave up (e.g. its write failed), and one arriving after the job was placed
    /// here again (the client's retry) would be taken for news of the new admission — an end of the old run
    /// completing the new one. A notice already sent is ahead of any later call of that job, so it reaches the
    /// job before the job can be placed again; it is not retried.
    /// </summary>
    private void ForgetNotices(string jobId)
    {
        if (_outbox.Remove(jobId, out var queue))
        {
            // The loop delivering it sees the queue emptied and stops after its call in flight, if any.
            queue.Clear();
        }
    }

    /// <summary>Delivers the job's notices in order; runs on the activation between its turns, never as one of them.</summary>
    private async Task DeliverAsync(string jobId, Queue<Notice> queue)
    {
        var failures = 0;
        while (queue.Count > 0)
        {
            var notice = queue.Peek();
            try
            {
                await CallAsync(jobId, notice);
                if (queue.Count == 0)
                {
                    break;
                }

                queue.Dequeue();
                if (failures > 0)
                {
                    GrainsLog.NoticeDelivered(_logger, Id, jobId, Describe(notice.Kind), failures);
                    failures = 0;
                }
            }
            catch (Exception ex)
            {
                failures++;
                if (failures == 1)
                {
                    GrainsLog.NotifyFailed(_logger, ex, Id, jobId, Describe(notice.Kind));
                }

                await Task.Delay(RetryDelay(failures), _runtimeTime);
            }
        }

        // Forgotten meanwhile (the id may map to a newer queue by now): leave that one alone.
        if (_outbox.TryGetValue(jobId, out var current) && ReferenceEquals(current, queue))
        {
            _outbox.Remove(jobId);
        }

        _spareQueues.Push(queue);
        _deliveries.Finished();
    }

    private async Task CallAsync(string jobId, Notice notice)
    {
        var job = _grains.Job(jobId);
        if (notice.Kind == NoticeKind.Started)
        {
            var entry = (Entry)notice.Payload!;
            OnStartAnswered(entry, await job.OnStartedAsync(Id, notice.At, _baseModel.Pools[entry.Pool].Type));
            return;
        }

        if (notice.Kind == NoticeKind.Reclaiming)
        {
            var entry = (Entry)notice.Payload!;
            OnReclaimRecorded(entry, await job.OnReclaimingAsync(Id, ToReclaim(entry)));
            return;
        }

        await (notice.Kind switch
        {
            NoticeKind.Finished => job.OnFinishedAsync(Id, (RunEnd)notice.Payload!),
            NoticeKind.Report => job.OnBackendReportAsync(Id, (BackendReport)notice.Payload!),
            NoticeKind.Preempted => job.OnPreemptedAsync(Id, (RunPreempted)notice.Payload!),
            _ => job.OnReleasedAsync(Id, notice.Message),
        });
    }

    /// <summary>
    /// The job answered a start: run the entry from the start its row records, or drop it (never run) when the row does
    /// not have it here. Nothing is done when the entry is no longer the one asked about (withdrawn, stopped, admitted
    /// again meanwhile) or already runs.
    /// </summary>
    private void OnStartAnswered(Entry entry, DateTimeOffset? runFrom)
    {
        if (!_entries.TryGetValue(entry.JobId, out var current) || !ReferenceEquals(current, entry) || !entry.Running || entry.Executing)
        {
            return;
        }

        if (runFrom is not { } start)
        {
            Remove(entry);
            RunSchedule();
            return;
        }

        entry.StartedAt = start;
        StartExecution(entry);
    }

    private TimeSpan RetryDelay(int failures)
    {
        var ms = _options.FirstNoticeRetryDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 16));
        return TimeSpan.FromMilliseconds(Math.Min(ms, _options.MaxNoticeRetryDelay.TotalMilliseconds));
    }

    private static string Describe(NoticeKind kind) => kind switch
    {
        NoticeKind.Started => "started",
        NoticeKind.Finished => "finished",
        NoticeKind.Report => "backend report",
        NoticeKind.Preempted => "preempted",
        NoticeKind.Reclaiming => "reclaiming",
        _ => "released",
    };

    private async Task ObserveAsync(Task call, string jobId, string what)
    {
        try
        {
            await call;
        }
        catch (Exception ex)
        {
            GrainsLog.NotifyFailed(_logger, ex, Id, jobId, what);
        }
    }

    /// <summary>A notice: its kind, when, what it carries (the <see cref="Entry"/> for Started and Reclaiming, <see cref="RunEnd"/> for Finished, <see cref="BackendReport"/> for Report, <see cref="RunPreempted"/> for Preempted) and its words.</summary>
    private readonly record struct Notice(NoticeKind Kind, DateTimeOffset At, object? Payload, string Message);
}

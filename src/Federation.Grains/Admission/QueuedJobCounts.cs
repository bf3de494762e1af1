using System.Collections.Concurrent;
using Federation.Contracts;
using Federation.Grains.Diagnostics;
using Federation.Grains.Jobs;
using Federation.Storage.Jobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Federation.Grains.Admission;

/// <summary>
/// The cap on queued jobs per project (<see cref="AdmissionOptions.MaxQueuedJobsPerProject"/>), counted across regions
/// from the job rows, so a silo that dies takes nothing of the count with it. Each silo keeps, per project, the count
/// the rows gave at its last read plus the submissions it has taken since (reserved, then committed); a count older than
/// <see cref="AdmissionOptions.CountRefresh"/> is read again before it is used, and a refusal is always judged on a fresh
/// read (one the submission started, or one already under way when it came: concurrent submissions share a read). So a
/// project can exceed the cap only by what other silos admitted for it since this silo's read (at most
/// one refresh interval of their submissions), and is refused early only by submissions that committed while the count
/// was being read (counted twice until the next read). Jobs that leave the queue (start, cancel, fail) are seen at the
/// next read.
/// </summary>
public sealed class QueuedJobCounts
{
    private readonly ConcurrentDictionary<string, ProjectCount> _projects = new(StringComparer.Ordinal);
    private readonly IJobQuery _rows;
    private readonly IOptionsMonitor<AdmissionOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<QueuedJobCounts> _logger;

    public QueuedJobCounts(IJobQuery rows, IOptionsMonitor<AdmissionOptions> options, TimeProvider time, ILogger<QueuedJobCounts> logger)
    {
        _rows = rows;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>The cap (0 = none).</summary>
    public int Cap => _options.CurrentValue.MaxQueuedJobsPerProject;

    /// <summary>
    /// Reserves a place for one more queued job of <paramref name="project"/>: null when it fits under the cap (the caller
    /// then calls <see cref="Committed"/> or <see cref="Release"/>), else why not.
    /// </summary>
    public async ValueTask<string?> TryReserveAsync(string project)
    {
        ArgumentNullException.ThrowIfNull(project);
        var cap = Cap;
        if (cap <= 0)
        {
            return null;
        }

        var count = _projects.GetOrAdd(project, static _ => new ProjectCount());
        var readForThis = false;
        bool fresh;
        lock (count)
        {
            fresh = count.Read && _time.GetElapsedTime(count.ReadAt) < _options.CurrentValue.CountRefresh;
        }

        if (!fresh)
        {
            await ReadAsync(project, count);
            readForThis = true;
        }

        while (true)
        {
            lock (count)
            {
                if (count.Estimate < cap)
                {
                    count.Pending++;
                    return null;
                }
            }

            if (readForThis)
            {
                return $"project '{project}' has {count.Estimate} queued jobs, the most one project may have queued (Federation:Admission:MaxQueuedJobsPerProject = {cap}); submit again once some have started or been cancelled";
            }

            await ReadAsync(project, count);
            readForThis = true;
        }
    }

    /// <summary>The reserved job's row committed it queued.</summary>
    public void Committed(string project)
    {
        if (_projects.TryGetValue(project, out var count))
        {
            lock (count)
            {
                count.Pending = Math.Max(0, count.Pending - 1);
                count.CommittedSinceRead++;
            }
        }
    }

    /// <summary>The reserved job was not queued (it started at once, failed, or its write failed).</summary>
    public void Release(string project)
    {
        if (_projects.TryGetValue(project, out var count))
        {
            lock (count)
            {
                count.Pending = Math.Max(0, count.Pending - 1);
            }
        }
    }

    /// <summary>
    /// Reads the project's queued count from the rows. Concurrent callers share one read: each read takes the commits it
    /// may contain out of <see cref="ProjectCount.CommittedSinceRead"/> once, so two reads overlapping must not both do it.
    /// Throws only when the rows cannot be read and there is no earlier count to go on.
    /// </summary>
    private Task ReadAsync(string project, ProjectCount count)
    {
        TaskCompletionSource done;
        int before;
        lock (count)
        {
            if (count.Reading is { } reading)
            {
                return reading;
            }

            done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            count.Reading = done.Task;
            before = count.CommittedSinceRead;
        }

        _ = ReadRowsAsync(project, count, before, done);
        return done.Task;
    }

    private async Task ReadRowsAsync(string project, ProjectCount count, int before, TaskCompletionSource done)
    {
        try
        {
            var page = await _rows.ListAsync(JobState.Queued, null, project, null, JobRowOrder.Id, 1, null).ConfigureAwait(false);
            lock (count)
            {
                // Commits during the read may be in the rows' count too: they stay counted (early refusal, never late).
                count.FromRows = page.Total;
                count.CommittedSinceRead -= before;
                count.ReadAt = _time.GetTimestamp();
                count.Read = true;
                count.Reading = null;
            }

            done.SetResult();
        }
        catch (Exception ex)
        {
            bool hadCount;
            lock (count)
            {
                count.Reading = null;
                hadCount = count.Read;
            }

            if (hadCount)
            {
                GrainsLog.QueuedCountFailed(_logger, ex, project);
                done.SetResult();
            }
            else
            {
                done.SetException(ex);
            }
        }
    }

    private sealed class ProjectCount
    {
        public int FromRows;
        public int CommittedSinceRead;
        public int Pending;
        public long ReadAt;
        public bool Read;

        /// <summary>The read in flight, which callers arriving meanwhile wait for instead of starting their own.</summary>
        public Task? Reading;

        public int Estimate => FromRows + CommittedSinceRead + Pending;
    }
}

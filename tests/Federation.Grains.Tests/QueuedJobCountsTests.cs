using System.Collections.Immutable;
using Federation.Contracts;
using Federation.Grains.Admission;
using Federation.Grains.Jobs;
using Federation.Storage.Jobs;
using Federation.TestKit;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Federation.Grains.Tests;

/// <summary>
/// The per-project cap on queued jobs as one silo counts it: the rows' count at its last read plus what it committed
/// since. Reads are held on a gate, so what overlaps a read is exact.
/// </summary>
public sealed class QueuedJobCountsTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Submissions_that_arrive_while_a_read_is_under_way_share_it_and_commits_are_not_taken_off_twice()
    {
        var time = new ManualTimeProvider();
        var rows = new GatedRows();
        var counts = Counts(rows, time, cap: 11);

        // First read: 5 queued. Three more commit on this silo.
        rows.Totals.Enqueue(5);
        Assert.Null(await counts.TryReserveAsync("p").AsTask().WaitAsync(Bound));
        counts.Committed("p");
        Assert.Null(await counts.TryReserveAsync("p").AsTask().WaitAsync(Bound));
        counts.Committed("p");
        Assert.Null(await counts.TryReserveAsync("p").AsTask().WaitAsync(Bound));
        counts.Committed("p");
        Assert.Equal(1, rows.Reads);

        // The count goes stale; four submissions come while its next read is held. The rows then hold the 8.
        time.Advance(TimeSpan.FromSeconds(2));
        rows.Hold();
        var waiting = Enumerable.Range(0, 4).Select(_ => counts.TryReserveAsync("p").AsTask()).ToArray();
        await rows.Started.WaitAsync(Bound);
        rows.Totals.Enqueue(8);
        rows.Release();
        var answers = await Task.WhenAll(waiting).WaitAsync(Bound);

        // One read for all four; 8 + 3 reserved reach the cap of 11, and the fourth is refused on a read made for it.
        Assert.Equal(3, answers.Count(a => a is null));
        var refusal = Assert.Single(answers, a => a is not null);
        Assert.StartsWith("project 'p' has 11 queued jobs, the most one project may have queued", refusal, StringComparison.Ordinal);
        Assert.Equal(2, rows.Reads);
    }

    [Fact]
    public async Task A_read_that_fails_with_no_count_before_it_fails_the_submission_and_the_next_reads_again()
    {
        var time = new ManualTimeProvider();
        var rows = new GatedRows { Failing = true };
        var counts = Counts(rows, time, cap: 2);

        await Assert.ThrowsAsync<InvalidOperationException>(() => counts.TryReserveAsync("p").AsTask().WaitAsync(Bound));

        rows.Failing = false;
        rows.Totals.Enqueue(1);
        Assert.Null(await counts.TryReserveAsync("p").AsTask().WaitAsync(Bound));
        counts.Committed("p");

        // With a count to go on, a failed read keeps it: 1 read + 1 committed reach the cap of 2.
        time.Advance(TimeSpan.FromSeconds(2));
        rows.Failing = true;
        var refusal = await counts.TryReserveAsync("p").AsTask().WaitAsync(Bound);
        Assert.StartsWith("project 'p' has 2 queued jobs", refusal, StringComparison.Ordinal);
    }

    private static QueuedJobCounts Counts(IJobQuery rows, TimeProvider time, int cap) =>
        new(rows, new FixedOptions(new AdmissionOptions { MaxQueuedJobsPerProject = cap, CountRefresh = TimeSpan.FromSeconds(1) }), time, NullLogger<QueuedJobCounts>.Instance);

    /// <summary>Rows whose count is whatever the test queued next; a read can be held until released.</summary>
    private sealed class GatedRows : IJobQuery
    {
        private TaskCompletionSource? _gate;
        private TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _reads;

        public Queue<int> Totals { get; } = new();

        public bool Failing { get; set; }

        public int Reads => Volatile.Read(ref _reads);

        /// <summary>Completes when a held read has begun.</summary>
        public Task Started => _started.Task;

        public void Hold()
        {
            _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        public void Release() => _gate!.SetResult();

        public async Task<JobPage> ListAsync(JobState? state, string? region, string? project, string? owner, JobRowOrder order, int limit, string? after, CancellationToken cancellationToken = default)
        {
            Assert.Equal(JobState.Queued, state);
            Interlocked.Increment(ref _reads);
            if (_gate is { } gate)
            {
                _started.TrySetResult();
                await gate.Task;
                _gate = null;
            }

            if (Failing)
            {
                throw new InvalidOperationException("the rows cannot be read");
            }

            lock (Totals)
            {
                return new JobPage(ImmutableArray<JobSnapshot>.Empty, Totals.Dequeue(), null);
            }
        }
    }

    private sealed class FixedOptions(AdmissionOptions value) : IOptionsMonitor<AdmissionOptions>
    {
        public AdmissionOptions CurrentValue => value;

        public AdmissionOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<AdmissionOptions, string?> listener) => null;
    }
}

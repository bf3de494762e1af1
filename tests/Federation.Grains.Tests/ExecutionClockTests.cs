using Federation.Grains.Execution;
using Federation.Grains.Hosting;
using Federation.TestKit;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Federation.Grains.Tests;

/// <summary>
/// A callback on the execution clock stands for something that must happen (a job's end, data that arrived, a rebalancing
/// round): one that fails (its grain call failed while a silo went down) runs again until it succeeds, and stops when its
/// handle is disposed or the clock stops. Retries wait on the host's clock (milliseconds here); the clock's
/// <see cref="ExecutionClock.WhenIdleAsync"/> is the barrier, since a callback stays in flight while it retries.
/// </summary>
public sealed class ExecutionClockTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_callback_that_fails_runs_again_until_it_succeeds()
    {
        var (time, clock) = Clock();
        using var _ = clock;
        var calls = 0;
        clock.At(time.GetUtcNow() + TimeSpan.FromMinutes(1), _ => ++calls <= 2 ? Task.FromException(new TimeoutException("call failed")) : Task.CompletedTask, 0);

        time.Advance(TimeSpan.FromMinutes(1));
        await clock.WhenIdleAsync().WaitAsync(Bound);

        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task A_failing_callback_stops_running_once_its_handle_is_disposed()
    {
        var (time, clock) = Clock();
        using var _ = clock;
        var calls = 0;
        var failedOnce = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handle = clock.At(time.GetUtcNow() + TimeSpan.FromMinutes(1), _ =>
        {
            Interlocked.Increment(ref calls);
            failedOnce.TrySetResult();
            return Task.FromException(new TimeoutException("call failed"));
        }, 0);

        time.Advance(TimeSpan.FromMinutes(1));
        await failedOnce.Task.WaitAsync(Bound);
        handle.Dispose();
        await clock.WhenIdleAsync().WaitAsync(Bound);

        // At most the run in flight when it was disposed: after it, the next failure ends the retries.
        Assert.InRange(Volatile.Read(ref calls), 1, 2);
    }

    [Fact]
    public async Task A_callback_months_away_is_scheduled_on_the_real_clock_and_one_due_sooner_still_fires()
    {
        // A runtime timer takes at most ~49.7 days: a job of a year's duration (the longest a request may ask) must not
        // make scheduling throw, nor the re-arm after an earlier callback (which runs on the timer's thread).
        var options = Options.Create(new FederationGrainsOptions());
        using var clock = new ExecutionClock(options, TimeProvider.System, NullLogger<ExecutionClock>.Instance);
        var far = clock.At(clock.Now + TimeSpan.FromDays(365), _ => Task.CompletedTask, 0);
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        clock.At(clock.Now + TimeSpan.FromMilliseconds(20), _ =>
        {
            fired.TrySetResult();
            return Task.CompletedTask;
        }, 0);

        await fired.Task.WaitAsync(Bound);
        far.Dispose();
    }

    [Fact]
    public async Task A_callback_further_away_than_a_timer_reaches_fires_at_its_time()
    {
        var (time, clock) = Clock();
        using var _ = clock;
        var due = time.GetUtcNow() + TimeSpan.FromDays(200);
        DateTimeOffset? firedAt = null;
        clock.At(due, _ =>
        {
            firedAt = time.GetUtcNow();
            return Task.CompletedTask;
        }, 0);

        time.Advance(TimeSpan.FromDays(199));
        await clock.WhenIdleAsync().WaitAsync(Bound);
        Assert.Null(firedAt);

        time.Advance(TimeSpan.FromDays(1));
        await clock.WhenIdleAsync().WaitAsync(Bound);
        Assert.Equal(due, firedAt);
    }

    private static (ManualTimeProvider Time, ExecutionClock Clock) Clock()
    {
        var time = new ManualTimeProvider();
        var options = Options.Create(new FederationGrainsOptions
        {
            ExecutionClock = time,
            FirstNoticeRetryDelay = TimeSpan.FromMilliseconds(1),
            MaxNoticeRetryDelay = TimeSpan.FromMilliseconds(5),
        });
        return (time, new ExecutionClock(options, TimeProvider.System, NullLogger<ExecutionClock>.Instance));
    }
}

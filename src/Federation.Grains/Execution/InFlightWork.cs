namespace Federation.Grains.Execution;

/// <summary>
/// Counts pieces of work that started and have not finished, and tells when none is left: the barrier a test (or a
/// graceful stop) awaits instead of polling. Thread-safe.
/// </summary>
public sealed class InFlightWork
{
    private readonly Lock _gate = new();
    private int _count;
    private TaskCompletionSource? _idle;

    /// <summary>Pieces of work started and not finished.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>A piece of work starts.</summary>
    public void Enter()
    {
        lock (_gate)
        {
            _count++;
        }
    }

    /// <summary>A piece of work that <see cref="Enter"/> counted has finished.</summary>
    public void Exit()
    {
        TaskCompletionSource? idle = null;
        lock (_gate)
        {
            if (--_count == 0)
            {
                idle = _idle;
                _idle = null;
            }
        }

        idle?.TrySetResult();
    }

    /// <summary>Completes when no piece of work is in flight (work that starts later is not waited for).</summary>
    public Task WhenIdleAsync()
    {
        lock (_gate)
        {
            if (_count == 0)
            {
                return Task.CompletedTask;
            }

            _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _idle.Task;
        }
    }
}

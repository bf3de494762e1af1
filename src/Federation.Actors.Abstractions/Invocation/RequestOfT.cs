using System.Threading.Tasks.Sources;

namespace Federation.Actors.Invocation;

/// <summary>
/// A request whose caller awaits a <typeparamref name="TResult"/> (methods returning Task or
/// ValueTask use <see cref="object"/> and ignore it). The request is its own
/// <see cref="IValueTaskSource{TResult}"/> and returns to its pool once the caller read the result.
/// </summary>
public abstract class Request<TResult> : Request, IValueTaskSource<TResult>, IValueTaskSource
{
    private ManualResetValueTaskSourceCore<TResult> _core;
    private TResult _result = default!;
    private Action<object?>? _postedContinuation;
    private object? _postedState;
    private SynchronizationContext? _postedTo;

    public ValueTask<TResult> AsValueTask() => new(this, _core.Version);

    public ValueTask AsVoidValueTask() => new(this, _core.Version);

    public Task<TResult> AsTask() => AsValueTask().AsTask();

    public Task AsVoidTask() => AsVoidValueTask().AsTask();

    /// <summary>Called by the generated invoke with the (copied) return value.</summary>
    protected void SetResult(TResult result) => _result = result;

    protected override void OnCompleted(Exception? error)
    {
        if ((Flags & InvokeFlags.OneWay) != 0)
        {
            // Nobody awaits a one-way call: the runtime's completion is the last use.
            Recycle();
            return;
        }

        if (error is null)
        {
            _core.SetResult(_result);
        }
        else
        {
            _core.SetException(error);
        }
    }

    /// <summary>Clears argument fields so a pooled request does not keep objects alive.</summary>
    protected abstract void ClearArguments();

    protected abstract void ReturnToPool();

    TResult IValueTaskSource<TResult>.GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            Recycle();
        }
    }

    void IValueTaskSource.GetResult(short token)
    {
        try
        {
            _core.GetResult(token);
        }
        finally
        {
            Recycle();
        }
    }

    ValueTaskSourceStatus IValueTaskSource<TResult>.GetStatus(short token) => _core.GetStatus(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<TResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        OnCompleted(continuation, state, token, flags);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        OnCompleted(continuation, state, token, flags);

    /// <summary>
    /// A caller awaiting on a synchronization context (a grain awaiting another grain: the activation is its context)
    /// gets its continuation posted back with this request as the state of one static callback. Left to
    /// <see cref="ManualResetValueTaskSourceCore{TResult}"/>, every such post allocated a delegate; the request lives
    /// until the continuation has read the result, so it can carry the continuation there itself.
    /// </summary>
    private void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        if ((flags & ValueTaskSourceOnCompletedFlags.UseSchedulingContext) != 0
            && SynchronizationContext.Current is { } context
            && context.GetType() != typeof(SynchronizationContext))
        {
            _postedContinuation = continuation;
            _postedState = state;
            _postedTo = context;
            _core.OnCompleted(PostToContext, this, token, flags & ~ValueTaskSourceOnCompletedFlags.UseSchedulingContext);
            return;
        }

        _core.OnCompleted(continuation, state, token, flags);
    }

    private static readonly Action<object?> PostToContext = static r => ((Request<TResult>)r!).Post();

    private static readonly SendOrPostCallback RunPosted = static r => ((Request<TResult>)r!).RunPostedContinuation();

    private void Post() => _postedTo!.Post(RunPosted, this);

    private void RunPostedContinuation()
    {
        // Read and clear first: the continuation reads the result, which returns this request to its pool.
        var continuation = _postedContinuation!;
        var state = _postedState;
        _postedContinuation = null;
        _postedState = null;
        _postedTo = null;
        continuation(state);
    }

    private void Recycle()
    {
        if (IsAbandoned)
        {
            return;
        }

        _result = default!;
        ClearArguments();
        _core.Reset();
        ResetCompletion();
        ReturnToPool();
    }
}

namespace Federation.Actors.Invocation;

/// <summary>
/// The body of a grain call, generated per interface method: the arguments as fields and a typed
/// invoke that calls the implementation directly. The caller awaits the same object (it is the
/// completion source) and it is pooled, so a call that completes allocates nothing the generated
/// code could avoid. Completion is one-shot: whichever of result, error or timeout comes first wins.
/// </summary>
public abstract class Request : IInvokable
{
    private const int Pending = 0;
    private const int Completed = 1;

    private int _state;
    private bool _abandoned;

    public abstract string InterfaceName { get; }

    public abstract string MethodName { get; }

    public abstract int MethodId { get; }

    public abstract InvokeFlags Flags { get; }

    public virtual TimeSpan? ResponseTimeout => null;

    public abstract int ArgumentCount { get; }

    /// <summary>Runtime use: the envelope the runtime keeps with this (pooled) request, so it is not allocated per call.</summary>
    public object? RuntimeSlot { get; set; }

    public bool IsCompleted => Volatile.Read(ref _state) != Pending;

    /// <summary>True once a timed-out request can no longer be recycled: the callee may still hold it.</summary>
    protected bool IsAbandoned => Volatile.Read(ref _abandoned);

    public abstract object? GetArgument(int index);

    public abstract void SetArgument(int index, object? value);

    /// <summary>Invokes the method on the grain instance; the result is kept until <see cref="TryComplete"/>.</summary>
    public abstract ValueTask InvokeAsync(object grain);

    /// <summary>Completes the caller with the kept result. False if the call already completed (for example timed out).</summary>
    public bool TryComplete()
    {
        if (Interlocked.CompareExchange(ref _state, Completed, Pending) != Pending)
        {
            return false;
        }

        OnCompleted(null);
        return true;
    }

    /// <summary>Completes the caller with an error. False if the call already completed.</summary>
    public bool TryFail(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (Interlocked.CompareExchange(ref _state, Completed, Pending) != Pending)
        {
            return false;
        }

        OnCompleted(error);
        return true;
    }

    /// <summary>
    /// Claims the completion of a call the callee may still be running (a timeout): the request is never
    /// recycled afterwards, so the callee's late completion is ignored. Claiming and signalling are
    /// separate so the runtime can claim under its lock and run the caller's continuation outside it.
    /// </summary>
    public bool TryClaimAbandoned()
    {
        if (Interlocked.CompareExchange(ref _state, Completed, Pending) != Pending)
        {
            return false;
        }

        Volatile.Write(ref _abandoned, true);
        return true;
    }

    /// <summary>Signals the caller of a request claimed by <see cref="TryClaimAbandoned"/>.</summary>
    public void CompleteAbandoned(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        OnCompleted(error);
    }

    protected abstract void OnCompleted(Exception? error);

    /// <summary>Makes the request reusable; called by the pool owner once nobody holds it.</summary>
    protected void ResetCompletion() => Volatile.Write(ref _state, Pending);

    public override string ToString() => $"{InterfaceName}.{MethodName}";
}

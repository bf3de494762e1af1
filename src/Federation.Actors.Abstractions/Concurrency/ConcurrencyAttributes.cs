namespace Federation.Actors.Concurrency;

/// <summary>Turns of different requests to this grain class may interleave (never run in parallel).</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class ReentrantAttribute : Attribute
{
}

/// <summary>This interface method is admitted even while the activation is busy with any other request.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class AlwaysInterleaveAttribute : Attribute
{
}

/// <summary>This interface method does not change state: read-only requests may overlap each other.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ReadOnlyAttribute : Attribute
{
}

/// <summary>
/// Fire and forget: the call completes once the request is accepted for sending and the callee's
/// exceptions are not returned. Only on methods returning non-generic Task or ValueTask.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class OneWayAttribute : Attribute
{
}

/// <summary>
/// Names a predicate <c>bool Name(IInvokable request)</c> (static or instance) on the grain class; a
/// request may interleave when the predicate is true for it or for the request currently blocking.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class MayInterleaveAttribute : Attribute
{
    public MayInterleaveAttribute(string callbackMethodName)
    {
        CallbackMethodName = callbackMethodName;
    }

    public string CallbackMethodName { get; }
}

/// <summary>
/// A pool of up to <see cref="MaxLocalWorkers"/> activations per silo (≤ 0 means the processor count),
/// with no directory entry. Idle workers are removed unless <see cref="RemoveIdleWorkers"/> is false.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class StatelessWorkerAttribute : Attribute
{
    public StatelessWorkerAttribute()
        : this(-1)
    {
    }

    public StatelessWorkerAttribute(int maxLocalWorkers)
        : this(maxLocalWorkers, true)
    {
    }

    public StatelessWorkerAttribute(int maxLocalWorkers, bool removeIdleWorkers)
    {
        MaxLocalWorkers = maxLocalWorkers;
        RemoveIdleWorkers = removeIdleWorkers;
    }

    public int MaxLocalWorkers { get; }

    public bool RemoveIdleWorkers { get; }
}

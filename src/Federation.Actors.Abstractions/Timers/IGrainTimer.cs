namespace Federation.Actors;

/// <summary>A timer owned by one activation.</summary>
public interface IGrainTimer : IDisposable
{
    /// <summary>Reschedules: the next tick after <paramref name="dueTime"/>, then every <paramref name="period"/> from completion.</summary>
    void Change(TimeSpan dueTime, TimeSpan period);
}

/// <summary>How a grain timer runs.</summary>
public readonly record struct GrainTimerCreationOptions
{
    public GrainTimerCreationOptions(TimeSpan dueTime, TimeSpan period)
    {
        DueTime = dueTime;
        Period = period;
    }

    /// <summary>Zero fires at once; Infinite leaves the timer paused.</summary>
    public TimeSpan DueTime { get; init; }

    /// <summary>Measured from the completion of the previous tick; Infinite fires once.</summary>
    public TimeSpan Period { get; init; }

    /// <summary>When true, ticks interleave with running requests (the pre-8.2 Orleans behaviour).</summary>
    public bool Interleave { get; init; }

    /// <summary>When true, a tick counts as activity and keeps the activation from idle collection.</summary>
    public bool KeepAlive { get; init; }
}

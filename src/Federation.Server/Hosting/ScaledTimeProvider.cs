namespace Federation.Server.Hosting;

/// <summary>
/// Simulated time that runs <see cref="Scale"/> times faster than an inner clock: from the moment it is
/// created, one wall second is <see cref="Scale"/> simulated seconds, and a timer due in a simulated hour
/// fires after an hour / <see cref="Scale"/> of inner time. Used for <c>--time-scale</c> so jobs that take
/// hours finish in seconds. <see cref="ResumeAt"/> moves the simulated origin forward at start, so simulated
/// time continues from where a previous process on the same store left it (<see cref="ExecutionClockKeeper"/>).
/// </summary>
public sealed class ScaledTimeProvider : TimeProvider
{
    private readonly TimeProvider _inner;
    private readonly long _originTimestamp;

    // Swapped whole, so a reader never pairs one origin's inner time with another's simulated time.
    private Anchor _anchor;

    public ScaledTimeProvider(TimeProvider inner, double scale)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (double.IsNaN(scale) || scale <= 0 || double.IsInfinity(scale))
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "The time scale must be a finite number > 0.");
        }

        _inner = inner;
        Scale = scale;
        var now = inner.GetUtcNow();
        _anchor = new Anchor(now, now);
        _originTimestamp = inner.GetTimestamp();
    }

    /// <summary>Simulated seconds per inner second.</summary>
    public double Scale { get; }

    public override TimeZoneInfo LocalTimeZone => _inner.LocalTimeZone;

    public override long TimestampFrequency => _inner.TimestampFrequency;

    /// <summary>How far simulated time is ahead of the inner clock now.</summary>
    public TimeSpan AheadOfInner => GetUtcNow() - _inner.GetUtcNow();

    public override DateTimeOffset GetUtcNow()
    {
        var anchor = Volatile.Read(ref _anchor);
        var elapsed = _inner.GetUtcNow() - anchor.Inner;
        return anchor.Simulated + TimeSpan.FromTicks(checked((long)(elapsed.Ticks * Scale)));
    }

    /// <summary>
    /// Makes simulated time <paramref name="simulatedNow"/> at the inner clock's current instant, running at
    /// <see cref="Scale"/> from there. Timestamps and timers already armed are unaffected: both measure spans.
    /// </summary>
    public void ResumeAt(DateTimeOffset simulatedNow) => Volatile.Write(ref _anchor, new Anchor(_inner.GetUtcNow(), simulatedNow));

    /// <summary>
    /// Makes simulated time <paramref name="simulated"/> at the inner clock's instant <paramref name="inner"/> (past or
    /// future), running at <see cref="Scale"/> through it: silos that share one anchor share one simulated time.
    /// </summary>
    public void AnchorAt(DateTimeOffset inner, DateTimeOffset simulated) => Volatile.Write(ref _anchor, new Anchor(inner, simulated));

    public override long GetTimestamp() => _originTimestamp + (long)((_inner.GetTimestamp() - _originTimestamp) * Scale);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        new ScaledTimer(_inner.CreateTimer(callback, state, ToInner(dueTime), ToInner(period)), this);

    /// <summary>The inner-clock span that lasts <paramref name="simulated"/> of simulated time.</summary>
    public TimeSpan ToInner(TimeSpan simulated)
    {
        if (simulated == Timeout.InfiniteTimeSpan || simulated <= TimeSpan.Zero)
        {
            return simulated;
        }

        // Never round a positive period down to zero: a zero period would mean "fire once" to a timer.
        return TimeSpan.FromTicks(Math.Max(1, (long)(simulated.Ticks / Scale)));
    }

    private sealed record Anchor(DateTimeOffset Inner, DateTimeOffset Simulated);

    private sealed class ScaledTimer : ITimer
    {
        private readonly ITimer _inner;
        private readonly ScaledTimeProvider _owner;

        public ScaledTimer(ITimer inner, ScaledTimeProvider owner)
        {
            _inner = inner;
            _owner = owner;
        }

        public bool Change(TimeSpan dueTime, TimeSpan period) => _inner.Change(_owner.ToInner(dueTime), _owner.ToInner(period));

        public void Dispose() => _inner.Dispose();

        public ValueTask DisposeAsync() => _inner.DisposeAsync();
    }
}

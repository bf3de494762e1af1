namespace Federation.Actors;

/// <summary>
/// The activation whose turn is running on this thread. Set by the runtime's turn scheduler for the
/// duration of each turn; null outside grain code. Also carries the activation being constructed, so
/// the <see cref="Grain"/> constructor can bind to it.
/// </summary>
public static class RuntimeContext
{
    [ThreadStatic]
    private static IGrainContext? _current;

    [ThreadStatic]
    private static IGrainContext? _constructing;

    public static IGrainContext? Current => _current;

    /// <summary>Runtime use: sets the current context and returns the previous one.</summary>
    public static IGrainContext? SetCurrent(IGrainContext? context)
    {
        var previous = _current;
        _current = context;
        return previous;
    }

    /// <summary>Runtime use: the activation whose grain instance is being constructed on this thread.</summary>
    public static IGrainContext? Constructing
    {
        get => _constructing;
        set => _constructing = value;
    }
}

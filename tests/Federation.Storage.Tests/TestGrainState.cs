using Orleans;

namespace Federation.Storage.Tests;

/// <summary>
/// The state box a grain hands its storage, as Orleans' <c>GrainState&lt;T&gt;</c> but with a non-null state: every
/// provider under test sets a fresh instance where it has none, and a test reads it without a null check each time.
/// </summary>
public sealed class TestGrainState<T> : IGrainState<T>
    where T : class
{
    public TestGrainState(T state, string? eTag = null)
    {
        State = state;
        ETag = eTag;
    }

    public T State { get; set; }

    [System.Diagnostics.CodeAnalysis.AllowNull]
    T IGrainState<T>.State
    {
        get => State;
        set => State = value ?? throw new InvalidOperationException($"A provider set a null {typeof(T).Name} state.");
    }

    public string? ETag { get; set; }

    public bool RecordExists { get; set; }
}

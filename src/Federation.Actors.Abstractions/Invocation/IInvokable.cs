namespace Federation.Actors.Invocation;

/// <summary>How a request may be scheduled; taken from the interface method's attributes.</summary>
[Flags]
public enum InvokeFlags
{
    None = 0,

    /// <summary>Fire and forget: no response, callee exceptions are not returned.</summary>
    OneWay = 1,

    /// <summary>May overlap other read-only requests.</summary>
    ReadOnly = 2,

    /// <summary>Admitted even while the activation is busy; never becomes the blocking request.</summary>
    AlwaysInterleave = 4,
}

/// <summary>
/// A request to one grain method: the interface and method identity, the scheduling flags and the
/// arguments. <c>[MayInterleave]</c> predicates and call filters see requests through this interface.
/// </summary>
public interface IInvokable
{
    /// <summary>The full name of the grain interface that declares the method.</summary>
    string InterfaceName { get; }

    string MethodName { get; }

    /// <summary>The method's wire id: its <c>[Id]</c>, else a stable hash of the signature.</summary>
    int MethodId { get; }

    InvokeFlags Flags { get; }

    /// <summary>A per-method timeout from <c>[ResponseTimeout]</c>, else null (the silo's default applies).</summary>
    TimeSpan? ResponseTimeout { get; }

    int ArgumentCount { get; }

    object? GetArgument(int index);

    void SetArgument(int index, object? value);
}

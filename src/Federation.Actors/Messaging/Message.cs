using Federation.Actors.Invocation;

namespace Federation.Actors.Messaging;

/// <summary>Message header flags.</summary>
[Flags]
public enum MessageFlags
{
    None = 0,

    /// <summary>No response is expected.</summary>
    OneWay = 1,

    /// <summary>May overlap other read-only requests.</summary>
    ReadOnly = 2,

    /// <summary>Admitted even while the activation is busy.</summary>
    AlwaysInterleave = 4,

    /// <summary>A local-only system message (a timer tick): never forwarded, never sent to another silo.</summary>
    LocalOnly = 8,

    /// <summary>Does not count as activity for idle collection (a timer tick without KeepAlive).</summary>
    NotActivity = 16,
}

/// <summary>
/// The one envelope every grain call travels in: target, interface and method, the request body
/// (arguments), request context, call-chain id, deadline and flags. All of it is plain data a
/// transport can serialize; nothing here is a delegate. The envelope is kept with its pooled
/// request (in <see cref="Request.RuntimeSlot"/>) so a local call allocates none.
/// </summary>
public sealed class Message
{
    internal Message(Request body)
    {
        Body = body;
        InvokeCompleted = OnInvokeCompleted;
    }

    public GrainId TargetGrain { get; private set; }

    public string InterfaceName => Body.InterfaceName;

    public int MethodId => Body.MethodId;

    /// <summary>The request object: its fields are the arguments.</summary>
    public Request Body { get; }

    public RequestContextData? RequestContext { get; private set; }

    public Guid CallChainId { get; private set; }

    /// <summary>The caller's deadline as a <see cref="TimeProvider"/> timestamp; <see cref="long.MaxValue"/> for none.</summary>
    public long DeadlineTimestamp { get; private set; }

    /// <summary>The timeout the deadline was computed from, for the error message.</summary>
    public TimeSpan Timeout { get; private set; }

    public MessageFlags Flags { get; private set; }

    /// <summary>How often the message was re-routed after its activation went away.</summary>
    public int ForwardCount { get; internal set; }

    /// <summary>When the message was sent (timestamp), for the latency histogram.</summary>
    internal long SentTimestamp { get; private set; }

    // Local execution state, not part of the wire form.
    internal ValueTask PendingInvoke { get; set; }

    internal Catalog.ActivationData? ExecutingOn { get; set; }

    internal Action InvokeCompleted { get; }

    public bool IsOneWay => (Flags & MessageFlags.OneWay) != 0;

    public bool IsReadOnly => (Flags & MessageFlags.ReadOnly) != 0;

    public bool IsAlwaysInterleave => (Flags & MessageFlags.AlwaysInterleave) != 0;

    public bool IsLocalOnly => (Flags & MessageFlags.LocalOnly) != 0;

    internal static Message For(Request body) => body.RuntimeSlot as Message ?? CreateFor(body);

    internal void Initialize(GrainId target, RequestContextData? context, long sent, long deadline, TimeSpan timeout, MessageFlags extraFlags = MessageFlags.None)
    {
        TargetGrain = target;
        RequestContext = context;
        CallChainId = context?.CallChainId ?? Guid.Empty;
        SentTimestamp = sent;
        DeadlineTimestamp = deadline;
        Timeout = timeout;
        Flags = ToMessageFlags(Body.Flags) | extraFlags;
        ForwardCount = 0;
        ExecutingOn = null;
        PendingInvoke = default;
    }

    public override string ToString() => $"{InterfaceName}.{Body.MethodName} -> {TargetGrain}";

    private static Message CreateFor(Request body)
    {
        var message = new Message(body);
        body.RuntimeSlot = message;
        return message;
    }

    private static MessageFlags ToMessageFlags(InvokeFlags flags)
    {
        var result = MessageFlags.None;
        if ((flags & InvokeFlags.OneWay) != 0)
        {
            result |= MessageFlags.OneWay;
        }

        if ((flags & InvokeFlags.ReadOnly) != 0)
        {
            result |= MessageFlags.ReadOnly;
        }

        if ((flags & InvokeFlags.AlwaysInterleave) != 0)
        {
            result |= MessageFlags.AlwaysInterleave;
        }

        return result;
    }

    private void OnInvokeCompleted() => ExecutingOn?.OnInvokeCompleted(this);
}

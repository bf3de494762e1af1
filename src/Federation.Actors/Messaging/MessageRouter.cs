using Federation.Actors.Catalog;
using Federation.Actors.Invocation;

namespace Federation.Actors.Messaging;

/// <summary>
/// The one send path. Builds the envelope (target, request, request context and its call-chain id,
/// deadline, flags) and hands it to the local catalog. A reference caches the activation it resolved
/// to and re-resolves once that activation is gone.
/// </summary>
internal sealed class MessageRouter : IGrainReferenceRuntime
{
    private readonly SiloRuntime _runtime;
    private readonly Catalog.Catalog _catalog;
    private readonly long _defaultTimeoutTicks;
    private readonly TimeSpan _defaultTimeout;

    public MessageRouter(SiloRuntime runtime, Catalog.Catalog catalog)
    {
        _runtime = runtime;
        _catalog = catalog;
        _defaultTimeout = runtime.Messaging.ResponseTimeout;
        _defaultTimeoutTicks = (long)(_defaultTimeout.TotalSeconds * runtime.TimeProvider.TimestampFrequency);
    }

    public IGrainFactory GrainFactory => _runtime.GrainFactory;

    public void Send(GrainReference target, Request request)
    {
        var message = Message.For(request);
        var now = _runtime.Now;
        long deadline;
        TimeSpan timeout;
        if ((request.Flags & InvokeFlags.OneWay) != 0)
        {
            deadline = long.MaxValue;
            timeout = Timeout.InfiniteTimeSpan;
        }
        else if (request.ResponseTimeout is { } custom)
        {
            deadline = _runtime.After(custom);
            timeout = custom;
        }
        else
        {
            deadline = now + _defaultTimeoutTicks;
            timeout = _defaultTimeout;
        }

        message.Initialize(target.GrainId, RequestContext.CurrentData, now, deadline, timeout);
        switch (target.RuntimeCache)
        {
            case ActivationData cached when cached.TryEnqueue(message):
                return;
            case StatelessWorkerGroup group:
                group.Deliver(message);
                return;
        }

        target.RuntimeCache = _catalog.Deliver(message);
    }
}

using Federation.Actors.Concurrency;
using Federation.Actors.Invocation;
using Federation.Actors.Tests.Support;

namespace Federation.Actors.Tests.Grains;

public interface IConcurrencyGrain : IGrainWithStringKey
{
    /// <summary>Signals "started-{id}", waits <paramref name="delay"/> of (fake) time, returns the start time.</summary>
    Task<DateTimeOffset> Wait(string id, TimeSpan delay);

    [AlwaysInterleave]
    Task<DateTimeOffset> WaitInterleaved(string id, TimeSpan delay);

    [ReadOnly]
    Task ReadHold(string id);

    Task WriteHold(string id);

    /// <summary>Waits <paramref name="delay"/>, then performs its side effect (a counter) once.</summary>
    Task<int> SideEffectAfter(TimeSpan delay);
}

public sealed class ConcurrencyGrain : Grain, IConcurrencyGrain
{
    private readonly Probe _probe;
    private readonly TimeProvider _time;

    public ConcurrencyGrain(Probe probe, TimeProvider time)
    {
        _probe = probe;
        _time = time;
    }

    public Task<DateTimeOffset> Wait(string id, TimeSpan delay) => WaitCore(id, delay);

    public Task<DateTimeOffset> WaitInterleaved(string id, TimeSpan delay) => WaitCore(id, delay);

    public async Task ReadHold(string id)
    {
        _probe.Signal("started-" + id);
        await _probe.WaitAsync("release-" + id);
    }

    public async Task WriteHold(string id)
    {
        _probe.Signal("started-" + id);
        await _probe.WaitAsync("release-" + id);
    }

    public async Task<int> SideEffectAfter(TimeSpan delay)
    {
        _probe.Signal("side-effect-started");
        await Task.Delay(delay, _time);
        return _probe.Increment("side-effect");
    }

    private async Task<DateTimeOffset> WaitCore(string id, TimeSpan delay)
    {
        var start = _time.GetUtcNow();
        _probe.Set("start-" + id, start);
        var delayTask = Task.Delay(delay, _time);
        _probe.Signal("started-" + id);
        await delayTask;
        _probe.Signal("done-" + id);
        return start;
    }
}

public interface IReentrantGrain : IGrainWithStringKey
{
    Task Work(int segments);

    Task Hold(string id);

    Task<(int MaxInTurn, int MaxInFlight)> Stats();
}

[Reentrant]
public sealed class ReentrantGrain : Grain, IReentrantGrain
{
    private readonly Probe _probe;
    private int _inTurn;
    private int _maxInTurn;
    private int _inFlight;
    private int _maxInFlight;

    public ReentrantGrain(Probe probe)
    {
        _probe = probe;
    }

    public async Task Work(int segments)
    {
        _maxInFlight = Math.Max(_maxInFlight, Interlocked.Increment(ref _inFlight));
        for (var i = 0; i < segments; i++)
        {
            var inTurn = Interlocked.Increment(ref _inTurn);
            _maxInTurn = Math.Max(_maxInTurn, inTurn);
            Thread.SpinWait(200);
            Interlocked.Decrement(ref _inTurn);
            await Task.Yield();
        }

        Interlocked.Decrement(ref _inFlight);
    }

    public async Task Hold(string id)
    {
        _probe.Signal("started-" + id);
        await _probe.WaitAsync("release-" + id);
        _probe.Log("finished " + id);
    }

    public Task<(int MaxInTurn, int MaxInFlight)> Stats() => Task.FromResult((_maxInTurn, _maxInFlight));
}

public interface IDeadlockAGrain : IGrainWithStringKey
{
    Task CallBThenBack(string bKey);

    Task CallBThenBackReentrant(string bKey);

    Task CallBHoldingReentrant(string bKey, string barrier);

    Task<string> Ping();
}

public interface IDeadlockBGrain : IGrainWithStringKey
{
    Task CallA(IDeadlockAGrain a);

    Task CallAAfter(IDeadlockAGrain a, string barrier);
}

public sealed class DeadlockAGrain : Grain, IDeadlockAGrain
{
    private readonly Probe _probe;

    public DeadlockAGrain(Probe probe)
    {
        _probe = probe;
    }

    public Task CallBThenBack(string bKey) => GrainFactory.GetGrain<IDeadlockBGrain>(bKey).CallA(this.AsReference<IDeadlockAGrain>());

    public async Task CallBThenBackReentrant(string bKey)
    {
        using var scope = RequestContext.AllowCallChainReentrancy();
        await GrainFactory.GetGrain<IDeadlockBGrain>(bKey).CallA(this.AsReference<IDeadlockAGrain>());
    }

    public async Task CallBHoldingReentrant(string bKey, string barrier)
    {
        using var scope = RequestContext.AllowCallChainReentrancy();
        await GrainFactory.GetGrain<IDeadlockBGrain>(bKey).CallAAfter(this.AsReference<IDeadlockAGrain>(), barrier);
    }

    public Task<string> Ping()
    {
        _probe.Increment("a-ping");
        return Task.FromResult("pong");
    }
}

public sealed class DeadlockBGrain : Grain, IDeadlockBGrain
{
    private readonly Probe _probe;

    public DeadlockBGrain(Probe probe)
    {
        _probe = probe;
    }

    public async Task CallA(IDeadlockAGrain a)
    {
        _probe.Signal("b-calling-a");
        await a.Ping();
    }

    public async Task CallAAfter(IDeadlockAGrain a, string barrier)
    {
        _probe.Signal("b-holding");
        await _probe.WaitAsync(barrier);
        await a.Ping();
    }
}

public interface IMayInterleaveGrain : IGrainWithStringKey
{
    Task Hold(string mode, string id);
}

[MayInterleave(nameof(ArgIsInterleave))]
public sealed class MayInterleaveGrain : Grain, IMayInterleaveGrain
{
    private readonly Probe _probe;

    public MayInterleaveGrain(Probe probe)
    {
        _probe = probe;
    }

    public static bool ArgIsInterleave(IInvokable request) =>
        request.ArgumentCount > 0 && request.GetArgument(0) is string mode && mode == "interleave";

    public async Task Hold(string mode, string id)
    {
        _probe.Signal("started-" + id);
        await _probe.WaitAsync("release-" + id);
    }
}

public interface IWorkerGrain : IGrainWithIntegerKey
{
    Task<Guid> Hold(string id);
}

[StatelessWorker(2)]
public sealed class WorkerGrain : Grain, IWorkerGrain
{
    private readonly Probe _probe;

    public WorkerGrain(Probe probe)
    {
        _probe = probe;
        probe.Increment("worker-ctor");
    }

    public async Task<Guid> Hold(string id)
    {
        if (id.Length > 0)
        {
            _probe.Signal("started-" + id);
            await _probe.WaitAsync("release-" + id);
        }

        return GrainContext.ActivationId;
    }
}

using System.Collections.Concurrent;

namespace Federation.Actors.AdoNet.Tests.EndToEnd;

/// <summary>Counts reminder ticks across hosts and lets a test await the n-th one.</summary>
public sealed class TickProbe
{
    private readonly ConcurrentDictionary<int, TaskCompletionSource> _ticks = new();

    public void Ticked(int count) => Signal(count).TrySetResult();

    public Task WaitForTickAsync(int count) => Signal(count).Task.WaitAsync(TimeSpan.FromSeconds(30));

    private TaskCompletionSource Signal(int count) => _ticks.GetOrAdd(count, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}

public sealed record CounterState
{
    public int Value { get; init; }

    public int Ticks { get; init; }
}

public interface IDurableCounterGrain : IGrainWithStringKey, IRemindable
{
    Task<int> Increment();

    /// <summary>The value the state held when OnActivateAsync ran.</summary>
    Task<int> ValueSeenOnActivate();

    Task<int> Ticks();

    Task StartTicking(TimeSpan due, TimeSpan period);
}

public sealed class DurableCounterGrain : Grain, IDurableCounterGrain
{
    private readonly IPersistentState<CounterState> _state;
    private readonly TickProbe _probe;
    private int _seenOnActivate = -1;

    public DurableCounterGrain([PersistentState("counter")] IPersistentState<CounterState> state, TickProbe probe)
    {
        _state = state;
        _probe = probe;
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _seenOnActivate = _state.State.Value;
        return Task.CompletedTask;
    }

    public async Task<int> Increment()
    {
        _state.State = _state.State with { Value = _state.State.Value + 1 };
        await _state.WriteStateAsync();
        return _state.State.Value;
    }

    public Task<int> ValueSeenOnActivate() => Task.FromResult(_seenOnActivate);

    public Task<int> Ticks() => Task.FromResult(_state.State.Ticks);

    public Task StartTicking(TimeSpan due, TimeSpan period) => RegisterOrUpdateReminder("tick", due, period);

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        _state.State = _state.State with { Ticks = _state.State.Ticks + 1 };
        await _state.WriteStateAsync();
        _probe.Ticked(_state.State.Ticks);
    }
}

using Federation.Actors.Concurrency;
using Federation.Actors.Tests.Support;

namespace Federation.Actors.Tests.Grains;

public interface ITimerGrain : IGrainWithStringKey
{
    /// <summary>A 10 s timer whose callback takes 5 s; start times go to the probe log.</summary>
    Task StartSlowTimer();

    Task StartCountingTimer(TimeSpan due, TimeSpan period);

    Task StartCancellableTimer();

    Task Hold(string barrier);

    [AlwaysInterleave]
    Task Deactivate();
}

public sealed class TimerGrain : Grain, ITimerGrain
{
    private readonly Probe _probe;
    private readonly TimeProvider _time;

    public TimerGrain(Probe probe, TimeProvider time)
    {
        _probe = probe;
        _time = time;
    }

    public Task StartSlowTimer()
    {
        RegisterGrainTimer(async ct =>
        {
            var n = _probe.Increment("slow-ticks");
            _probe.Log($"start {(_time.GetUtcNow() - TestKit.ManualTimeProvider.DefaultStart).TotalSeconds}");
            var delay = Task.Delay(TimeSpan.FromSeconds(5), _time, ct);
            _probe.Signal("slow-tick-" + n);
            await delay;
            _probe.Log($"end {(_time.GetUtcNow() - TestKit.ManualTimeProvider.DefaultStart).TotalSeconds}");
        }, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));
        return Task.CompletedTask;
    }

    public Task StartCountingTimer(TimeSpan due, TimeSpan period)
    {
        RegisterGrainTimer(ct =>
        {
            var n = _probe.Increment("ticks");
            _probe.Signal("tick-" + n);
            return Task.CompletedTask;
        }, due, period);
        return Task.CompletedTask;
    }

    public Task StartCancellableTimer()
    {
        RegisterGrainTimer(async ct =>
        {
            _probe.Increment("cancellable-ticks");
            _probe.Signal("cancellable-started");
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, _time, ct);
            }
            catch (OperationCanceledException)
            {
                _probe.Signal("cancellable-cancelled");
            }
        }, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        return Task.CompletedTask;
    }

    public async Task Hold(string barrier)
    {
        _probe.Signal(barrier + "-holding");
        await _probe.WaitAsync(barrier);
    }

    public Task Deactivate()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _probe.Signal("deactivated-" + GrainId.Key);
        return Task.CompletedTask;
    }
}

public interface IReminderGrain : IGrainWithStringKey, IRemindable
{
    Task Register(string name, TimeSpan due, TimeSpan period);

    Task Unregister(string name);

    Task<int> ReminderCount();

    [AlwaysInterleave]
    Task Deactivate();
}

public sealed class ReminderGrain : Grain, IReminderGrain
{
    private readonly Probe _probe;

    public ReminderGrain(Probe probe)
    {
        _probe = probe;
        probe.Increment("reminder-ctor-" + GrainId.Key);
    }

    public async Task Register(string name, TimeSpan due, TimeSpan period) => await RegisterOrUpdateReminder(name, due, period);

    public async Task Unregister(string name)
    {
        var reminder = await GetReminder(name);
        if (reminder is not null)
        {
            await UnregisterReminder(reminder);
        }
    }

    public async Task<int> ReminderCount() => (await GetReminders()).Count;

    public Task Deactivate()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        var n = _probe.Increment("ticks-" + GrainId.Key);
        _probe.Log($"{GrainId.Key} {reminderName} {(status.CurrentTickTime - TestKit.ManualTimeProvider.DefaultStart.UtcDateTime).TotalMinutes}");
        _probe.Signal($"tick-{GrainId.Key}-{n}");
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _probe.Signal("deactivated-" + GrainId.Key);
        return Task.CompletedTask;
    }
}

using Federation.Actors.Concurrency;
using Federation.Actors.Tests.Support;

namespace Federation.Actors.Tests.Grains;

public sealed class ProfileState
{
    public string? Name { get; set; }

    public int Version { get; set; }
}

public interface IStatefulGrain : IGrainWithStringKey
{
    Task<string?> GetName();

    Task SetName(string name);

    Task<Guid> GetActivationId();
}

public sealed class StatefulGrain : Grain, IStatefulGrain
{
    private readonly IPersistentState<ProfileState> _profile;
    private readonly Probe _probe;

    public StatefulGrain([PersistentState("profile")] IPersistentState<ProfileState> profile, Probe probe)
    {
        _profile = profile;
        _probe = probe;
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // What OnActivateAsync sees is what storage held: the state was read first.
        _probe.Set("on-activate-name-" + GrainId.Key, _profile.State.Name);
        _probe.Set("on-activate-exists-" + GrainId.Key, _profile.RecordExists);
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _probe.Set("deactivation-reason-" + GrainId.Key, reason.ReasonCode);
        _probe.Signal("deactivated-" + GrainId.Key);
        return Task.CompletedTask;
    }

    public Task<string?> GetName() => Task.FromResult(_profile.State.Name);

    public async Task SetName(string name)
    {
        _profile.State.Name = name;
        await _profile.WriteStateAsync();
    }

    public Task<Guid> GetActivationId() => Task.FromResult(GrainContext.ActivationId);
}

public interface ILifecycleGrain : IGrainWithStringKey
{
    Task<Guid> Run();
}

/// <summary>Fails activation while the probe's "fail-{key}" counter is positive; waits in OnActivateAsync for keys starting "slow".</summary>
public sealed class LifecycleGrain : Grain, ILifecycleGrain
{
    private readonly Probe _probe;

    public LifecycleGrain(Probe probe)
    {
        _probe = probe;
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = GrainId.Key;
        _probe.Increment("activations-" + key);
        if (_probe.Count("fail-" + key) > _probe.Count("failed-" + key))
        {
            _probe.Increment("failed-" + key);
            throw new GrainTestException("activation failed on purpose");
        }

        if (key.StartsWith("slow", StringComparison.Ordinal))
        {
            _probe.Signal("activating-" + key);
            await _probe.WaitAsync("release-" + key);
            _probe.Log("activated");
        }
    }

    public Task<Guid> Run()
    {
        _probe.Log("run");
        _probe.Increment("runs-" + GrainId.Key);
        return Task.FromResult(GrainContext.ActivationId);
    }
}

public interface IDeactivatingGrain : IGrainWithStringKey
{
    Task<Guid> DeactivateAndHold(string barrier);

    Task<Guid> GetActivationId();
}

public sealed class DeactivatingGrain : Grain, IDeactivatingGrain
{
    private readonly Probe _probe;

    public DeactivatingGrain(Probe probe)
    {
        _probe = probe;
    }

    public async Task<Guid> DeactivateAndHold(string barrier)
    {
        DeactivateOnIdle();
        _probe.Signal(barrier + "-holding");
        await _probe.WaitAsync(barrier);
        return GrainContext.ActivationId;
    }

    public Task<Guid> GetActivationId() => Task.FromResult(GrainContext.ActivationId);

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _probe.Increment("on-deactivate-" + GrainId.Key);
        _probe.Signal("deactivated-" + GrainId.Key);
        return Task.CompletedTask;
    }
}

public interface IIdleGrain : IGrainWithStringKey, IRemindable
{
    Task Touch();

    Task DelayDeactivationFor(TimeSpan delay);

    Task StartTimerCalling(string targetKey, TimeSpan period);

    Task RegisterReminder(TimeSpan due, TimeSpan period);
}

public sealed class IdleGrain : Grain, IIdleGrain
{
    private readonly Probe _probe;

    public IdleGrain(Probe probe)
    {
        _probe = probe;
    }

    public Task Touch() => Task.CompletedTask;

    public Task DelayDeactivationFor(TimeSpan delay)
    {
        DelayDeactivation(delay);
        return Task.CompletedTask;
    }

    public Task StartTimerCalling(string targetKey, TimeSpan period)
    {
        var target = GrainFactory.GetGrain<IIdleGrain>(targetKey);
        RegisterGrainTimer(async ct =>
        {
            await target.Touch();
            _probe.Increment("outbound-" + GrainId.Key);
        }, new GrainTimerCreationOptions(period, period));
        return Task.CompletedTask;
    }

    public async Task RegisterReminder(TimeSpan due, TimeSpan period) => await RegisterOrUpdateReminder("keep", due, period);

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        _probe.Increment("reminder-" + GrainId.Key);
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _probe.Set("deactivated-at-" + GrainId.Key, reason);
        _probe.Signal("deactivated-" + GrainId.Key);
        return Task.CompletedTask;
    }
}

public interface IShortLivedGrain : IGrainWithStringKey
{
    Task Touch();
}

[CollectionAgeLimit(Minutes = 0.5)]
public sealed class ShortLivedGrain : Grain, IShortLivedGrain
{
    private readonly Probe _probe;

    public ShortLivedGrain(Probe probe)
    {
        _probe = probe;
    }

    public Task Touch() => Task.CompletedTask;

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _probe.Signal("deactivated-" + GrainId.Key);
        return Task.CompletedTask;
    }
}

public interface IHandOffGrain : IGrainWithStringKey
{
    Task DeactivateAndHold(string barrier);

    Task Record(string entry);
}

/// <summary>
/// A scoped service whose disposal (the last step of a deactivation, after the activation left the catalog) waits
/// on the probe barrier named "dispose-{key}" once "block-dispose" is set: it holds a deactivation open at that point.
/// </summary>
public sealed class BlockingScopedService(Probe probe) : IAsyncDisposable
{
    public string? Key { get; set; }

    public async ValueTask DisposeAsync()
    {
        if (Key is not null && probe.Get<bool>("block-dispose"))
        {
            probe.Signal("disposing-" + Key);
            await probe.WaitAsync("dispose-" + Key);
        }
    }
}

public sealed class HandOffGrain : Grain, IHandOffGrain
{
    private readonly Probe _probe;

    public HandOffGrain(Probe probe, BlockingScopedService scoped)
    {
        _probe = probe;
        scoped.Key = this.GetPrimaryKeyString();
    }

    public async Task DeactivateAndHold(string barrier)
    {
        DeactivateOnIdle();
        _probe.Signal(barrier + "-holding");
        await _probe.WaitAsync(barrier);
    }

    public Task Record(string entry)
    {
        _probe.Log(entry);
        return Task.CompletedTask;
    }
}

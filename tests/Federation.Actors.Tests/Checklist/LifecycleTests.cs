using Federation.Actors.Catalog;
using Federation.Actors.Configuration;
using Federation.Actors.Invocation;
using Federation.Actors.Storage;
using Federation.Actors.Tests.Grains;
using Federation.Actors.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Federation.Actors.Tests.Checklist;

/// <summary>Checklist items 10-16: activation, collection and deactivation.</summary>
public sealed class LifecycleTests
{
    [Fact]
    public async Task Checklist_10_StateIsLoadedBeforeOnActivateAsync()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var grain = silo.GrainFactory.GetGrain<IStatefulGrain>("preloaded");
        var storage = silo.Services.GetRequiredKeyedService<IGrainStorage>(StorageProviderNames.Default);
        await storage.WriteStateAsync("profile", grain.GetGrainId(), new GrainState<ProfileState>(new ProfileState { Name = "stored" }));

        Assert.Equal("stored", await grain.GetName());

        Assert.Equal("stored", probe.Get<string>("on-activate-name-preloaded"));
        Assert.True(probe.Get<bool>("on-activate-exists-preloaded"));
    }

    [Fact]
    public async Task Checklist_10_ThrowingOnActivateAsyncFailsTheCallAndTheNextCallRetries()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        probe.Increment("fail-flaky");
        var grain = silo.GrainFactory.GetGrain<ILifecycleGrain>("flaky");

        await Assert.ThrowsAsync<GrainTestException>(() => grain.Run());
        Assert.Equal(0, probe.Count("runs-flaky"));

        await grain.Run();
        Assert.Equal(2, probe.Count("activations-flaky"));
        Assert.Equal(1, probe.Count("runs-flaky"));
    }

    [Fact]
    public async Task Checklist_11_RequestsArrivingDuringOnActivateAsyncWaitForIt()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var grain = silo.GrainFactory.GetGrain<ILifecycleGrain>("slow-start");

        var first = grain.Run();
        await probe.WaitAsync("activating-slow-start");
        var second = grain.Run();
        await Eventually.TrueAsync(() => silo.Activation(grain)?.WaitingCount == 2, "both calls queued");

        Assert.False(first.IsCompleted);
        Assert.False(second.IsCompleted);
        Assert.Equal(0, probe.Count("runs-slow-start"));
        Assert.Equal(ActivationState.Activating, silo.Activation(grain)!.State);

        probe.Signal("release-slow-start");
        Assert.Equal(await first, await second);
        Assert.Equal(new[] { "activated", "run", "run" }, probe.Events);
    }

    [Fact]
    public async Task Checklist_12_IdleActivationIsCollectedOnTheScanAfterTheDefaultAge()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var grain = silo.GrainFactory.GetGrain<IIdleGrain>("idle");
        await grain.Touch();

        silo.Time.Advance(TimeSpan.FromMinutes(14));
        Assert.True(silo.IsActive(grain));
        silo.Time.Advance(TimeSpan.FromMinutes(1));
        await probe.WaitAsync("deactivated-idle");

        Assert.Equal(DeactivationReasonCode.ActivationIdle, probe.Get<DeactivationReason>("deactivated-at-idle").ReasonCode);
        Assert.Null(silo.Activation(grain));
    }

    [Fact]
    public async Task Checklist_12_OutboundCallsAndTimerTicksDoNotKeepAnActivationAlive()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var caller = silo.GrainFactory.GetGrain<IIdleGrain>("caller");
        var callee = silo.GrainFactory.GetGrain<IIdleGrain>("callee");
        await caller.StartTimerCalling("callee", TimeSpan.FromMinutes(2));

        for (var minute = 2; minute <= 14; minute += 2)
        {
            silo.Time.Advance(TimeSpan.FromMinutes(2));
            var expected = minute / 2;
            await Eventually.TrueAsync(() => probe.Count("outbound-caller") == expected && silo.Activation(caller)?.RunningCount == 0, "timer tick finished");
        }

        Assert.True(silo.IsActive(caller));
        silo.Time.Advance(TimeSpan.FromMinutes(1));
        await probe.WaitAsync("deactivated-caller");

        // The callee received a call at minute 14, so it is far from its age.
        Assert.True(silo.IsActive(callee));
    }

    [Fact]
    public async Task Checklist_12_InboundCallsAndReminderTicksKeepAnActivationAlive()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var called = silo.GrainFactory.GetGrain<IIdleGrain>("called");
        var reminded = silo.GrainFactory.GetGrain<IIdleGrain>("reminded");
        await called.Touch();
        await reminded.RegisterReminder(TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(10));

        silo.Time.Advance(TimeSpan.FromMinutes(10));
        await Eventually.TrueAsync(() => probe.Count("reminder-reminded") == 1 && silo.Activation(reminded)?.RunningCount == 0, "reminder tick delivered");
        await called.Touch();
        silo.Time.Advance(TimeSpan.FromMinutes(14));

        Assert.True(silo.IsActive(called));
        Assert.True(silo.IsActive(reminded));
        Assert.False(probe.IsSignaled("deactivated-called"));
        silo.Time.Advance(TimeSpan.FromMinutes(1));
        await probe.WaitAsync("deactivated-called");
    }

    [Fact]
    public async Task Checklist_13_CollectionAgeNotAboveQuantumIsRejectedAtStartup()
    {
        var probe = new Probe();
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => Silos.StartAsync(probe, b => b.Configure<GrainCollectionOptions>(o =>
        {
            o.CollectionAge = TimeSpan.FromMinutes(1);
            o.CollectionQuantum = TimeSpan.FromMinutes(1);
        })));

        Assert.Contains("CollectionAge", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Checklist_13_CollectionAgeLimitBelowOneMinuteIsClampedToOneMinute()
    {
        Assert.True(GrainMetadataRegistry.TryGetClass(typeof(ShortLivedGrain), out var metadata));
        Assert.Equal(TimeSpan.FromMinutes(1), metadata.CollectionAge);

        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var grain = silo.GrainFactory.GetGrain<IShortLivedGrain>("short");
        await grain.Touch();
        silo.Time.Advance(TimeSpan.FromSeconds(59));
        Assert.True(silo.IsActive(grain));
        silo.Time.Advance(TimeSpan.FromSeconds(1));
        await probe.WaitAsync("deactivated-short");
    }

    [Fact]
    public async Task Checklist_14_DelayDeactivationIsTheLaterOfDeadlineAndIdleAge()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var delayed = silo.GrainFactory.GetGrain<IIdleGrain>("delayed");
        var shortDelay = silo.GrainFactory.GetGrain<IIdleGrain>("short-delay");
        await delayed.DelayDeactivationFor(TimeSpan.FromMinutes(30));
        await shortDelay.DelayDeactivationFor(TimeSpan.FromMinutes(5));

        silo.Time.Advance(TimeSpan.FromMinutes(15));
        await probe.WaitAsync("deactivated-short-delay");
        Assert.True(silo.IsActive(delayed));
        silo.Time.Advance(TimeSpan.FromMinutes(14));
        Assert.True(silo.IsActive(delayed));
        silo.Time.Advance(TimeSpan.FromMinutes(1));
        await probe.WaitAsync("deactivated-delayed");
    }

    [Fact]
    public async Task Checklist_14_DelayDeactivationZeroCancelsTheDelay()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var grain = silo.GrainFactory.GetGrain<IIdleGrain>("cancelled-delay");
        await grain.DelayDeactivationFor(TimeSpan.FromMinutes(30));
        await grain.DelayDeactivationFor(TimeSpan.Zero);

        silo.Time.Advance(TimeSpan.FromMinutes(14));
        Assert.True(silo.IsActive(grain));
        silo.Time.Advance(TimeSpan.FromMinutes(1));
        await probe.WaitAsync("deactivated-cancelled-delay");
    }

    [Fact]
    public async Task Checklist_15_DeactivateOnIdleFinishesTheRequestAndSendsQueuedCallsToANewActivation()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var grain = silo.GrainFactory.GetGrain<IDeactivatingGrain>("leaving");
        var firstId = await grain.GetActivationId();

        var holding = grain.DeactivateAndHold("hold");
        await probe.WaitAsync("hold-holding");
        var queued = grain.GetActivationId();
        await Eventually.TrueAsync(() => silo.Activation(grain)?.WaitingCount == 1, "call queued behind the deactivating request");
        Assert.Equal(ActivationState.Deactivating, silo.Activation(grain)!.State);
        Assert.False(probe.IsSignaled("deactivated-leaving"));

        probe.Signal("hold");
        Assert.Equal(firstId, await holding);
        var secondId = await queued;

        Assert.NotEqual(firstId, secondId);
        Assert.Equal(1, probe.Count("on-deactivate-leaving"));
        Assert.Equal(secondId, await grain.GetActivationId());
    }

    [Fact]
    public async Task Checklist_15_CallsQueuedDuringDeactivationRunBeforeCallsSentAfterTheActivationLeftTheCatalog()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe, services: s => s.AddScoped<BlockingScopedService>());
        var grain = silo.GrainFactory.GetGrain<IHandOffGrain>("order");
        probe.Set("block-dispose", true);

        var holding = grain.DeactivateAndHold("hold");
        await probe.WaitAsync("hold-holding");
        var queued = grain.Record("queued during the deactivation");
        await Eventually.TrueAsync(() => silo.Activation(grain)?.WaitingCount == 1, "call queued behind the deactivating request");
        probe.Signal("hold");
        await holding;

        // The deactivation is past the catalog and holds in its scope's disposal: a call sent now (through a new
        // reference) must still run after the one that waited for the old activation.
        await probe.WaitAsync("disposing-order");
        var later = silo.GrainFactory.GetGrain<IHandOffGrain>("order").Record("sent after");
        probe.Set("block-dispose", false);
        probe.Signal("dispose-order");
        await Task.WhenAll(queued, later);

        Assert.Equal(["queued during the deactivation", "sent after"], probe.Events.Where(e => e is "queued during the deactivation" or "sent after"));
    }

    [Fact]
    public async Task Checklist_16_InconsistentStateExceptionDeactivatesTheActivation()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var grain = silo.GrainFactory.GetGrain<IStatefulGrain>("conflict");
        var firstId = await grain.GetActivationId();
        var storage = silo.Services.GetRequiredKeyedService<IGrainStorage>(StorageProviderNames.Default);
        await storage.WriteStateAsync("profile", grain.GetGrainId(), new GrainState<ProfileState>(new ProfileState { Name = "other writer" }));

        await Assert.ThrowsAsync<InconsistentStateException>(() => grain.SetName("mine"));
        await probe.WaitAsync("deactivated-conflict");

        Assert.Equal(DeactivationReasonCode.ApplicationError, probe.Get<DeactivationReasonCode>("deactivation-reason-conflict"));
        Assert.NotEqual(firstId, await grain.GetActivationId());
        Assert.Equal("other writer", await grain.GetName());
    }
}

using System.Diagnostics.Metrics;
using Federation.Actors.Diagnostics;
using Federation.Actors.Storage;
using Federation.Actors.TestKit;
using Federation.Actors.Tests.Grains;
using Federation.Actors.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Actors.Tests.Checklist;

/// <summary>Checklist items 38-40: timers, reminders and metrics.</summary>
public sealed class TimerReminderTests
{
    [Fact]
    public async Task Checklist_38_TimerNeverOverlapsAndItsPeriodCountsFromCompletion()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var grain = silo.GrainFactory.GetGrain<ITimerGrain>("slow-timer");
        await grain.StartSlowTimer();
        var armed = silo.Time.ArmedTimerCount;

        silo.Time.Advance(TimeSpan.FromSeconds(10));
        await probe.WaitAsync("slow-tick-1");

        // The callback takes 5 s; a 10 s period from the start would fire at 20 s, from completion at 25 s.
        silo.Time.Advance(TimeSpan.FromSeconds(5));
        await Eventually.TrueAsync(() => probe.Events.Count == 2 && silo.Time.ArmedTimerCount == armed, "first tick finished and timer re-armed");
        silo.Time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(1, probe.Count("slow-ticks"));
        silo.Time.Advance(TimeSpan.FromSeconds(1));
        await probe.WaitAsync("slow-tick-2");
        silo.Time.Advance(TimeSpan.FromSeconds(5));
        await Eventually.TrueAsync(() => probe.Events.Count == 4, "second tick finished");

        Assert.Equal(new[] { "start 10", "end 15", "start 25", "end 30" }, probe.Events);
    }

    [Fact]
    public async Task Checklist_38_TimerTickWaitsBehindARunningNonReentrantRequest()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var grain = silo.GrainFactory.GetGrain<ITimerGrain>("busy-timer");
        await grain.StartCountingTimer(TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        var hold = grain.Hold("request");
        await probe.WaitAsync("request-holding");

        silo.Time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(1, silo.Activation(grain)!.WaitingCount);
        Assert.Equal(0, probe.Count("ticks"));
        probe.Signal("request");
        await hold;
        await probe.WaitAsync("tick-1");
    }

    [Fact]
    public async Task Checklist_38_TimerStopsAtDeactivationAndItsTokenIsCancelled()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var grain = silo.GrainFactory.GetGrain<ITimerGrain>("cancel-timer");
        await grain.StartCancellableTimer();
        silo.Time.Advance(TimeSpan.FromSeconds(1));
        await probe.WaitAsync("cancellable-started");

        await grain.Deactivate();
        await probe.WaitAsync("cancellable-cancelled");
        await probe.WaitAsync("deactivated-cancel-timer");
        silo.Time.Advance(TimeSpan.FromMinutes(10));

        Assert.Equal(1, probe.Count("cancellable-ticks"));
    }

    [Fact]
    public async Task Checklist_39_InvalidReminderSchedulesAreRejected()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var grain = silo.GrainFactory.GetGrain<IReminderGrain>("invalid");

        await Assert.ThrowsAsync<ArgumentException>(() => grain.Register("short", TimeSpan.Zero, TimeSpan.FromSeconds(59)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => grain.Register("negative", TimeSpan.FromSeconds(-1), TimeSpan.FromMinutes(1)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => grain.Register("never", Timeout.InfiniteTimeSpan, TimeSpan.FromMinutes(1)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => grain.Register("once", TimeSpan.Zero, Timeout.InfiniteTimeSpan));
        Assert.Equal(0, await grain.ReminderCount());

        await grain.Register("ok", TimeSpan.Zero, TimeSpan.FromMinutes(1));
        Assert.Equal(1, await grain.ReminderCount());
    }

    [Fact]
    public async Task Checklist_39_ReminderTickActivatesADeactivatedGrain()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var grain = silo.GrainFactory.GetGrain<IReminderGrain>("sleeper");
        await grain.Register("wake", TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        await grain.Deactivate();
        await probe.WaitAsync("deactivated-sleeper");
        Assert.Null(silo.Activation(grain));

        silo.Time.Advance(TimeSpan.FromMinutes(1));
        await probe.WaitAsync("tick-sleeper-1");

        Assert.Equal(2, probe.Count("reminder-ctor-sleeper"));
        await grain.Unregister("wake");
        silo.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(1, probe.Count("ticks-sleeper"));
    }

    [Fact]
    public async Task Checklist_39_RemindersSurviveAFullRestartAndMissedTicksAreSkipped()
    {
        var probe = new Probe();
        var time = new ManualTimeProvider();
        var table = new MemoryReminderTable();
        var first = await Silos.StartAsync(probe, time: time, reminderTable: table);
        await first.GrainFactory.GetGrain<IReminderGrain>("durable").Register("r", TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5));
        await first.DisposeAsync();

        // Down from minute 0 to minute 12: the ticks at 5 and 10 are missed.
        time.Advance(TimeSpan.FromMinutes(12));
        await using var second = await Silos.StartAsync(probe, time: time, reminderTable: table);
        time.Advance(TimeSpan.FromMinutes(3));
        await probe.WaitAsync("tick-durable-1");
        time.Advance(TimeSpan.FromMinutes(5));
        await probe.WaitAsync("tick-durable-2");

        Assert.Equal(new[] { "durable r 15", "durable r 20" }, probe.Events);
    }

    [Fact]
    public async Task Checklist_40_MetricsUseOrleansInstrumentNamesOnTheFederationActorsMeter()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var meterFactory = silo.Services.GetRequiredService<IMeterFactory>();
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, System.Collections.Concurrent.ConcurrentBag<string>>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == InstrumentNames.MeterName && ReferenceEquals(instrument.Meter.Scope, meterFactory))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, state) => seen.GetOrAdd(instrument.Name, _ => new()).Add(TagsOf(tags)));
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, state) => seen.GetOrAdd(instrument.Name, _ => new()).Add(TagsOf(tags)));
        listener.Start();

        await silo.GrainFactory.GetGrain<IStatefulGrain>("metered").SetName("m");
        var slow = silo.GrainFactory.GetGrain<IConcurrencyGrain>("metered");
        var call = slow.SideEffectAfter(TimeSpan.FromMinutes(1));
        await probe.WaitAsync("side-effect-started");
        silo.Time.Advance(TimeSpan.FromSeconds(30));
        await Assert.ThrowsAsync<TimeoutException>(() => call);
        silo.Time.Advance(TimeSpan.FromSeconds(30));
        listener.RecordObservableInstruments();

        Assert.Contains("grain_type=stateful", seen[InstrumentNames.AppRequestsLatency]);
        Assert.Contains("grain_type=concurrency", seen[InstrumentNames.AppRequestsTimedOut]);
        Assert.True(seen.ContainsKey(InstrumentNames.CatalogActivations));
        Assert.Contains("type=stateful", seen[InstrumentNames.Grains]);
        Assert.Contains(seen[InstrumentNames.StorageReadLatency], t => t.Contains("state_name=profile", StringComparison.Ordinal));
        Assert.Contains(seen[InstrumentNames.StorageWriteLatency], t => t.Contains("state_name=profile", StringComparison.Ordinal));
        Assert.StartsWith("orleans-", InstrumentNames.StorageClearLatency, StringComparison.Ordinal);
    }

    private static string TagsOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var parts = new List<string>();
        foreach (var tag in tags)
        {
            parts.Add($"{tag.Key}={tag.Value}");
        }

        return string.Join(",", parts);
    }
}

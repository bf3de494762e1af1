using Federation.Actors.Directory;
using Federation.Actors.Placement;
using Federation.Actors.Tests.Grains;
using Federation.Actors.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Actors.Tests.Checklist;

/// <summary>Checklist items 17-23: turns, reentrancy, timeouts and stateless workers.</summary>
public sealed class ConcurrencyTests
{
    private static readonly TimeSpan TenSeconds = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Checklist_17_NonReentrantGrainNeverInterleaves()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var grain = silo.GrainFactory.GetGrain<IConcurrencyGrain>("serial");

        var a = grain.Wait("a", TenSeconds);
        await probe.WaitAsync("started-a");
        var b = grain.Wait("b", TenSeconds);
        await Eventually.TrueAsync(() => silo.Activation(grain)?.WaitingCount == 1, "b queued");

        silo.Time.Advance(TenSeconds - TimeSpan.FromTicks(1));
        Assert.False(probe.IsSignaled("started-b"));
        Assert.False(a.IsCompleted);

        silo.Time.Advance(TimeSpan.FromTicks(1));
        await a;
        await probe.WaitAsync("started-b");
        Assert.Equal(TenSeconds, probe.Get<DateTimeOffset>("start-b") - silo.Time.Start);
        silo.Time.Advance(TenSeconds);
        await b;

        // Two 10 s calls took 20 s of (fake) time.
        Assert.Equal(TimeSpan.FromSeconds(20), silo.Time.Elapsed);
    }

    [Fact]
    public async Task Checklist_18_AlwaysInterleaveCallsRunConcurrently()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var grain = silo.GrainFactory.GetGrain<IConcurrencyGrain>("interleaved");

        var calls = new[] { "x", "y", "z" }.Select(id => grain.WaitInterleaved(id, TenSeconds)).ToList();
        foreach (var id in new[] { "x", "y", "z" })
        {
            await probe.WaitAsync("started-" + id);
        }

        silo.Time.Advance(TenSeconds);
        var starts = await Task.WhenAll(calls);

        Assert.All(starts, start => Assert.Equal(silo.Time.Start, start));
        Assert.Equal(TenSeconds, silo.Time.Elapsed);
    }

    [Fact]
    public async Task Checklist_18_ReadOnlyCallsOverlapOnlyOtherReadOnlyCalls()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var grain = silo.GrainFactory.GetGrain<IConcurrencyGrain>("readers");

        var r1 = grain.ReadHold("r1");
        var r2 = grain.ReadHold("r2");
        await probe.WaitAsync("started-r1");
        await probe.WaitAsync("started-r2");
        var w = grain.WriteHold("w");
        await Eventually.TrueAsync(() => silo.Activation(grain)?.WaitingCount == 1, "writer queued behind readers");
        Assert.False(probe.IsSignaled("started-w"));

        probe.Signal("release-r1");
        probe.Signal("release-r2");
        await Task.WhenAll(r1, r2);
        await probe.WaitAsync("started-w");
        var r3 = grain.ReadHold("r3");
        await Eventually.TrueAsync(() => silo.Activation(grain)?.WaitingCount == 1, "reader queued behind writer");
        Assert.False(probe.IsSignaled("started-r3"));

        probe.Signal("release-w");
        await w;
        await probe.WaitAsync("started-r3");
        probe.Signal("release-r3");
        await r3;
    }

    [Fact]
    public async Task Checklist_19_ReentrantGrainInterleavesButNeverRunsTwoTurnsInParallel()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var grain = silo.GrainFactory.GetGrain<IReentrantGrain>("reentrant");

        // Interleaving: the second request starts while the first awaits.
        var first = grain.Hold("1");
        await probe.WaitAsync("started-1");
        var second = grain.Hold("2");
        await probe.WaitAsync("started-2");
        probe.Signal("release-2");
        await second;
        probe.Signal("release-1");
        await first;
        Assert.Equal(new[] { "finished 2", "finished 1" }, probe.Events);

        // Never in parallel: many interleaving requests, and no two turns ever overlap.
        await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => Task.Run(() => grain.Work(20))));
        var (maxInTurn, maxInFlight) = await grain.Stats();
        Assert.Equal(1, maxInTurn);
        Assert.InRange(maxInFlight, 1, 40);
    }

    [Fact]
    public async Task Checklist_20_CallbackToNonReentrantGrainDeadlocksUntilResponseTimeout()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var a = silo.GrainFactory.GetGrain<IDeadlockAGrain>("a-deadlock");

        var outer = a.CallBThenBack("b-deadlock");
        await probe.WaitAsync("b-calling-a");
        await Eventually.TrueAsync(() => silo.Activation(a)?.WaitingCount == 1, "callback queued at A");

        silo.Time.Advance(TimeSpan.FromSeconds(29));
        Assert.False(outer.IsCompleted);
        silo.Time.Advance(TimeSpan.FromSeconds(1));

        await Assert.ThrowsAsync<TimeoutException>(() => outer);
        Assert.Equal(0, probe.Count("a-ping"));
    }

    [Fact]
    public async Task Checklist_20_CallChainReentrancyLetsTheCallbackInButNotAThirdCaller()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var a = silo.GrainFactory.GetGrain<IDeadlockAGrain>("a-reentrant");

        await a.CallBThenBackReentrant("b-reentrant");
        Assert.Equal(1, probe.Count("a-ping"));

        var outer = a.CallBHoldingReentrant("b-reentrant", "b-release");
        await probe.WaitAsync("b-holding");
        var third = a.Ping();
        await Eventually.TrueAsync(() => silo.Activation(a)?.WaitingCount == 1, "unrelated caller queued");
        Assert.False(third.IsCompleted);

        probe.Signal("b-release");
        await outer;
        Assert.Equal("pong", await third);
        Assert.Equal(3, probe.Count("a-ping"));
        Assert.Equal(TimeSpan.Zero, silo.Time.Elapsed);
    }

    [Fact]
    public async Task Checklist_21_TimedOutCallIsNotResubmittedAndItsSideEffectHappensOnce()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var grain = silo.GrainFactory.GetGrain<IConcurrencyGrain>("slow");

        var call = grain.SideEffectAfter(TimeSpan.FromSeconds(40));
        await probe.WaitAsync("side-effect-started");
        silo.Time.Advance(TimeSpan.FromSeconds(30));
        await Assert.ThrowsAsync<TimeoutException>(() => call);
        Assert.Equal(0, probe.Count("side-effect"));

        silo.Time.Advance(TimeSpan.FromSeconds(10));
        await Eventually.TrueAsync(() => probe.Count("side-effect") == 1 && silo.Activation(grain)?.RunningCount == 0, "callee finished");
        silo.Time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(1, probe.Count("side-effect"));
        Assert.Equal(2, await grain.SideEffectAfter(TimeSpan.Zero));
    }

    [Fact]
    public async Task Checklist_22_MayInterleaveIsConsultedForIncomingAndBlockingRequests()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var grain = silo.GrainFactory.GetGrain<IMayInterleaveGrain>("predicate");

        // Incoming request satisfies the predicate.
        var blocking = grain.Hold("normal", "n1");
        await probe.WaitAsync("started-n1");
        var incoming = grain.Hold("interleave", "i1");
        await probe.WaitAsync("started-i1");

        // Neither does: queued.
        var queued = grain.Hold("normal", "n2");
        await Eventually.TrueAsync(() => silo.Activation(grain)?.WaitingCount == 1, "plain request queued");
        Assert.False(probe.IsSignaled("started-n2"));
        probe.Signal("release-i1");
        probe.Signal("release-n1");
        await Task.WhenAll(blocking, incoming);
        await probe.WaitAsync("started-n2");
        probe.Signal("release-n2");
        await queued;

        // The blocking request satisfies the predicate.
        var interleavingBlocker = grain.Hold("interleave", "i2");
        await probe.WaitAsync("started-i2");
        var plain = grain.Hold("normal", "n3");
        await probe.WaitAsync("started-n3");
        probe.Signal("release-n3");
        probe.Signal("release-i2");
        await Task.WhenAll(interleavingBlocker, plain);
    }

    [Fact]
    public async Task Checklist_23_StatelessWorkerHasAtMostNLocalActivationsAndNoDirectoryEntry()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var worker = silo.GrainFactory.GetGrain<IWorkerGrain>(0);

        var calls = new[] { "w1", "w2", "w3" }.Select(id => worker.Hold(id)).ToList();
        await probe.WaitAsync("started-w1");
        await probe.WaitAsync("started-w2");
        await Eventually.TrueAsync(() => silo.Workers(worker)?.Workers.Sum(w => w.WaitingCount) == 1, "third call queued");

        Assert.Equal(2, silo.Workers(worker)!.Count);
        Assert.False(probe.IsSignaled("started-w3"));
        var directory = silo.Services.GetRequiredService<IGrainDirectory>();
        Assert.Null(await directory.LookupAsync(worker.GetGrainId()));

        probe.Signal("release-w1");
        probe.Signal("release-w2");
        await probe.WaitAsync("started-w3");
        probe.Signal("release-w3");
        var ids = await Task.WhenAll(calls);
        Assert.Equal(2, ids.Distinct().Count());
        Assert.Equal(2, probe.Count("worker-ctor"));
    }

    [Fact]
    public async Task Checklist_23_StatelessWorkerReusesIdleWorkersAndScalesDown()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var worker = silo.GrainFactory.GetGrain<IWorkerGrain>(1);
        var busy = worker.Hold("busy");
        await probe.WaitAsync("started-busy");
        var other = await worker.Hold(string.Empty);
        probe.Signal("release-busy");
        await busy;
        await Eventually.TrueAsync(() => silo.Workers(worker)!.Workers.All(w => w.IsInactive), "workers idle");
        Assert.Equal(2, silo.Workers(worker)!.Count);

        // Sequential calls reuse the first inactive worker instead of creating more.
        var first = await worker.Hold(string.Empty);
        Assert.Equal(first, await worker.Hold(string.Empty));
        Assert.Equal(2, probe.Count("worker-ctor"));

        silo.Time.Advance(TimeSpan.FromSeconds(1.5));
        await Eventually.TrueAsync(() => silo.Workers(worker)!.Count == 1, "idle worker removed");
        Assert.Contains(await worker.Hold(string.Empty), new[] { first, other });
    }

    [Fact]
    public void Checklist_23_StatelessWorkerPlacementPrefersTheCallersSilo()
    {
        var local = new SiloInfo(new SiloAddress("10.0.0.2", 11111, 1), "local", new Dictionary<string, string>());
        var remote = new SiloInfo(new SiloAddress("10.0.0.1", 11111, 1), "remote", new Dictionary<string, string>());
        var context = new FixedPlacementContext(local, new[] { remote, local });
        var director = new PreferLocalPlacementDirector();
        var grain = GrainId.Create(new GrainType("worker"), 0L);

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(local.Address, director.OnAddActivation(new StatelessWorkerPlacement(2), grain, context));
        }
    }
}

/// <summary>A placement context with a fixed silo list (placement unit tests).</summary>
internal sealed class FixedPlacementContext : IPlacementContext
{
    private readonly IReadOnlyList<SiloInfo> _silos;

    public FixedPlacementContext(SiloInfo local, IReadOnlyList<SiloInfo> silos)
    {
        LocalSilo = local;
        _silos = silos;
    }

    public SiloInfo LocalSilo { get; }

    public IReadOnlyList<SiloInfo> GetCompatibleSilos(GrainId grainId) => _silos;
}

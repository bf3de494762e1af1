using Federation.Actors.Invocation;
using Federation.Actors.Tests.Grains;
using Federation.Actors.Tests.Support;

namespace Federation.Actors.Tests.Checklist;

/// <summary>Checklist items 1-7: identity, references and copying.</summary>
public sealed class IdentityTests
{
    [Fact]
    public void Checklist_01_GrainIdTextFormsFollowOrleans()
    {
        var type = new GrainType("counter");
        Assert.Equal("counter/FFFFFFFFFFFFFFFF", GrainId.Create(type, -1L).ToString());
        Assert.Equal("counter/2A", GrainId.Create(type, 42L).ToString());
        var guid = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
        Assert.Equal("counter/0f8fad5bd9cb469fa16570867728950e", GrainId.Create(type, guid).ToString());
        Assert.Equal("counter/2A+ext", GrainId.Create(type, 42L, "ext").ToString());
        Assert.Equal("counter/0f8fad5bd9cb469fa16570867728950e+ext", GrainId.Create(type, guid, "ext").ToString());
        Assert.Equal("counter/a/b", GrainId.Create(type, "a/b").ToString());
        Assert.Equal(GrainId.Create(type, "a/b"), GrainId.Parse("counter/a/b"));
    }

    [Fact]
    public async Task Checklist_01_GrainReferencesCarryTheTextForms()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var guid = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
        Assert.Equal("custom-name/FFFFFFFFFFFFFFFF", silo.GrainFactory.GetGrain<ICustomNamedGrain>(-1).GetGrainId().ToString());
        Assert.Equal("guidkeyed/0f8fad5bd9cb469fa16570867728950e", silo.GrainFactory.GetGrain<IGuidKeyedGrain>(guid).GetGrainId().ToString());
        Assert.Equal("compoundkeyed/7+eu", silo.GrainFactory.GetGrain<ICompoundKeyedGrain>(7, "eu").GetGrainId().ToString());
        Assert.Equal(guid, await silo.GrainFactory.GetGrain<IGuidKeyedGrain>(guid).Key());
        Assert.Equal("eu", await silo.GrainFactory.GetGrain<ICompoundKeyedGrain>(7, "eu").Extension());
    }

    [Fact]
    public async Task Checklist_02_ConventionTypeNameGrainTypeOverrideAndKeysScopedByType()
    {
        Assert.Equal("counter", GrainType.ConventionName("CounterGrain", 0));
        Assert.Equal("mylist`1", GrainType.ConventionName("MyListGrain", 1));
        Assert.True(GrainMetadataRegistry.TryGetClass(typeof(CounterGrain), out var counter));
        Assert.Equal("counter", counter.GrainType.Value);
        Assert.True(GrainMetadataRegistry.TryGetClass(typeof(CustomNamedGrain), out var custom));
        Assert.Equal("custom-name", custom.GrainType.Value);

        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        Assert.Equal("custom-name", await silo.GrainFactory.GetGrain<ICustomNamedGrain>(1).TypeName());
        var a = silo.GrainFactory.GetGrain<ICounterGrain>("same-key");
        var b = silo.GrainFactory.GetGrain<IOtherCounterGrain>("same-key");
        Assert.Equal(5, await a.Add(5));
        Assert.Equal(1, await b.Add(1));
        Assert.Equal(7, await a.Add(2));
        Assert.NotEqual(a.GetGrainId(), b.GetGrainId());
    }

    [Fact]
    public async Task Checklist_03_GetGrainNeverActivatesAndFirstCallActivatesExactlyOne()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var references = Enumerable.Range(0, 8).Select(_ => silo.GrainFactory.GetGrain<IBasicGrain>("lazy")).ToList();
        Assert.Equal(0, silo.Silo.ActivationCount);
        Assert.Equal(0, probe.Count("basic-ctor-lazy"));

        var ids = await Task.WhenAll(references.Select(r => Task.Run(() => r.GetActivationId())));

        Assert.Single(ids.Distinct());
        Assert.Equal(1, probe.Count("basic-ctor-lazy"));
        Assert.Equal(1, silo.Silo.ActivationCount);
    }

    [Fact]
    public async Task Checklist_04_ReferencesWithTheSameGrainIdAreEqualAndShareOneActivation()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var viaA = silo.GrainFactory.GetGrain<IFacetA>("two");
        var viaB = silo.GrainFactory.GetGrain<IFacetB>("two");
        var viaA2 = silo.GrainFactory.GetGrain<IFacetA>("two");

        Assert.Equal(viaA.GetGrainId(), viaB.GetGrainId());
        Assert.True(((GrainReference)(object)viaA).Equals((GrainReference)(object)viaB));
        Assert.Equal((object)viaA, viaA2);
        Assert.Equal(await viaA.ActivationFromA(), await viaB.ActivationFromB());
        Assert.Equal(1, silo.Silo.ActivationCount);
        Assert.Equal(await viaB.ActivationFromB(), await viaA.AsReference<IFacetB>().ActivationFromB());
    }

    [Fact]
    public async Task Checklist_05_NullOrWhitespaceKeysAndExtensionsAreRejected()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var factory = silo.GrainFactory;
        Assert.ThrowsAny<ArgumentException>(() => factory.GetGrain<IBasicGrain>(null!));
        Assert.ThrowsAny<ArgumentException>(() => factory.GetGrain<IBasicGrain>(string.Empty));
        Assert.ThrowsAny<ArgumentException>(() => factory.GetGrain<IBasicGrain>("   "));
        Assert.ThrowsAny<ArgumentException>(() => factory.GetGrain<ICompoundKeyedGrain>(1, "  "));
        Assert.ThrowsAny<ArgumentException>(() => factory.GetGrain<ICompoundKeyedGrain>(1, null!));
        Assert.ThrowsAny<ArgumentException>(() => GrainId.Create(new GrainType("x"), Guid.Empty, " "));
    }

    [Fact]
    public async Task Checklist_06_ExceptionTypeReachesTheCaller()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var grain = silo.GrainFactory.GetGrain<IBasicGrain>("thrower");

        var error = await Assert.ThrowsAsync<GrainTestException>(() => grain.Throw("boom"));

        Assert.Equal("boom", error.Message);
        Assert.Equal("still works", await grain.Echo("still works"));
    }

    [Fact]
    public async Task Checklist_06_OneWayCallCompletesWithoutWaitingAndHidesTheCalleeException()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var grain = silo.GrainFactory.GetGrain<IBasicGrain>("oneway");

        var call = grain.FireAndForget("ow");

        Assert.True(call.IsCompletedSuccessfully);
        await probe.WaitAsync("ow-started");
        Assert.False(probe.IsSignaled("ow-done"));
        probe.Signal("ow");
        await probe.WaitAsync("ow-done");
        Assert.Equal(3, await grain.Add(1, 2));
    }

    [Fact]
    public async Task Checklist_07_ArgumentsAndResultsAreDeepCopiedForLocalCalls()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var grain = silo.GrainFactory.GetGrain<ICopyGrain>("copy");
        var sent = new List<int> { 1, 2 };

        var returned = await grain.MutateAndStore(sent);
        sent.Add(3);
        returned.Add(4);

        Assert.Equal(new[] { 1, 2, 3 }, sent);
        Assert.Equal(new[] { 1, 2, 99 }, await grain.GetStored());

        var basket = new Basket("ann") { Items = { "apple" } };
        var updated = await grain.AddToBasket(basket, "pear");
        Assert.Equal(new[] { "apple" }, basket.Items);
        Assert.Equal(new[] { "apple", "pear" }, updated.Items);
        Assert.NotSame(basket, probe.Get<Basket>("basket"));

        var order = new Order { Id = "o1", Lines = { ["a"] = new[] { 1, 2 } } };
        var touched = await grain.TouchOrder(order);
        Assert.False(order.Lines.ContainsKey("touched"));
        Assert.True(touched.Lines.ContainsKey("touched"));
        Assert.NotSame(order.Lines["a"], touched.Lines["a"]);
    }

    [Fact]
    public async Task Checklist_07_ImmutableTypesAndWrappersArePassedByReference()
    {
        var probe = new Probe();
        await using var silo = await Silos.StartAsync(probe);
        var grain = silo.GrainFactory.GetGrain<ICopyGrain>("immutable");
        var shared = new SharedPayload { Items = { 1 } };
        var wrapped = new List<int> { 2 };
        var point = new Point(1, 2, System.Collections.Immutable.ImmutableList.Create("x"));

        await grain.StoreShared(shared);
        await grain.StoreWrapped(wrapped.AsImmutable());
        await grain.StorePoint(point);

        Assert.Same(shared, probe.Get<SharedPayload>("shared"));
        Assert.Same(wrapped, probe.Get<List<int>>("wrapped"));
        Assert.Same(point, probe.Get<Point>("point"));
    }
}

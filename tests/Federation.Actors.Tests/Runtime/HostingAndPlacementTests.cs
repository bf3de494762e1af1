using Federation.Actors.Configuration;
using Federation.Actors.Placement;
using Federation.Actors.Tests.Checklist;
using Federation.Actors.Tests.Grains;
using Federation.Actors.Tests.Support;
using Microsoft.Extensions.Options;

namespace Federation.Actors.Tests.Runtime;

public sealed class HostingAndPlacementTests
{
    [Fact]
    public async Task GracefulStopDeactivatesEveryActivation()
    {
        var probe = new Probe();
        var silo = await Silos.StartAsync(probe);
        var grain = silo.GrainFactory.GetGrain<IStatefulGrain>("stopping");
        await grain.GetName();

        await silo.StopAsync();

        await probe.WaitAsync("deactivated-stopping");
        Assert.Equal(DeactivationReasonCode.ShuttingDown, probe.Get<DeactivationReasonCode>("deactivation-reason-stopping"));
        Assert.Equal(0, silo.Silo.ActivationCount);
        await silo.DisposeAsync();
    }

    [Fact]
    public async Task StoppingSiloCreatesNoActivationAndRejectsCallsToGrainsNotActiveHere()
    {
        var probe = new Probe();
        var silo = await Silos.StartAsync(probe);
        await silo.GrainFactory.GetGrain<IStatefulGrain>("before-stop").GetName();
        await silo.GrainFactory.GetGrain<IWorkerGrain>(0).Hold("");

        await silo.StopAsync();

        var error = await Assert.ThrowsAsync<SiloUnavailableException>(() => silo.GrainFactory.GetGrain<IStatefulGrain>("after-stop").GetName());
        Assert.Contains("after-stop", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<SiloUnavailableException>(() => silo.GrainFactory.GetGrain<IStatefulGrain>("before-stop").GetName());
        await Assert.ThrowsAsync<SiloUnavailableException>(() => silo.GrainFactory.GetGrain<IWorkerGrain>(0).Hold(""));
        Assert.Equal(0, silo.Silo.ActivationCount);
        Assert.Equal(1, probe.Count("worker-ctor"));
        Assert.Null(probe.Get<string>("on-activate-name-after-stop"));
        await silo.DisposeAsync();
    }

    [Fact]
    public async Task InvalidOptionsNameTheOption()
    {
        var probe = new Probe();
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => Silos.StartAsync(probe, b => b.Configure<MessagingOptions>(o => o.ResponseTimeout = TimeSpan.Zero)));
        Assert.Contains("MessagingOptions.ResponseTimeout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RegionAffinityPrefersASiloOfTheKeysRegionAndFailsOver()
    {
        var local = Silo("10.0.0.1", "us-east");
        var eu = Silo("10.0.0.2", "eu-west");
        var context = new FixedPlacementContext(local, new[] { local, eu });
        var director = new RegionAffinityPlacementDirector();

        Assert.Equal(eu.Address, director.OnAddActivation(RegionAffinityPlacement.Instance, GrainId.Create(new GrainType("region"), "eu-west"), context));
        Assert.Equal(local.Address, director.OnAddActivation(RegionAffinityPlacement.Instance, GrainId.Create(new GrainType("region"), "us-east"), context));
        Assert.Equal(local.Address, director.OnAddActivation(RegionAffinityPlacement.Instance, GrainId.Create(new GrainType("region"), "ap-south"), context));
    }

    [Fact]
    public void HashBasedPlacementIsDeterministicOverSortedSilos()
    {
        var a = Silo("10.0.0.1", "r");
        var b = Silo("10.0.0.2", "r");
        var grain = GrainId.Create(new GrainType("hashed"), "k");
        var director = new HashBasedPlacementDirector();
        var expected = (grain.GetUniformHashCode() & 0x7fffffff) % 2 == 0 ? a.Address : b.Address;

        Assert.Equal(expected, director.OnAddActivation(HashBasedPlacement.Instance, grain, new FixedPlacementContext(a, new[] { a, b })));
        Assert.Equal(expected, director.OnAddActivation(HashBasedPlacement.Instance, grain, new FixedPlacementContext(b, new[] { b, a })));
    }

    private static SiloInfo Silo(string host, string region) =>
        new(new SiloAddress(host, 11111, 1), host, new Dictionary<string, string> { [RegionAffinityPlacement.RegionMetadataKey] = region });
}

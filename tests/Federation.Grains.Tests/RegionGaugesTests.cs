using Federation.Contracts;
using Federation.Grains.Diagnostics;
using Federation.Grains.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Orleans;

namespace Federation.Grains.Tests;

/// <summary>
/// A region's gauges are reported by the silo that hosts its grain and by no other: away from home on another region's
/// silo, then, once a silo of its own starts and the grain migrates there, from that silo alone.
/// </summary>
public sealed class RegionGaugesTests
{
    [Fact]
    public async Task Each_region_is_reported_by_the_one_silo_hosting_its_grain_and_moves_with_it()
    {
        await using var host = await FederationTestHost.StartAsync(silos: 2, siloRegions: ["gwangju", "suncheon", "daegu"]);
        var gwangjuSilo = host.Cluster.Silos[0];
        var suncheonSilo = host.Cluster.Silos[1];

        // daegu has no silo yet: its grain runs away from home on the silo that called it first.
        await host.GrainsOf(0).GetGrain<IRegionGrain>("gwangju").GetAsync();
        await host.GrainsOf(1).GetGrain<IRegionGrain>("suncheon").GetAsync();
        await host.GrainsOf(1).GetGrain<IRegionGrain>("daegu").GetAsync();
        Assert.Equal(["gwangju"], Reported(gwangjuSilo.ServiceProvider));
        Assert.Equal(["daegu", "suncheon"], Reported(suncheonSilo.ServiceProvider));

        // A silo of daegu starts: the grain migrates there (its home check runs on Orleans' timer: polled), and its
        // gauges leave suncheon's silo with it.
        var daeguSilo = await host.Cluster.StartAdditionalSiloAsync();
        await host.WaitUntilAsync(
            async () => (await host.Region("daegu").GetAsync()) is { Away: false } v && v.HostSilo == daeguSilo.SiloAddress.ToParsableString(),
            "daegu's grain moved to daegu's silo");
        Assert.Equal(["daegu"], Reported(daeguSilo.ServiceProvider));
        Assert.Equal(["suncheon"], Reported(suncheonSilo.ServiceProvider));
        Assert.Equal(["gwangju"], Reported(gwangjuSilo.ServiceProvider));
    }

    private static IReadOnlyList<string> Reported(IServiceProvider silo) => silo.GetRequiredService<RegionGauges>().Regions;
}

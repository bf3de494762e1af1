using Federation.Contracts;
using Federation.Grains.Tests.Support;
using Orleans;
using Orleans.Runtime;
using static Federation.Grains.Tests.Support.TestMegaregion;

namespace Federation.Grains.Tests;

/// <summary>
/// One silo per region (silo metadata region=&lt;id&gt;) in one cluster: a region's grain lands on its own silo whoever calls
/// it first, runs away from home (queuing, starting nothing) while no silo of its region is alive, and goes home when
/// one returns, where the rebuild from the committed rows re-attaches what was running, so that nothing runs twice or
/// is forgotten. Silos are stopped and started here in one process; separate processes on PostgreSQL are in
/// Federation.ClusterTests.
/// </summary>
public sealed class RegionAffinityTests
{
    // Silo_0 runs gwangju and Silo_1 suncheon from the start; Silo_2 (daegu) and Silo_3 (suncheon again) start later.
    private static readonly string?[] SiloRegions = ["gwangju", "suncheon", "daegu", "suncheon"];

    [Fact]
    public async Task Regions_live_on_their_silos_queue_away_from_home_and_return_with_their_running_jobs()
    {
        await using var host = await FederationTestHost.StartAsync(silos: 2, siloRegions: SiloRegions);
        var gwangjuSilo = host.Cluster.Silos[0].SiloAddress;
        var suncheonSilo = host.Cluster.Silos[1].SiloAddress;

        // Whichever silo calls first, each region with a silo lands on it; one without lands on the caller, away.
        var fromSuncheon = host.GrainsOf(1);
        var gwangju = await fromSuncheon.GetGrain<IRegionGrain>("gwangju").GetAsync();
        var suncheon = await host.GrainsOf(0).GetGrain<IRegionGrain>("suncheon").GetAsync();
        var daegu = await fromSuncheon.GetGrain<IRegionGrain>("daegu").GetAsync();
        Assert.Equal((gwangjuSilo.ToParsableString(), false), (gwangju.HostSilo, gwangju.Away));
        Assert.Equal((suncheonSilo.ToParsableString(), false), (suncheon.HostSilo, suncheon.Away));
        Assert.Equal((suncheonSilo.ToParsableString(), true), (daegu.HostSilo, daegu.Away));

        // The megaregion view says which regions have a silo (silo metadata travels to the other silos on Orleans' own
        // schedule: polled).
        await host.WaitUntilAsync(
            async () => Statuses(await host.Megaregion.GetAsync()) == "gwangju:up suncheon:up gwangyang:unreachable daegu:unreachable",
            "the megaregion view shows gwangju and suncheon up, gwangyang and daegu unreachable");
        var view = await host.Megaregion.GetAsync();
        Assert.Equal(gwangjuSilo.ToParsableString(), Assert.Single(view.Regions[0].Silos));
        Assert.Equal(suncheonSilo.ToParsableString(), Assert.Single(view.Regions[1].Silos));
        Assert.Empty(view.Regions[3].Silos);

        // A job that daegu alone may run is accepted and waits there, saying why; one that may also run in suncheon runs there.
        var pinned = await FederationTestHost.SubmitAsync(host.Grains, Job("pinned", 2, 1, home: "daegu", allowed: ["daegu"]));
        Assert.Equal(("daegu", JobState.Queued), (pinned.Region, pinned.State));
        Assert.Equal(
            "daegu is unreachable (no silo of daegu is alive) and no other region may run the job: it waits in daegu's queue until a silo of daegu returns",
            pinned.Placement!.Note);
        var free = await FederationTestHost.SubmitAsync(host.Grains, Job("free", 2, 1, home: "daegu", allowed: ["daegu", "suncheon"]));
        Assert.Equal(("suncheon", JobState.Running), (free.Region, free.State));
        Assert.Equal("unreachable: no silo of daegu is alive", free.Placement!.Candidates[3].NotUsedBecause);
        Assert.Null(free.Placement.Note);

        // A silo of daegu starts: the away grain leaves for it (its home check runs on Orleans' timer: polled), and the
        // pinned job starts there.
        var daeguSilo = (await host.Cluster.StartAdditionalSiloAsync()).SiloAddress;
        await host.WaitUntilAsync(
            async () => (await host.Region("daegu").GetAsync()) is { Away: false } v && v.HostSilo == daeguSilo.ToParsableString(),
            "daegu's grain moved to daegu's silo");
        await host.WaitUntilAsync(async () => (await host.Job("pinned").GetAsync())!.State == JobState.Running, "the pinned job started in daegu");

        // The job commits its start before the region, on the job's answer, hands it to the executor: the outbox's barrier.
        await host.NoticesDeliveredAsync();
        Assert.Equal(1, host.Executor.StartsOf("daegu", "pinned"));

        // suncheon's silo stops with "free" running. suncheon's grain runs away on the caller's silo, holding the job's
        // accelerators but not running it: past its end it is still running, as far as anyone can know.
        await host.Cluster.StopSiloAsync(host.Cluster.Silos.Single(s => s.SiloAddress.Equals(suncheonSilo)));
        var away = await host.Region("suncheon").GetAsync();
        Assert.Equal((gwangjuSilo.ToParsableString(), true, 1, 2), (away.HostSilo, away.Away, away.RunningJobs, away.Pools[0].Busy));
        await host.AdvanceAsync(TimeSpan.FromHours(2));
        Assert.Equal((JobState.Running, "suncheon"), ((await host.Job("free").GetAsync())!.State, (await host.Job("free").GetAsync())!.Region));
        Assert.Equal(JobState.Completed, (await host.Job("pinned").GetAsync())!.State);

        // A silo of suncheon returns: the grain goes home and re-attaches the job, which ends at its own end, once.
        var suncheonAgain = (await host.Cluster.StartAdditionalSiloAsync()).SiloAddress;
        await host.WaitUntilAsync(
            async () => (await host.Region("suncheon").GetAsync()) is { Away: false } v && v.HostSilo == suncheonAgain.ToParsableString(),
            "suncheon's grain moved to suncheon's new silo");
        // Its end is past: it fires on the clock's next move.
        await host.AdvanceAsync(TimeSpan.FromSeconds(1));
        var ended = (await host.Job("free").GetAsync())!;
        Assert.Equal((JobState.Completed, "suncheon", ended.StartedAt + TimeSpan.FromHours(1)), (ended.State, ended.Region, ended.EndedAt));
        Assert.Equal(["suncheon", "suncheon"], host.Executor.Starts.Where(s => s.Job == "free").Select(s => s.Region));
        Assert.Empty(host.Executor.WithoutRow);
    }

    private static string Statuses(MegaregionView view) => string.Join(' ', view.Regions.Select(r => $"{r.Id}:{r.Status}"));
}

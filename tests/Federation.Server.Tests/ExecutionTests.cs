using System.Net;
using Federation.Contracts;
using Federation.Grains.Execution;
using Federation.Grains.Regions;
using Federation.Server.Hosting;
using Federation.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Server.Tests;

/// <summary>Jobs run on the execution clock the server passes to the grains, and --demo feeds jobs.</summary>
public sealed class ExecutionTests
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_job_completes_when_the_execution_clock_passes_its_duration()
    {
        await using var server = await ServerHost.StartAsync();
        using var submitted = await server.PostJsonAsync("api/jobs", Jobs.Request("runs-1").ToJsonString());
        var job = await ServerHost.ReadAsync<JobView>(submitted);
        Assert.Equal(JobState.Running, job.State);

        server.Clock.Advance(TimeSpan.FromHours(1));
        var halfway = await ServerHost.ReadAsync<JobView>(await server.Client.GetAsync("api/jobs/runs-1"));
        server.Clock.Advance(TimeSpan.FromHours(1.5));

        // Completion crosses grains (the clock's callback into the region, then the region's notice to the job): the
        // clock's and the outbox's barriers say when both are done.
        await server.Services.GetRequiredService<ExecutionClock>().WhenIdleAsync().WaitAsync(WaitLimit);
        await server.Services.GetRequiredService<NoticeDeliveries>().WhenDeliveredAsync().WaitAsync(WaitLimit);
        var done = await ServerHost.ReadAsync<JobView>(await server.Client.GetAsync("api/jobs/runs-1"));

        Assert.Equal(JobState.Running, halfway.State);
        Assert.Equal(JobState.Completed, done.State);
        Assert.Equal("gwangju", done.Region);
        Assert.Equal("Completed", done.History[^1].Kind);
        var region = await ServerHost.ReadAsync<RegionView>(await server.Client.GetAsync("api/regions/gwangju"));
        Assert.Equal(0, region.Pools.Sum(p => p.Busy));
    }

    [Fact]
    public async Task The_demo_workload_submits_jobs_that_are_placed()
    {
        await using var server = await ServerHost.StartAsync(o =>
        {
            o.Demo = true;
            o.DemoJobsPerSecond = 100;
        });

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        RegionView[] regions;
        do
        {
            await Task.Delay(50);
            regions = await ServerHost.ReadAsync<RegionView[]>(await server.Client.GetAsync("api/regions"));
        }
        while (regions.Sum(r => r.RunningJobs + r.QueuedJobs) < 5 && DateTime.UtcNow < deadline);

        Assert.True(regions.Sum(r => r.RunningJobs + r.QueuedJobs) >= 5, "the demo should have placed at least 5 jobs within 10 s");
        var health = await server.GetJsonAsync("health");
        Assert.Equal(600, health["timeScale"]!.GetValue<double>());
    }

    [Fact]
    public void The_demo_workload_is_reproducible_from_its_seed()
    {
        var megaregion = Federation.Scheduling.MegaregionLoader.LoadDefault();
        var settings = ServerSettings.Resolve(new FederationServerOptions { Storage = StorageKind.Memory, Demo = true });
        var demo = new Demo.DemoWorkload(null!, megaregion, settings, Microsoft.Extensions.Logging.Abstractions.NullLogger<Demo.DemoWorkload>.Instance);

        var first = Enumerable.Range(0, 50).Select(i => demo.NextJob(new Random(7 + i), $"d-{i}")).ToList();
        var second = Enumerable.Range(0, 50).Select(i => demo.NextJob(new Random(7 + i), $"d-{i}")).ToList();

        Assert.Equal(first.Select(Describe), second.Select(Describe));
        Assert.All(first, j => Assert.InRange(j.Accelerators.Count, 1, 128));
        Assert.Contains(first, j => j.HomeRegion == "suncheon");
        Assert.Contains(first, j => j.Dataset!.Region != j.HomeRegion);
    }

    private static string Describe(JobRequest j) =>
        $"{j.Id} {j.HomeRegion} {j.Accelerators.Count} {string.Join('|', j.Accelerators.Types)} {j.DurationHours} {j.Dataset!.Region} {j.Dataset.SizeGb} {j.Priority}";
}

using Federation.Contracts;
using Federation.Grains.Hosting;
using Federation.Grains.Jobs;
using Federation.Grains.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using static Federation.Grains.Tests.Support.TestMegaregion;

namespace Federation.Grains.Tests;

public sealed class ProjectAndOptionsTests
{
    [Fact]
    public async Task A_project_charges_usage_to_its_terms_and_refuses_to_return_more_than_is_unused()
    {
        await using var host = await FederationTestHost.StartAsync();
        var project = host.Grains.GetGrain<IProjectGrain>("p1");
        await project.SetAllocationAsync("short", 5);
        await project.SetAllocationAsync("mid", 100);
        await host.SubmitAsync(Job("j1", 4, 2));
        await host.AdvanceAsync(TimeSpan.FromHours(2));
        Assert.Equal(JobState.Completed, (await host.Job("j1").GetAsync())!.State);

        var view = await project.GetAsync();
        Assert.Equal(8, view.UsedAcceleratorHours, 9);
        Assert.Equal(5, view.Allocations[0].UsedAcceleratorHours, 9);
        Assert.Equal(3, view.Allocations[1].UsedAcceleratorHours, 9);

        var returned = await project.ReturnAsync("mid", 97);
        Assert.Equal(97, returned.Allocations[1].ReturnedAcceleratorHours);
        var tooMuch = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => project.ReturnAsync("mid", 1));
        Assert.StartsWith("cannot return 1 accelerator-hours of term 'mid': only 0 are unused", tooMuch.Message, StringComparison.Ordinal);
        var badTerm = await Assert.ThrowsAsync<ArgumentException>(() => project.SetAllocationAsync("forever", 1));
        Assert.StartsWith("term must be one of short, mid, long (was 'forever')", badTerm.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Jobs_are_listed_by_state_region_and_project_from_their_rows()
    {
        await using var host = await FederationTestHost.StartAsync();
        await host.SubmitAsync(Job("a", 8, 1, allowed: ["gwangju"]));
        await host.SubmitAsync(Job("b", 8, 1, allowed: ["gwangju"]));
        await host.SubmitAsync(Job("c", 2, 1, home: "suncheon", project: "p2"));
        var query = host.Silo.Services.GetRequiredService<IJobQuery>();

        var queued = await query.ListAsync(JobState.Queued, null, null);
        var inGwangju = await query.ListAsync(null, "gwangju", null);
        var p2 = await query.ListAsync(null, null, "p2");
        var page = await query.ListAsync(null, null, null, limit: 2);

        Assert.Equal(["b"], queued.Jobs.Select(j => j.Id));
        Assert.Equal(["a", "b"], inGwangju.Jobs.Select(j => j.Id));
        Assert.Equal(["c"], p2.Jobs.Select(j => j.Id));
        Assert.Equal(3, page.Total);
        Assert.Equal("b", page.NextAfter);
        Assert.Equal(["c"], (await query.ListAsync(null, null, null, after: page.NextAfter)).Jobs.Select(j => j.Id));
    }

    [Theory]
    [InlineData(300, 30, 300, "Default", "FederationGrainsOptions.SnapshotRefresh must be positive and at most 250 ms (was 300 ms).")]
    [InlineData(250, -1, 300, "Default", "FederationGrainsOptions.RebalanceInterval must not be negative (Zero disables the rebalancer).")]
    [InlineData(250, 30, -5, "Default", "FederationGrainsOptions.RebalanceThresholdSeconds must be a non-negative number of seconds.")]
    [InlineData(250, 30, 300, "Other", "FederationGrainsOptions.StorageName must be 'Default' (the grains' [PersistentState] bind to it; was 'Other').")]
    public void The_options_validator_names_the_bad_option(int refreshMs, int rebalanceS, double threshold, string storage, string expected)
    {
        var options = new FederationGrainsOptions
        {
            SnapshotRefresh = TimeSpan.FromMilliseconds(refreshMs),
            RebalanceInterval = TimeSpan.FromSeconds(rebalanceS),
            RebalanceThresholdSeconds = threshold,
            StorageName = storage,
        };

        var result = new FederationGrainsOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Equal(expected, result.FailureMessage);
    }

    [Fact]
    public void Default_options_are_valid_and_use_the_default_megaregion()
    {
        var options = new FederationGrainsOptions();

        Assert.True(new FederationGrainsOptionsValidator().Validate(null, options).Succeeded);
        Assert.Equal(["gwangju", "suncheon", "gwangyang", "daegu"], options.Megaregion.Regions.Select(r => r.Id));
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.SnapshotRefresh);
    }
}

using Federation.Contracts;
using Federation.Grains.Hosting;
using Federation.Grains.Jobs;
using Federation.Grains.Tests.Support;
using Federation.Scheduling;
using Federation.Storage.Jobs;
using Microsoft.Extensions.DependencyInjection;
using static Federation.Grains.Tests.Support.TestMegaregion;

namespace Federation.Grains.Tests;

public sealed class ProjectAndOptionsTests
{
    [Fact]
    public async Task Jobs_are_listed_by_state_region_and_project_from_their_rows()
    {
        await using var host = await FederationTestHost.StartAsync();
        await host.SubmitAsync(Job("a", 8, 1, allowed: ["gwangju"]));
        await host.SubmitAsync(Job("b", 8, 1, allowed: ["gwangju"]));
        await host.SubmitAsync(Job("c", 2, 1, home: "suncheon", project: "p2"));
        var query = host.Services(0).GetRequiredService<IJobQuery>();

        var queued = await query.ListAsync(JobState.Queued, null, null, null, JobRowOrder.Id, 100, null);
        var inGwangju = await query.ListAsync(null, "gwangju", null, null, JobRowOrder.Id, 100, null);
        var p2 = await query.ListAsync(null, null, "p2", null, JobRowOrder.Id, 100, null);
        var page = await query.ListAsync(null, null, null, null, JobRowOrder.Id, 2, null);

        Assert.Equal(["b"], queued.Jobs.Select(j => j.Id));
        Assert.Equal(["a", "b"], inGwangju.Jobs.Select(j => j.Id));
        Assert.Equal(["c"], p2.Jobs.Select(j => j.Id));
        Assert.Equal(3, page.Total);
        Assert.Equal("b", page.NextAfter);
        Assert.Equal(["c"], (await query.ListAsync(null, null, null, null, JobRowOrder.Id, 100, page.NextAfter)).Jobs.Select(j => j.Id));
        Assert.Equal(["a", "b", "c"], (await query.ListAsync(null, null, null, "kim", JobRowOrder.Id, 100, null)).Jobs.Select(j => j.Id));
        Assert.Empty((await query.ListAsync(null, null, null, "lee", JobRowOrder.Id, 100, null)).Jobs);
    }

    [Theory]
    [InlineData("Megaregion", "FederationGrainsOptions.Megaregion must hold at least one region.")]
    [InlineData("SnapshotRefresh", "FederationGrainsOptions.SnapshotRefresh must be positive and at most 250 ms (was 300 ms).")]
    [InlineData("RebalanceInterval", "FederationGrainsOptions.RebalanceInterval must not be negative (Zero disables the rebalancer).")]
    [InlineData("RebalanceThresholdSeconds", "FederationGrainsOptions.RebalanceThresholdSeconds must be a non-negative number of seconds.")]
    [InlineData("LoadPublishInterval", "FederationGrainsOptions.LoadPublishInterval must not be negative.")]
    [InlineData("ConfirmationDeadline", "FederationGrainsOptions.ConfirmationDeadline and ReservationCheckPeriod must be positive.")]
    [InlineData("ReservationCheckPeriod", "FederationGrainsOptions.ConfirmationDeadline and ReservationCheckPeriod must be positive.")]
    [InlineData("FirstNoticeRetryDelay", "FederationGrainsOptions.FirstNoticeRetryDelay must be positive and at most MaxNoticeRetryDelay.")]
    [InlineData("MaxNoticeRetryDelay", "FederationGrainsOptions.FirstNoticeRetryDelay must be positive and at most MaxNoticeRetryDelay.")]
    public void The_options_validator_names_the_bad_option(string option, string expected)
    {
        var options = new FederationGrainsOptions();
        switch (option)
        {
            case "Megaregion":
                options.Megaregion = new Megaregion([], []);
                break;
            case "SnapshotRefresh":
                options.SnapshotRefresh = TimeSpan.FromMilliseconds(300);
                break;
            case "RebalanceInterval":
                options.RebalanceInterval = TimeSpan.FromSeconds(-1);
                break;
            case "RebalanceThresholdSeconds":
                options.RebalanceThresholdSeconds = -5;
                break;
            case "LoadPublishInterval":
                options.LoadPublishInterval = TimeSpan.FromMilliseconds(-1);
                break;
            case "ConfirmationDeadline":
                options.ConfirmationDeadline = TimeSpan.Zero;
                break;
            case "ReservationCheckPeriod":
                options.ReservationCheckPeriod = TimeSpan.FromMilliseconds(-1);
                break;
            case "FirstNoticeRetryDelay":
                options.FirstNoticeRetryDelay = TimeSpan.Zero;
                break;
            case "MaxNoticeRetryDelay":
                options.MaxNoticeRetryDelay = options.FirstNoticeRetryDelay - TimeSpan.FromMilliseconds(1);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(option), option, "no such case");
        }

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
        Assert.Equal(
            (TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5)),
            (options.ConfirmationDeadline, options.ReservationCheckPeriod, options.FirstNoticeRetryDelay, options.MaxNoticeRetryDelay));
    }

    [Fact]
    public async Task A_silo_with_an_invalid_option_does_not_start_and_the_error_names_the_option()
    {
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => FederationTestHost.StartAsync(configure: o => o.ReservationCheckPeriod = TimeSpan.Zero));

        Assert.Contains("FederationGrainsOptions.ConfirmationDeadline and ReservationCheckPeriod must be positive.", failure.ToString(), StringComparison.Ordinal);
    }
}

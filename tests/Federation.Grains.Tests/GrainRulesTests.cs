using Federation.Contracts;
using Federation.Grains.Jobs;
using Federation.Grains.Tests.Support;
using static Federation.Grains.Tests.Support.TestMegaregion;

namespace Federation.Grains.Tests;

/// <summary>
/// The grains apply the rules the REST API applies (<c>JobRules</c>, <c>OfferRules</c> in Federation.Scheduling), so a
/// caller that bypasses the API (another silo's code, a tool) cannot store what the API would refuse.
/// </summary>
public sealed class GrainRulesTests
{
    [Theory]
    [InlineData("zero", "accelerators.count: must be > 0")]
    [InlineData("home", "homeRegion: unknown region 'busan'; the regions are gwangju, suncheon, gwangyang, daegu")]
    [InlineData("gang", "accelerators.count: a gang runs in one pool, and no acceptable pool has 16 accelerators (largest: 8)")]
    [InlineData("type", "accelerators.types[0]: no region has accelerator type 'TPU'; the types are A100, H100, NPU")]
    [InlineData("duration", "durationHours: must be > 0")]
    public async Task A_submission_the_rules_refuse_throws_naming_the_field_and_writes_no_row(string fault, string expected)
    {
        await using var host = await FederationTestHost.StartAsync();
        var request = fault switch
        {
            "zero" => Job("bad", 0, 1),
            "home" => Job("bad", 4, 1, home: "busan"),
            "gang" => Job("bad", 16, 1),
            "type" => Job("bad", 4, 1, type: "TPU"),
            "duration" => Job("bad", 4, 0),
            _ => throw new ArgumentOutOfRangeException(nameof(fault), fault, "no such case"),
        };

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => host.Job("bad").SubmitAsync(request));

        Assert.StartsWith(expected, refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, host.Storage.WritesOf(JobRecord.StateName));
        Assert.Null(await host.Job("bad").GetAsync());

        // Nothing reached a region either.
        foreach (var r in RegionIds)
        {
            var view = await host.Region(r).GetAsync();
            Assert.Equal((0, 0), (view.QueuedJobs, view.RunningJobs));
        }

        Assert.Empty(host.Executor.Starts);
    }

    [Fact]
    public async Task A_submission_names_every_field_at_fault_in_one_message()
    {
        await using var host = await FederationTestHost.StartAsync();

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => host.Job("bad").SubmitAsync(Job("bad", 0, -1, home: "busan", allowed: ["mokpo"])));

        Assert.StartsWith(
            "homeRegion: unknown region 'busan'; the regions are gwangju, suncheon, gwangyang, daegu; durationHours: must be > 0; allowedRegions[0]: unknown region 'mokpo'; the regions are gwangju, suncheon, gwangyang, daegu; accelerators.count: must be > 0",
            refused.Message,
            StringComparison.Ordinal);
        Assert.Equal(0, host.Storage.WritesOf(JobRecord.StateName));
    }

    [Fact]
    public async Task An_offer_the_rules_refuse_throws_naming_the_field_and_changes_nothing()
    {
        await using var host = await FederationTestHost.StartAsync();
        var gwangju = host.Region("gwangju");

        var unknownType = await Assert.ThrowsAsync<ArgumentException>(() => gwangju.SetOfferAsync(new OfferView { Accelerators = [new OfferedAcceleratorsView { Type = "NPU", Count = 1 }] }));
        var tooMany = await Assert.ThrowsAsync<ArgumentException>(() => gwangju.SetOfferAsync(new OfferView { Accelerators = [new OfferedAcceleratorsView { Type = "H100", Count = 9 }] }));
        var twice = await Assert.ThrowsAsync<ArgumentException>(() => gwangju.SetOfferAsync(new OfferView { Accelerators = [new OfferedAcceleratorsView { Type = "H100", Count = 1 }, new OfferedAcceleratorsView { Type = "H100", Count = 2 }] }));

        Assert.StartsWith("offer of gwangju: accelerators[0].type: region 'gwangju' has no 'NPU' pool; its pools are H100", unknownType.Message, StringComparison.Ordinal);
        Assert.StartsWith("offer of gwangju: accelerators[0].count: must be between 0 and the pool's 8", tooMany.Message, StringComparison.Ordinal);
        Assert.StartsWith("offer of gwangju: accelerators[1].type: 'H100' is listed twice", twice.Message, StringComparison.Ordinal);

        // The offer is still the megaregion file's (4 H100), in the region and in its stored state: the next write of that
        // state (a drain) and a new activation reading it back find nothing of the refused offers.
        var offered = Assert.Single((await gwangju.GetAsync()).Offer.Accelerators);
        Assert.Equal(("H100", 4), (offered.Type, offered.Count));
        await gwangju.SetDrainAsync(new DrainRequest { Drain = false });
        await host.Cluster.DeactivateAsync(gwangju);
        offered = Assert.Single((await gwangju.GetAsync()).Offer.Accelerators);
        Assert.Equal(("H100", 4), (offered.Type, offered.Count));

        // It still admits a job from elsewhere that fits it.
        var external = await host.SubmitAsync(Job("x4", 4, 1, home: "suncheon", allowed: ["gwangju"]));
        Assert.Equal(("gwangju", JobState.Running), (external.Region, external.State));
        await host.AssertAccountingAsync("x4");
    }
}

namespace Federation.Scheduling.Tests;

public sealed class HardConstraintsTests
{
    private static readonly Region Daegu = Build.Region(
        "daegu",
        Build.Offer(("H100", 4), ("NPU-Rebellions-ATOM", 16)),
        Build.Pool("H100", 8, 80),
        Build.Pool("NPU-Rebellions-ATOM", 32, 16));

    [Fact]
    public void A_home_job_that_fits_any_pool_is_feasible_with_its_pools_in_the_mask()
    {
        Assert.Equal(ConstraintFailure.None, HardConstraints.Check(Build.Job("j", 8, 10, home: "daegu"), Daegu, 0, out var mask));
        Assert.Equal(0b11, mask);
    }

    [Fact]
    public void Memory_excludes_the_small_memory_pool_only()
    {
        Assert.Equal(ConstraintFailure.None, HardConstraints.Check(Build.Job("j", 2, 10, home: "daegu", minMemory: 40), Daegu, 0, out var mask));
        Assert.Equal(0b01, mask);
        Assert.Equal(ConstraintFailure.InsufficientMemory, HardConstraints.Check(Build.Job("j", 2, 10, home: "daegu", types: ["NPU-Rebellions-ATOM"], minMemory: 40), Daegu, 0));
    }

    [Fact]
    public void An_unknown_type_is_reported()
    {
        Assert.Equal(ConstraintFailure.NoAcceptableType, HardConstraints.Check(Build.Job("j", 1, 10, home: "daegu", types: ["TPU"]), Daegu, 0));
    }

    [Fact]
    public void A_gang_must_fit_in_one_pool_not_across_pools()
    {
        // 40 accelerators exist in total, but no single pool has 33.
        Assert.Equal(ConstraintFailure.GangTooLarge, HardConstraints.Check(Build.Job("j", 33, 10, home: "daegu"), Daegu, 0));
        Assert.True(Build.Job("j", 33, 10).IsGang);
    }

    [Fact]
    public void Allowed_regions_exclude_a_region()
    {
        Assert.Equal(ConstraintFailure.RegionNotAllowed, HardConstraints.Check(Build.Job("j", 1, 10, home: "daegu", allowed: ["gwangju"]), Daegu, 0));
    }

    [Fact]
    public void An_external_job_must_fit_inside_the_offer()
    {
        Assert.Equal(ConstraintFailure.None, HardConstraints.Check(Build.Job("j", 4, 10, home: "gwangju", types: ["H100"]), Daegu, 0));
        Assert.Equal(ConstraintFailure.NotOffered, HardConstraints.Check(Build.Job("j", 5, 10, home: "gwangju", types: ["H100"]), Daegu, 0));

        // The same 5-accelerator job from Daegu itself is fine.
        Assert.Equal(ConstraintFailure.None, HardConstraints.Check(Build.Job("j", 5, 10, home: "daegu", types: ["H100"]), Daegu, 0));
    }

    [Fact]
    public void An_external_job_must_fit_the_offer_window_unless_preemptible()
    {
        var windowed = Daegu with { Offer = Daegu.Offer with { WindowStartS = 0, WindowEndS = 100 } };
        Assert.Equal(ConstraintFailure.None, HardConstraints.Check(Build.Job("j", 1, 50, home: "x"), windowed, 10));
        Assert.Equal(ConstraintFailure.OutsideOfferWindow, HardConstraints.Check(Build.Job("j", 1, 95, home: "x"), windowed, 10));
        Assert.Equal(ConstraintFailure.OutsideOfferWindow, HardConstraints.Check(Build.Job("j", 1, 1, home: "x"), windowed, 100));
        var preemptible = windowed with { Offer = windowed.Offer with { Preemptible = true } };
        Assert.Equal(ConstraintFailure.None, HardConstraints.Check(Build.Job("j", 1, 95, home: "x"), preemptible, 10));
    }

    [Fact]
    public void Every_failure_has_words()
    {
        foreach (var f in Enum.GetValues<ConstraintFailure>())
        {
            Assert.False(string.IsNullOrWhiteSpace(HardConstraints.Describe(f)));
            Assert.NotEqual(f.ToString(), HardConstraints.Describe(f));
        }
    }
}

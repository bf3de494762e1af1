namespace Federation.Scheduling.Tests;

public sealed class AllocationChargingTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private static RunSpan Run(string job, string type, int count, double fromHours, double toHours) =>
        new(job, type, count, T0.AddHours(fromHours), T0.AddHours(toHours));

    [Fact]
    public void Runs_are_charged_to_the_type_then_any_short_then_long_each_up_to_what_it_has_left_and_the_rest_is_unallocated()
    {
        AllocationGrant[] grants =
        [
            new("long", "any", 100, T0, T0.AddDays(365), 0),
            new("short", "H100", 10, T0, T0.AddDays(30), 2),
            new("short", "any", 5, T0, T0.AddDays(30), 0),
        ];
        RunSpan[] runs = [Run("a", "H100", 4, 0, 3), Run("b", "A100", 1, 1, 2)];

        var used = AllocationCharging.Charge(grants, runs, out var unallocated);

        // a: 12 H100 hours: 8 to short H100 (10 - 2 returned), then 4 to short any; b: 1 A100 hour to short any.
        Assert.Equal([0.0, 8.0, 5.0], used);
        Assert.Equal(0, unallocated);
    }

    [Fact]
    public void A_run_is_cut_at_the_period_boundaries_and_only_the_part_inside_a_period_is_charged_to_it()
    {
        AllocationGrant[] grants = [new("short", "any", 1000, T0.AddHours(1), T0.AddHours(2), 0)];
        var used = AllocationCharging.Charge(grants, [Run("a", "H100", 2, 0, 3)], out var unallocated);
        Assert.Equal([2.0], used);
        Assert.Equal(4, unallocated);
    }

    [Fact]
    public void The_standing_names_the_allocation_and_what_is_left()
    {
        AllocationGrant[] grants = [new("short", "H100", 500, T0, T0.AddDays(30), 0), new("mid", "any", 10, T0.AddDays(40), T0.AddDays(90), 0)];
        var now = T0.AddDays(1);

        Assert.Equal(AllocationStanding.OverAllocation, AllocationCharging.StandingOf("kr-llm", grants, [500.0, 0], ["H100"], now, false, out var over));
        Assert.Equal("over allocation: project kr-llm has 0 of 500 short-term H100 hours left", over);
        Assert.Equal(AllocationStanding.Allocated, AllocationCharging.StandingOf("kr-llm", grants, [499.5, 0], ["H100", "H100"], now, false, out var allocated));
        Assert.Equal("allocated: project kr-llm has 0.5 of 500 short-term H100 hours left", allocated);

        // A job that may run on several types is covered only by 'any', which is not current yet.
        Assert.Equal(AllocationStanding.OverAllocation, AllocationCharging.StandingOf("kr-llm", grants, [0.0, 0], ["H100", "A100"], now, false, out var none));
        Assert.Equal("over allocation: project kr-llm has no current allocation for a job of any type", none);

        Assert.Equal(AllocationStanding.Unmanaged, AllocationCharging.StandingOf("x", [], [], [], now, false, out _));
        Assert.Equal(AllocationStanding.OverAllocation, AllocationCharging.StandingOf("x", [], [], [], now, true, out _));
    }

    [Fact]
    public void The_allocation_rules_name_each_bad_field()
    {
        var mega = Build.Mega([Build.Region("a", Build.Pool("H100", 8)), Build.Region("b", Build.Pool("A100", 8))]);
        Assert.Empty(AllocationRules.Validate(mega, "short", "H100", 10, T0, T0.AddDays(1), "a"));
        Assert.Equal(
            ["term", "class", "acceleratorHours", "until"],
            AllocationRules.Validate(mega, "forever", "TPU", double.PositiveInfinity, T0, T0, null).Select(e => e.Field));
        Assert.Equal(
            [new FieldError("acceleratorHours", "must be a finite number between 0 and 1000000000"), new FieldError("from", "is required")],
            AllocationRules.Validate(mega, "mid", "any", -1, null, T0, null));
        Assert.Equal(
            [new FieldError("region", "region 'b' has no 'H100' pool to back the allocation")],
            AllocationRules.Validate(mega, "long", "H100", 1, T0, T0.AddDays(1), "b"));
        Assert.Equal(new FieldError("acceleratorHours", "cannot return 3 accelerator-hours: only 2.5 are unused"), AllocationRules.CheckReturnable("short", "any", 3, 2.5));
        Assert.Equal(new FieldError("class", "the project has no short-term 'H100' allocation"), AllocationRules.CheckReturnable("short", "H100", 1, null));
        Assert.Null(AllocationRules.CheckReturnable("short", "any", 2.5, 2.5));
        Assert.Equal(
            [new FieldError("term", "must be one of short, mid, long (was 'x')"), new FieldError("acceleratorHours", "must be a finite number greater than 0")],
            AllocationRules.ValidateReturn(mega, "x", "H100", 0));
    }
}

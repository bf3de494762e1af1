namespace Federation.Scheduling.Tests;

/// <summary>The request rules the REST API and the grains share: every field at fault is named, once.</summary>
public sealed class RulesTests
{
    private static readonly Megaregion Mega = Build.Mega(
    [
        Build.Region("a", Build.Pool("H100", 8), Build.Pool("NPU", 16, memoryGb: 16)),
        Build.Region("b", Build.Pool("A100", 4, memoryGb: 40)),
    ]);

    private static JobSubmission Job(
        string? id = "j1",
        string project = "p",
        string home = "a",
        int count = 2,
        string[]? types = null,
        int minMemory = 0,
        double hours = 1,
        string? datasetRegion = null,
        double? datasetGb = null,
        string[]? allowed = null) =>
        new(id, project, "kim", home, count, types is null ? [] : [.. types], minMemory, hours, datasetRegion, datasetGb, allowed is null ? [] : [.. allowed]);

    [Fact]
    public void A_valid_submission_breaks_no_rule() => Assert.Empty(JobRules.Validate(Mega, Job(types: ["H100"], datasetRegion: "b", datasetGb: 10)));

    [Fact]
    public void Every_field_at_fault_is_named()
    {
        var errors = JobRules.Validate(Mega, Job(id: "bad id", project: " ", home: "busan", count: 0, hours: -1, datasetRegion: "x", datasetGb: -1, allowed: ["a", "c"]));

        Assert.Equal(
            ["id", "project", "homeRegion", "durationHours", "dataset.region", "dataset.sizeGb", "allowedRegions[1]", "accelerators.count"],
            errors.Select(e => e.Field));
        Assert.Equal("unknown region 'busan'; the regions are a, b", errors.Single(e => e.Field == "homeRegion").Message);
        Assert.Equal("may contain only letters, digits, '-', '_', '.' and ':'", errors.Single(e => e.Field == "id").Message);
    }

    [Fact]
    public void A_dataset_without_a_region_is_named_as_missing()
    {
        var error = Assert.Single(JobRules.Validate(Mega, Job(datasetGb: 5)));

        Assert.Equal(new FieldError("dataset.region", "is required when dataset is given"), error);
    }

    [Fact]
    public void An_unknown_accelerator_type_lists_the_known_ones()
    {
        var error = Assert.Single(JobRules.Validate(Mega, Job(types: ["TPU"])));

        Assert.Equal(new FieldError("accelerators.types[0]", "no region has accelerator type 'TPU'; the types are A100, H100, NPU"), error);
    }

    [Fact]
    public void A_gang_no_allowed_pool_can_hold_is_refused_with_the_largest_pool_named()
    {
        Assert.Equal(
            new FieldError("accelerators.count", "a gang runs in one pool, and no acceptable pool has 20 accelerators (largest: 16)"),
            Assert.Single(JobRules.Validate(Mega, Job(count: 20))));
        Assert.Equal(
            new FieldError("accelerators.minMemoryGb", "no acceptable pool has 64 GB per accelerator (largest: 40 GB)"),
            Assert.Single(JobRules.Validate(Mega, Job(minMemory: 64, allowed: ["b"]))));
        Assert.Equal(
            new FieldError("allowedRegions", "none of the allowed regions has a pool of an acceptable accelerator type"),
            Assert.Single(JobRules.Validate(Mega, Job(types: ["H100"], allowed: ["b"]))));
    }

    [Theory]
    [InlineData("job-1", null)]
    [InlineData("a.b:c_d", null)]
    [InlineData("", "must be 1 to 128 characters")]
    [InlineData("x/y", "may contain only letters, digits, '-', '_', '.' and ':'")]
    public void Job_ids_must_fit_a_path_segment(string id, string? error) => Assert.Equal(error, JobRules.CheckId(id));

    [Fact]
    public void An_offer_may_lend_only_what_the_region_has_once_per_type_in_a_window_that_ends_after_it_starts()
    {
        var region = Mega.Regions[0];
        var from = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Empty(OfferRules.Validate(region, [new("H100", 8), new("NPU", 0)], from, from.AddHours(1)));

        var errors = OfferRules.Validate(region, [new("H100", 9), new("TPU", 1), new("H100", 1), new("NPU", -1)], from, from);

        Assert.Equal(
            [
                new("accelerators[0].count", "must be between 0 and the pool's 8"),
                new("accelerators[1].type", "region 'a' has no 'TPU' pool; its pools are H100, NPU"),
                new("accelerators[2].type", "'H100' is listed twice"),
                new("accelerators[3].count", "must be between 0 and the pool's 16"),
                new FieldError("until", "must be after from"),
            ],
            errors);
    }
}

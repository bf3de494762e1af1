namespace Federation.Scheduling.Tests;

public sealed class MegaregionTests
{
    private static Megaregion Three() => Build.Mega(
        [Build.Region("a", Build.Pool("H100", 8)), Build.Region("b", Build.Pool("H100", 8)), Build.Region("c", Build.Pool("H100", 8))],
        new Link("a", "b", 2, 400),
        new Link("b", "c", 1, 100));

    [Fact]
    public void Transfer_inside_a_region_is_free()
    {
        Assert.Equal(0, Three().TransferTime("a", "a", 10_000));
    }

    [Fact]
    public void Transfer_over_a_link_is_latency_plus_size_over_effective_bandwidth()
    {
        // 1,000 GB = 8,000 Gb over 400 Gbps × 0.7 = 28.571 s, plus 2 ms.
        var t = Three().TransferTime("a", "b", 1000);
        Assert.Equal(0.002 + (8000.0 / (400 * Megaregion.TransferEfficiency)), t, 9);
        Assert.Equal(t, Three().TransferTime("b", "a", 1000), 12);
    }

    [Fact]
    public void Transfer_without_a_direct_link_uses_the_lowest_latency_path_and_its_bottleneck()
    {
        // a→b→c: 3 ms, bottleneck 100 Gbps.
        Assert.Equal(0.003 + (800.0 / (100 * Megaregion.TransferEfficiency)), Three().TransferTime("a", "c", 100), 9);
    }

    [Fact]
    public void Unreachable_regions_take_forever()
    {
        var m = Build.Mega([Build.Region("a", Build.Pool("H100", 1)), Build.Region("b", Build.Pool("H100", 1))]);
        Assert.Equal(double.PositiveInfinity, m.TransferTime("a", "b", 1));
    }
}

using System.Text;

namespace Federation.Scheduling.Tests;

public sealed class MegaregionLoaderTests
{
    [Fact]
    public void The_default_megaregion_has_the_four_regions_and_the_published_Gwangju_figures()
    {
        var m = MegaregionLoader.LoadDefault();
        Assert.Equal(["gwangju", "suncheon", "gwangyang", "daegu"], m.Regions.Select(r => r.Id).ToArray());
        var gwangju = m.Regions[0];
        Assert.False(gwangju.Illustrative);
        Assert.Equal(88.5, gwangju.TotalPetaflops, 1);
        Assert.Equal(107, gwangju.StoragePb);
        Assert.All(m.Regions.Skip(1), r => Assert.True(r.Illustrative));
        var daegu = m.Regions[3];
        Assert.Contains(daegu.Pools, p => p.Type.StartsWith("NPU-", StringComparison.Ordinal));
        Assert.Contains(daegu.Pools, p => p.Type == "H100");
        Assert.Equal(6, m.Links.Length);

        // Every pair is linked directly, with a latency of a few ms.
        foreach (var l in m.Links)
        {
            Assert.InRange(l.LatencyMs, 0.1, 10);
            Assert.InRange(l.BandwidthGbps, 100, 400);
        }

        // Every region lends something to the others.
        Assert.All(m.Regions, r => Assert.NotEmpty(r.Offer.Accelerators));
    }

    private static string Default() => new StreamReader(MegaregionLoader.OpenDefault()).ReadToEnd();

    private static MegaregionFormatException Fails(string json) =>
        Assert.Throws<MegaregionFormatException>(() => MegaregionLoader.Load(new MemoryStream(Encoding.UTF8.GetBytes(json))));

    [Theory]
    [InlineData("{ \"type\": \"NPU-FuriosaAI-RNGD\", \"count\": 128,", "{ \"type\": \"NPU-FuriosaAI-RNGD\", \"count\": 0,", "regions[3].pools[2].count must be > 0")]
    [InlineData("{ \"type\": \"A100\", \"count\": 512,", "{ \"type\": \"A100\", \"count\": 0,", "regions[1].pools[0].count must be > 0")]
    [InlineData("\"id\": \"gwangyang\",", "\"id\": \"\",", "regions[2].id must be a non-empty string")]
    [InlineData("\"id\": \"daegu\",", "\"id\": \"gwangju\",", "regions[3].id 'gwangju' is a duplicate")]
    [InlineData("{ \"a\": \"gwangju\", \"b\": \"daegu\", \"latencyMs\": 3.5,", "{ \"a\": \"gwangju\", \"b\": \"busan\", \"latencyMs\": 3.5,", "links[3].b 'busan' is not a region id")]
    [InlineData("\"bandwidthGbps\": 400, \"illustrative\": true },\n    { \"a\": \"suncheon\"", "\"bandwidthGbps\": -1, \"illustrative\": true },\n    { \"a\": \"suncheon\"", "links[0].bandwidthGbps must be > 0")]
    [InlineData("\"pfPerUnit\": 0.067, \"memoryGb\": 80 },\n        { \"type\": \"A100\"", "\"pfPerUnit\": \"fast\", \"memoryGb\": 80 },\n        { \"type\": \"A100\"", "regions[0].pools[0].pfPerUnit must be a number")]
    [InlineData("{ \"type\": \"A100\", \"count\": 384 }", "{ \"type\": \"A100\", \"count\": 999 }", "regions[1].offer.accelerators[0].count must be <= the pool's count (512)")]
    [InlineData("{ \"type\": \"H100\", \"count\": 256 }", "{ \"type\": \"TPU\", \"count\": 256 }", "regions[2].offer.accelerators[0].type 'TPU' is not a pool type of this region")]
    public void A_bad_field_is_named_in_the_error(string find, string replace, string expected)
    {
        var json = Default();
        Assert.Contains(find, json, StringComparison.Ordinal);
        var e = Fails(json.Replace(find, replace, StringComparison.Ordinal));
        Assert.Equal(expected, e.Message);
    }

    [Fact]
    public void Missing_and_malformed_structure_is_named()
    {
        Assert.Equal("regions is required", Fails("{}").Message);
        Assert.Equal("regions must not be empty", Fails("{\"regions\": []}").Message);
        Assert.Equal("regions[0].pools is required", Fails("{\"regions\": [{\"id\": \"x\"}]}").Message);
        Assert.Equal("regions[0].pools[0].memoryGb is required", Fails("{\"regions\": [{\"id\": \"x\", \"pools\": [{\"type\": \"H100\", \"count\": 1, \"pfPerUnit\": 1}]}]}").Message);
        Assert.StartsWith("megaregion file is not valid JSON", Fails("{ nope").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_minimal_file_loads()
    {
        var m = MegaregionLoader.Load(new MemoryStream(Encoding.UTF8.GetBytes(
            "{\"regions\": [{\"id\": \"x\", \"pools\": [{\"type\": \"H100\", \"count\": 2, \"pfPerUnit\": 0.067, \"memoryGb\": 80}]}]}")));
        Assert.Equal(2, m.TotalAccelerators);
        Assert.Same(SpareCapacityOffer.None, m.Regions[0].Offer);
    }
}

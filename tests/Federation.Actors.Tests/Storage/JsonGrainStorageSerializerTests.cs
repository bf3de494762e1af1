using System.Collections.Immutable;
using System.Text;
using Federation.Actors.Storage;
using Federation.Actors.TestKit.Storage;

namespace Federation.Actors.Tests.Storage;

public sealed class JsonGrainStorageSerializerTests
{
    private readonly JsonGrainStorageSerializer _serializer = new();

    [Fact]
    public void RoundTripsImmutableCollectionsAtTheTopLevel()
    {
        var array = ImmutableArray.Create(3, 1, 2);
        var list = ImmutableList.Create("a", "b");
        var dictionary = ImmutableDictionary<string, int>.Empty.Add("x", 1).Add("y", 2);
        var sorted = ImmutableSortedDictionary<string, int>.Empty.Add("b", 2).Add("a", 1);

        Assert.Equal([3, 1, 2], _serializer.Deserialize<ImmutableArray<int>>(_serializer.Serialize(array)).ToArray());
        Assert.Equal(list, _serializer.Deserialize<ImmutableList<string>>(_serializer.Serialize(list)));
        Assert.Equal(dictionary.OrderBy(p => p.Key), _serializer.Deserialize<ImmutableDictionary<string, int>>(_serializer.Serialize(dictionary)).OrderBy(p => p.Key));
        Assert.Equal(["a", "b"], _serializer.Deserialize<ImmutableSortedDictionary<string, int>>(_serializer.Serialize(sorted)).Keys);
    }

    [Fact]
    public void StoresEnumsByName()
    {
        var json = Encoding.UTF8.GetString(_serializer.Serialize(new TestAllocationPhase(TestPhase.Queued)));

        Assert.Equal("{\"Phase\":\"Queued\"}", json);
    }

    [Fact]
    public void IgnoresMembersThatNoLongerExist()
    {
        var old = "{\"Region\":\"daegu\",\"Accelerators\":8,\"Removed\":true}"u8.ToArray();

        Assert.Equal(new TestAllocation("daegu", 8), _serializer.Deserialize<TestAllocation>(old));
    }

    [Fact]
    public void MissingMembersTakeTheirDefaults()
    {
        var old = "{\"Name\":\"gwangju\",\"Count\":2}"u8.ToArray();

        var state = _serializer.Deserialize<ImmutableTestState>(old);

        Assert.Equal("gwangju", state.Name);
        Assert.True(state.Numbers.IsEmpty);
        Assert.Empty(state.Allocations);
    }

    private sealed record TestAllocationPhase(TestPhase Phase);
}

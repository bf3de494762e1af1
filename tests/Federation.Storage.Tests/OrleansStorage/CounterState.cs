namespace Federation.Storage.Tests.OrleansStorage;

/// <summary>A grain state written with Orleans' serializer, as the region, project and megaregion states are.</summary>
[GenerateSerializer]
[Alias("Federation.Storage.Tests.CounterState")]
public sealed class CounterState
{
    [Id(0)]
    public int Value { get; set; }

    [Id(1)]
    public string Text { get; set; } = string.Empty;

    [Id(2)]
    public List<int> Items { get; set; } = [];
}

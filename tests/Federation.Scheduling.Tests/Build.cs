using System.Collections.Immutable;

namespace Federation.Scheduling.Tests;

/// <summary>Small fixtures.</summary>
internal static class Build
{
    public static Region Region(string id, params AcceleratorPool[] pools) =>
        new(id, id, [.. pools], 1, true, SpareCapacityOffer.None);

    public static Region Region(string id, SpareCapacityOffer offer, params AcceleratorPool[] pools) =>
        new(id, id, [.. pools], 1, true, offer);

    public static SpareCapacityOffer Offer(params (string Type, int Count)[] acc) =>
        new([.. acc.Select(a => new OfferedAccelerators(a.Type, a.Count))], 0, double.PositiveInfinity, false);

    public static AcceleratorPool Pool(string type, int count, int memoryGb = 80) => new(type, count, 0.067, memoryGb);

    public static JobSpec Job(
        string id,
        int count,
        double duration,
        string home = "a",
        string[]? types = null,
        int minMemory = 0,
        string[]? allowed = null,
        int priority = 0,
        string? datasetRegion = null,
        double datasetGb = 0) =>
        new(id, "p", "u", home, count, types is null ? [] : [.. types], minMemory, duration, datasetRegion ?? home, datasetGb, allowed is null ? [] : [.. allowed], priority);

    public static Megaregion Mega(ImmutableArray<Region> regions, params Link[] links) => new(regions, [.. links]);
}

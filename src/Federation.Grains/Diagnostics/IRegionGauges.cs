using System.Collections.Immutable;
using Federation.Scheduling;

namespace Federation.Grains.Diagnostics;

/// <summary>
/// Where a region grain reports its load for the observable gauges of the silo it runs on. A region is reported by the
/// silo that hosts its grain and by no other: the grain opens its slot when it activates and closes it when it
/// deactivates or migrates, so after a move the region's series come from its new silo.
/// </summary>
public interface IRegionGauges
{
    /// <summary>Starts reporting <paramref name="region"/> from this silo, replacing a slot left open for it.</summary>
    /// <param name="region">The region's id.</param>
    /// <param name="pools">The region's pools, in the order the grain's scheduler numbers them.</param>
    /// <returns>The slot the grain writes its load into whenever it changes.</returns>
    RegionGaugeSlot Open(string region, ImmutableArray<AcceleratorPool> pools);

    /// <summary>Stops reporting the slot's region from this silo, unless another slot has been opened for it since.</summary>
    void Close(RegionGaugeSlot slot);
}

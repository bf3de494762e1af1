using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using Federation.Scheduling;

namespace Federation.Grains.Diagnostics;

/// <summary>
/// The silo's region gauges (meter <see cref="GrainsInstrumentNames.MeterName"/>): queue length, queue demand and
/// running jobs per region; busy and installed accelerators and utilization per region and accelerator type. They report
/// the regions whose grains run on this silo (<see cref="IRegionGauges"/>), read from their slots at each collection.
/// </summary>
public sealed class RegionGauges : IRegionGauges
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, RegionGaugeSlot> _slots = new(StringComparer.Ordinal);

    public RegionGauges(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(GrainsInstrumentNames.MeterName);
        meter.CreateObservableGauge<int>(GrainsInstrumentNames.QueueLength, () => PerRegion(static s => s.QueueLength), "{job}", "Jobs waiting in the region (queued, or staged until their data arrives).");
        meter.CreateObservableGauge<long>(GrainsInstrumentNames.QueueDemand, () => PerRegion(static s => s.QueueDemand), "{accelerator}", "Accelerators the jobs waiting in the region ask for.");
        meter.CreateObservableGauge<int>(GrainsInstrumentNames.RunningJobs, () => PerRegion(static s => s.Running), "{job}", "Jobs running in the region.");
        meter.CreateObservableGauge<int>(GrainsInstrumentNames.AcceleratorsBusy, () => PerType(static (busy, _) => busy), "{accelerator}", "Busy accelerators of the region, per type.");
        meter.CreateObservableGauge<int>(GrainsInstrumentNames.AcceleratorsCapacity, () => PerType(static (_, capacity) => capacity), "{accelerator}", "Installed accelerators of the region, per type.");
        meter.CreateObservableGauge<double>(GrainsInstrumentNames.Utilization, () => PerType(static (busy, capacity) => capacity == 0 ? 0.0 : (double)busy / capacity), "1", "Busy over installed accelerators of the region, per type (0 to 1).");
    }

    /// <summary>The regions this silo reports, sorted.</summary>
    public IReadOnlyList<string> Regions
    {
        get
        {
            lock (_lock)
            {
                var regions = _slots.Keys.ToList();
                regions.Sort(StringComparer.Ordinal);
                return regions;
            }
        }
    }

    public RegionGaugeSlot Open(string region, ImmutableArray<AcceleratorPool> pools)
    {
        ArgumentNullException.ThrowIfNull(region);
        var slot = new RegionGaugeSlot(region, pools);
        lock (_lock)
        {
            _slots[region] = slot;
        }

        return slot;
    }

    public void Close(RegionGaugeSlot slot)
    {
        ArgumentNullException.ThrowIfNull(slot);
        lock (_lock)
        {
            if (_slots.TryGetValue(slot.Region, out var open) && ReferenceEquals(open, slot))
            {
                _slots.Remove(slot.Region);
            }
        }
    }

    private RegionGaugeSlot[] Slots()
    {
        lock (_lock)
        {
            return [.. _slots.Values];
        }
    }

    private IEnumerable<Measurement<T>> PerRegion<T>(Func<RegionGaugeSlot, T> read)
        where T : struct
    {
        var slots = Slots();
        var measurements = new List<Measurement<T>>(slots.Length);
        foreach (var slot in slots)
        {
            measurements.Add(new Measurement<T>(read(slot), new KeyValuePair<string, object?>(GrainsInstrumentNames.RegionTag, slot.Region)));
        }

        return measurements;
    }

    private IEnumerable<Measurement<T>> PerType<T>(Func<int, int, T> read)
        where T : struct
    {
        var measurements = new List<Measurement<T>>();
        foreach (var slot in Slots())
        {
            var busy = new int[slot.Types.Length];
            for (var p = 0; p < slot.Pools.Length; p++)
            {
                busy[slot.TypeOfPool[p]] += slot.BusyOf(p);
            }

            for (var t = 0; t < slot.Types.Length; t++)
            {
                measurements.Add(new Measurement<T>(
                    read(busy[t], slot.Capacity[t]),
                    new KeyValuePair<string, object?>(GrainsInstrumentNames.RegionTag, slot.Region),
                    new KeyValuePair<string, object?>(GrainsInstrumentNames.TypeTag, slot.Types[t])));
            }
        }

        return measurements;
    }
}

using Federation.Grains.Diagnostics;

namespace Federation.Grains.Regions;

/// <summary>
/// The region's load on the gauges of the silo that hosts it (<see cref="IRegionGauges"/>): the slot is opened once the
/// activation has rebuilt its queue, written on every change of the load (<see cref="MarkLoadChanged"/>), and closed when
/// the activation ends or migrates, so one silo at a time reports the region.
/// </summary>
public sealed partial class RegionGrain
{
    private RegionGaugeSlot? _gaugeSlot;

    private void OpenGauges()
    {
        _gaugeSlot = _gauges.Open(Id, _baseModel.Pools);
        UpdateGauges();
    }

    private void UpdateGauges()
    {
        if (_gaugeSlot is not { } slot)
        {
            return;
        }

        slot.Set(_scheduler.QueuedCount + _staging, QueuedDemand(), _scheduler.RunningCount);
        for (var p = 0; p < _baseModel.Pools.Length; p++)
        {
            slot.SetBusy(p, _scheduler.PoolBusy(p));
        }
    }

    private void CloseGauges()
    {
        if (_gaugeSlot is { } slot)
        {
            _gauges.Close(slot);
            _gaugeSlot = null;
        }
    }
}

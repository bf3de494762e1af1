using System.Collections.Immutable;
using Federation.Contracts;
using Federation.Scheduling;

namespace Federation.Grains.Regions;

/// <summary>
/// Returned hours as spare capacity (issue 16): a project that gives back hours of an allocation this region backs makes
/// the region lend more accelerators of that type to other regions' jobs until the end of the allocation's term. Each
/// return is stored in the region's state (<see cref="RegionConfig.Returned"/>) and added to the operator's offer when the
/// scheduler is built (at most each pool's size); an alarm on the execution clock at the earliest term end drops the
/// lapsed ones and rebuilds the scheduler, so a return raises the offer for the rest of its term and not after.
/// </summary>
public sealed partial class RegionGrain
{
    private IDisposable? _returnedAlarm;

    public async Task<RegionView> AddReturnedCapacityAsync(ReturnedCapacityView returned)
    {
        ArgumentNullException.ThrowIfNull(returned);
        if (returned.Count <= 0 || !_baseModel.Pools.Any(p => string.Equals(p.Type, returned.Type, StringComparison.Ordinal)))
        {
            throw new ArgumentException($"{Id} cannot lend {returned.Count} '{returned.Type}' accelerators: it has no such pool or the count is not positive", nameof(returned));
        }

        if (returned.Until > _clock.Now && !_config.State.Returned.Exists(r => string.Equals(r.Source, returned.Source, StringComparison.Ordinal)))
        {
            _config.State.Returned.Add(returned);
            await _config.WriteStateAsync();
            Remodel($"capacity returned to {Id}'s offer");
            ArmReturnedCapacityAlarm();
        }

        return BuildView();
    }

    public async Task OnReturnedCapacityDueAsync()
    {
        _returnedAlarm = null;
        var now = _clock.Now;
        if (_config.State.Returned.RemoveAll(r => r.Until <= now) > 0)
        {
            await _config.WriteStateAsync();

            // Lent jobs already running keep their accelerators; only new lends see the smaller offer.
            Remodel($"returned capacity of {Id} lapsed at the end of its term");
            PublishLoad(force: true);
        }

        ArmReturnedCapacityAlarm();
    }

    /// <summary>The model with the returned capacity that has not lapsed added to its offer, at most each pool's size.</summary>
    private Scheduling.Region WithReturnedCapacity(Scheduling.Region model)
    {
        if (_config.State.Returned.Count == 0)
        {
            return model;
        }

        var now = _clock.Now;
        var offered = ImmutableArray.CreateBuilder<OfferedAccelerators>(model.Pools.Length);
        foreach (var pool in model.Pools)
        {
            var count = model.Offer.CountFor(pool.Type);
            foreach (var r in _config.State.Returned)
            {
                if (r.Until > now && string.Equals(r.Type, pool.Type, StringComparison.Ordinal))
                {
                    count += r.Count;
                }
            }

            if (count > 0)
            {
                offered.Add(new OfferedAccelerators(pool.Type, Math.Min(count, pool.Count)));
            }
        }

        return model with { Offer = model.Offer with { Accelerators = offered.ToImmutable() } };
    }

    /// <summary>Arms the alarm for the earliest term end among the returned capacity.</summary>
    private void ArmReturnedCapacityAlarm()
    {
        _returnedAlarm?.Dispose();
        _returnedAlarm = null;
        if (_config.State.Returned.Count == 0)
        {
            return;
        }

        var next = DateTimeOffset.MaxValue;
        foreach (var r in _config.State.Returned)
        {
            if (r.Until < next)
            {
                next = r.Until;
            }
        }

        _returnedAlarm = _clock.At(next, static self => self.OnReturnedCapacityDueAsync(), _grains.Region(Id));
    }
}

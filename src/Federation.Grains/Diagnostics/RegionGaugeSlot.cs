using System.Collections.Immutable;
using Federation.Scheduling;

namespace Federation.Grains.Diagnostics;

/// <summary>
/// One region's load as its grain last wrote it: the figures behind the region gauges. The grain writes on every change
/// of its load (an admission, a start, an end), so a write is a handful of stores with no allocation; a scrape reads them
/// from another thread, each figure whole (a scrape may see one change before another, never half a number).
/// </summary>
public sealed class RegionGaugeSlot
{
    private readonly int[] _poolBusy;
    private int _queueLength;
    private long _queueDemand;
    private int _running;

    internal RegionGaugeSlot(string region, ImmutableArray<AcceleratorPool> pools)
    {
        Region = region;
        Pools = pools;
        _poolBusy = new int[pools.Length];

        // Series are per accelerator type: pools of one type (say, two H100 halls) are summed.
        var types = new List<string>(pools.Length);
        TypeOfPool = new int[pools.Length];
        for (var p = 0; p < pools.Length; p++)
        {
            var t = types.IndexOf(pools[p].Type);
            if (t < 0)
            {
                t = types.Count;
                types.Add(pools[p].Type);
            }

            TypeOfPool[p] = t;
        }

        Types = [.. types];
        Capacity = new int[Types.Length];
        for (var p = 0; p < pools.Length; p++)
        {
            Capacity[TypeOfPool[p]] += pools[p].Count;
        }
    }

    /// <summary>The region's id.</summary>
    public string Region { get; }

    /// <summary>The region's pools, numbered as in <see cref="SetBusy"/>.</summary>
    public ImmutableArray<AcceleratorPool> Pools { get; }

    /// <summary>The region's accelerator types, each once.</summary>
    internal string[] Types { get; }

    /// <summary>The index in <see cref="Types"/> of each pool's type.</summary>
    internal int[] TypeOfPool { get; }

    /// <summary>Installed accelerators per entry of <see cref="Types"/>.</summary>
    internal int[] Capacity { get; }

    /// <summary>Jobs waiting (queued or staged).</summary>
    public int QueueLength => Volatile.Read(ref _queueLength);

    /// <summary>Accelerators the waiting jobs ask for.</summary>
    public long QueueDemand => Volatile.Read(ref _queueDemand);

    /// <summary>Jobs running.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>Busy accelerators of one pool.</summary>
    public int BusyOf(int pool) => Volatile.Read(ref _poolBusy[pool]);

    /// <summary>Records the region's queue and running jobs.</summary>
    public void Set(int queueLength, long queueDemand, int running)
    {
        Volatile.Write(ref _queueLength, queueLength);
        Volatile.Write(ref _queueDemand, queueDemand);
        Volatile.Write(ref _running, running);
    }

    /// <summary>Records the busy accelerators of one pool.</summary>
    public void SetBusy(int pool, int busy) => Volatile.Write(ref _poolBusy[pool], busy);
}

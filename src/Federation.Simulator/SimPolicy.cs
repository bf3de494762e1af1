namespace Federation.Simulator;

/// <summary>The policies one run compares.</summary>
public enum SimPolicy
{
    /// <summary>Each job stays home: no federation (the upper baseline of the gap).</summary>
    Isolated,

    /// <summary>A uniformly random feasible region.</summary>
    Random,

    /// <summary>The feasible region with the lowest (busy + queued) / capacity.</summary>
    LeastLoaded,

    /// <summary>Ours: the feasible region with the earliest expected start after data transfer.</summary>
    EarliestStart,

    /// <summary><see cref="EarliestStart"/> plus the periodic rebalancer of queued jobs.</summary>
    EarliestStartRebalance,

    /// <summary>One pool with the megaregion's total capacity, free data movement, no placement constraints: the lower bound.</summary>
    Pooled,
}

/// <summary>Policy names as the command line and the outputs spell them.</summary>
public static class SimPolicies
{
    public static IReadOnlyList<SimPolicy> All { get; } =
    [
        SimPolicy.Isolated, SimPolicy.Random, SimPolicy.LeastLoaded, SimPolicy.EarliestStart, SimPolicy.EarliestStartRebalance, SimPolicy.Pooled,
    ];

    public static string Name(SimPolicy p) => p switch
    {
        SimPolicy.Isolated => "isolated",
        SimPolicy.Random => "random",
        SimPolicy.LeastLoaded => "least-loaded",
        SimPolicy.EarliestStart => "earliest-start",
        SimPolicy.EarliestStartRebalance => "earliest-start+rebalance",
        SimPolicy.Pooled => "pooled",
        _ => throw new ArgumentOutOfRangeException(nameof(p), p, null),
    };

    public static bool TryParse(string name, out SimPolicy policy)
    {
        foreach (var p in All)
        {
            if (string.Equals(Name(p), name, StringComparison.OrdinalIgnoreCase))
            {
                policy = p;
                return true;
            }
        }

        policy = default;
        return false;
    }
}

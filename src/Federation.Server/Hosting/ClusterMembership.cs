using Orleans.Configuration;

namespace Federation.Server.Hosting;

/// <summary>
/// The membership options of a cluster's silos: a silo that stops answering probes is declared dead within seconds,
/// so its region is shown unreachable and its grains move to the silos left (Orleans' defaults take ten seconds for a
/// killed silo and about a minute for a hung one). The price is more probe traffic (one probe per silo per second)
/// and a silo stalled for a few seconds by a long GC pause being voted out; the figures measured with these options
/// are in docs/durability.md.
/// </summary>
public static class ClusterMembership
{
    /// <summary>How long a probe is waited for.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Probes missed in a row before a silo suspects another.</summary>
    public const int NumMissedProbesLimit = 2;

    /// <summary>How often each silo reads the membership table, whatever it was told.</summary>
    public static readonly TimeSpan TableRefreshTimeout = TimeSpan.FromSeconds(2);

    /// <summary>How often a silo writes that it is alive (read by silos that start, and by operators).</summary>
    public static readonly TimeSpan IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);

    public static void Apply(ClusterMembershipOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ProbeTimeout = ProbeTimeout;
        options.NumMissedProbesLimit = NumMissedProbesLimit;
        options.TableRefreshTimeout = TableRefreshTimeout;
        options.IAmAliveTablePublishTimeout = IAmAliveTablePublishTimeout;
    }
}

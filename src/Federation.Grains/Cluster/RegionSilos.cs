using System.Collections.Immutable;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace Federation.Grains.Cluster;

/// <summary>
/// Which silos run which region, from Orleans' membership (active silos) and each silo's metadata
/// (<see cref="MetadataKey"/>). In the embedded default the one silo has no region: every region is hosted on it and
/// always reachable. In a cluster a region is reachable while at least one active silo carries its id.
/// </summary>
public sealed class RegionSilos
{
    /// <summary>The silo metadata key that names the region a silo runs.</summary>
    public const string MetadataKey = "region";

    private readonly IClusterMembershipService _membership;
    private readonly ISiloMetadataCache _metadata;
    private readonly SiloAddress _localSilo;

    public RegionSilos(IClusterMembershipService membership, ISiloMetadataCache metadata, ILocalSiloDetails local, IOptions<SiloMetadata> localMetadata)
    {
        ArgumentNullException.ThrowIfNull(membership);
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(localMetadata);
        _membership = membership;
        _metadata = metadata;
        _localSilo = local.SiloAddress;
        LocalSiloName = _localSilo.ToParsableString();
        LocalRegion = localMetadata.Value.Metadata.TryGetValue(MetadataKey, out var region) && !string.IsNullOrEmpty(region) ? region : null;
    }

    /// <summary>The region this silo runs; null for the embedded default's silo, which runs every region.</summary>
    public string? LocalRegion { get; }

    /// <summary>Whether silos run one region each (false: one silo runs all of them).</summary>
    public bool PerRegion => LocalRegion is not null;

    /// <summary>This silo.</summary>
    public SiloAddress LocalSilo => _localSilo;

    /// <summary>This silo's address as text (<c>host:port@generation</c>).</summary>
    public string LocalSiloName { get; }

    /// <summary>The region a silo runs, as its metadata says; null when it names none or is not known yet.</summary>
    public string? RegionOf(SiloAddress silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        if (silo.Equals(_localSilo))
        {
            return LocalRegion;
        }

        return _metadata.GetSiloMetadata(silo).Metadata.TryGetValue(MetadataKey, out var region) ? region : null;
    }

    /// <summary>Whether this silo is a home of <paramref name="region"/> (the embedded silo is home to every region).</summary>
    public bool IsHomeHere(string region) => LocalRegion is null || string.Equals(LocalRegion, region, StringComparison.Ordinal);

    /// <summary>The active silos that run <paramref name="region"/>, in address order.</summary>
    public ImmutableArray<SiloAddress> ActiveSilosOf(string region)
    {
        ArgumentNullException.ThrowIfNull(region);
        var result = ImmutableArray.CreateBuilder<SiloAddress>();
        foreach (var (address, member) in _membership.CurrentSnapshot.Members)
        {
            if (member.Status == SiloStatus.Active && string.Equals(RegionOf(address), region, StringComparison.Ordinal))
            {
                result.Add(address);
            }
        }

        result.Sort(static (a, b) => a.CompareTo(b));
        return result.ToImmutable();
    }

    /// <summary>
    /// Whether <paramref name="region"/> has a live silo: always in the embedded default, else while an active silo
    /// carries its id.
    /// </summary>
    public bool IsReachable(string region) => !PerRegion || !ActiveSilosOf(region).IsEmpty;

    /// <summary>Of <paramref name="candidates"/>, a silo of <paramref name="region"/> (this one first), or null.</summary>
    public SiloAddress? HomeOf(string region, SiloAddress[] candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        if (!PerRegion)
        {
            return null;
        }

        SiloAddress? found = null;
        foreach (var silo in candidates)
        {
            if (!string.Equals(RegionOf(silo), region, StringComparison.Ordinal))
            {
                continue;
            }

            if (silo.Equals(_localSilo))
            {
                return silo;
            }

            if (found is null || silo.CompareTo(found) < 0)
            {
                found = silo;
            }
        }

        return found;
    }
}

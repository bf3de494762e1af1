using Federation.Contracts;
using Federation.Grains.Diagnostics;
using Federation.Scheduling;

namespace Federation.Grains.Regions;

/// <summary>
/// The residency policy as the region applies it. A change narrows what the region admits at once; the queued jobs (and
/// those whose data is on its way) whose class no longer allows the region are released and placed again, within their
/// class as it is now. Running jobs keep running where they are (as Kubernetes' "IgnoredDuringExecution"): the class is
/// checked whenever a job is placed or moved, so a running job that is later preempted, released or drained is placed
/// within the class as it is then. A change reaches the region by push (<see cref="OnResidencyChangedAsync"/>, before
/// the change answers) or, if that push was lost, by the silo's periodic read, which a timer here picks up.
/// </summary>
public sealed partial class RegionGrain
{
    private long _residencyVersion;

    public Task OnResidencyChangedAsync(ResidencyPolicyView policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        _residency.Offer(policy);
        SweepResidency();
        return Task.CompletedTask;
    }

    private Task SweepResidencyAsync()
    {
        SweepResidency();
        return Task.CompletedTask;
    }

    /// <summary>Applies the silo's copy of the policy to the held jobs, once per version.</summary>
    private void SweepResidency()
    {
        var residency = _residency.Current;
        if (residency.Policy.Version == _residencyVersion)
        {
            return;
        }

        _residencyVersion = residency.Policy.Version;
        List<Entry>? released = null;
        foreach (var entry in _entries.Values)
        {
            if (entry.Spec.ResidencyClass is not { } className)
            {
                continue;
            }

            entry.Spec = entry.Spec with { ResidencyRegions = residency.RegionsOf(className) };
            if (!entry.Running && !entry.Spec.ResidencyAllows(Id))
            {
                (released ??= []).Add(entry);
            }
        }

        if (released is null)
        {
            return;
        }

        foreach (var entry in released)
        {
            var className = entry.Spec.ResidencyClass!;
            Remove(entry);
            GrainsLog.ResidencyReleased(_logger, Id, entry.JobId, className, _residencyVersion);
            NotifyReleased(entry.JobId, residency.Policy.Find(className) is { } c
                ? $"{ResidencyRules.Describe(className, c.Regions)}, no longer {Id}"
                : $"residency class {className} no longer exists");
        }

        RunSchedule();
        MarkLoadChanged();
    }
}

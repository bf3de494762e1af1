using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using Federation.Contracts;
using Federation.Grains.Hosting;
using Federation.Scheduling;
using Microsoft.Extensions.Options;

namespace Federation.Grains.Projects;

/// <summary>
/// A silo's cache of the projects' allocations, from which its routers decide each job's standing
/// (<see cref="AllocationStanding"/>) without a call to the project per job. A project's entry is fetched
/// (<see cref="IProjectGrain.GetStandingAsync"/>) the first time a silo places one of its jobs, and refreshed in the
/// background once it is older than <see cref="AllocationOptions.StandingRefresh"/>; a placement meanwhile uses the
/// entry it has. So a standing is at most one refresh (plus the project's own recompute interval for runs that started
/// since its last recompute) behind the rows. A project that cannot be asked for a silo's first job of it leaves that
/// job unmanaged; a failed background refresh keeps the entry. Job grains read a project's priority class from it too
/// (<see cref="PriorityAsync"/>).
/// </summary>
public sealed class ProjectStandings(GrainReferences grains, TimeProvider runtimeTime, IOptions<AllocationOptions> options)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly AllocationOptions _options = options.Value;

    /// <summary>The standing of <paramref name="job"/> at <paramref name="now"/>; <paramref name="reason"/> is null for an unmanaged job.</summary>
    public ValueTask<(AllocationStanding Standing, string? Reason)> DecideAsync(JobRequest job, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(job);
        return TryCached(job.Project, out var entry, out var view)
            ? new(Decide(entry, view, job, now))
            : DecideSlowAsync(job, now);
    }

    /// <summary>
    /// The project's priority class, from the same cache (so a coordinator's change reaches this silo's submissions within
    /// one refresh, at once for a change made through it). A project that cannot be asked for a silo's first job of it
    /// gives 0, as it leaves that job unmanaged.
    /// </summary>
    public async ValueTask<int> PriorityAsync(string project)
    {
        ArgumentNullException.ThrowIfNull(project);
        if (TryCached(project, out _, out var view))
        {
            return view.Priority;
        }

        return (await FetchFirstAsync(project)).View?.Priority ?? 0;
    }

    /// <summary>Forgets every cached project (a test, or a coordinator who wants a change seen at once on this silo).</summary>
    public void Clear() => _entries.Clear();

    /// <summary>Replaces the cached allocations of a project (after a change made through this silo).</summary>
    public void Update(ProjectView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var entry = _entries.GetOrAdd(view.Id, static _ => new Entry());
        entry.Set(view, runtimeTime.GetTimestamp());
    }

    /// <summary>The project's cached entry, refreshed in the background once older than the refresh period; false when none was fetched yet.</summary>
    private bool TryCached(string project, [NotNullWhen(true)] out Entry? entry, [NotNullWhen(true)] out ProjectView? view)
    {
        if (_entries.TryGetValue(project, out entry) && entry.View is { } cached)
        {
            if (runtimeTime.GetElapsedTime(entry.FetchedAt) > _options.StandingRefresh)
            {
                // In the background: this call answers from what the cache has.
                _ = entry.Refresh(this, project);
            }

            view = cached;
            return true;
        }

        view = null;
        return false;
    }

    /// <summary>
    /// A project's first use on this silo: the project is asked. When it cannot answer (its silo died, the store is down)
    /// the view is null (the job is placed unmanaged, with priority 0, rather than not at all) and the next use asks again.
    /// </summary>
    private async ValueTask<(Entry Entry, ProjectView? View)> FetchFirstAsync(string project)
    {
        var entry = _entries.GetOrAdd(project, static _ => new Entry());
        try
        {
            return (entry, await entry.Refresh(this, project));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return (entry, null);
        }
    }

    private async ValueTask<(AllocationStanding, string?)> DecideSlowAsync(JobRequest job, DateTimeOffset now)
    {
        var (entry, view) = await FetchFirstAsync(job.Project);
        return view is null ? (AllocationStanding.Unmanaged, null) : Decide(entry, view, job, now);
    }

    private (AllocationStanding, string?) Decide(Entry entry, ProjectView view, JobRequest job, DateTimeOffset now)
    {
        if (view.Allocations.IsDefaultOrEmpty && !_options.RequireAllocation)
        {
            return (AllocationStanding.Unmanaged, null);
        }

        var (grants, used) = entry.Grants();
        var standing = AllocationCharging.StandingOf(job.Project, grants, used, job.Accelerators.Types, now, _options.RequireAllocation, out var reason);
        return (standing, reason);
    }

    private Task<ProjectView> FetchAsync(string project) => grains.Project(project).GetStandingAsync();

    private long Timestamp() => runtimeTime.GetTimestamp();

    private sealed class Entry
    {
        private readonly Lock _lock = new();
        private Task<ProjectView>? _refreshing;
        private (List<AllocationGrant> Grants, double[] Used) _grants = ([], []);

        public ProjectView? View { get; private set; }

        /// <summary>The view's allocations in the charging model, built once per fetch rather than per placement.</summary>
        public (List<AllocationGrant> Grants, double[] Used) Grants()
        {
            lock (_lock)
            {
                return _grants;
            }
        }

        public long FetchedAt { get; private set; }

        public void Set(ProjectView view, long at)
        {
            var grants = new List<AllocationGrant>(view.Allocations.Length);
            var used = new double[view.Allocations.Length];
            for (var i = 0; i < view.Allocations.Length; i++)
            {
                var a = view.Allocations[i];
                grants.Add(new AllocationGrant(a.Term, a.Class, a.AcceleratorHours, a.From, a.Until, a.ReturnedAcceleratorHours));
                used[i] = a.UsedAcceleratorHours;
            }

            lock (_lock)
            {
                View = view;
                FetchedAt = at;
                _grants = (grants, used);
            }
        }

        /// <summary>Fetches the project's allocations unless a fetch is already under way; a failed fetch keeps the old entry.</summary>
        public Task<ProjectView> Refresh(ProjectStandings owner, string project)
        {
            lock (_lock)
            {
                if (_refreshing is { IsCompleted: false } inFlight)
                {
                    return inFlight;
                }

                var started = owner.Timestamp();
                _refreshing = FetchAndSetAsync(owner, project, started);
                return _refreshing;
            }
        }

        private async Task<ProjectView> FetchAndSetAsync(ProjectStandings owner, string project, long started)
        {
            ProjectView view;
            try
            {
                view = await owner.FetchAsync(project).ConfigureAwait(false);
            }
            catch (Exception) when (View is { } kept)
            {
                // A background refresh that failed keeps the entry it had for another refresh period, so an unreachable
                // project costs one call per period, not one per placement.
                Set(kept, started);
                return kept;
            }

            Set(view, started);
            return view;
        }
    }
}

using System.Collections.Concurrent;
using System.Collections.Immutable;
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
        if (_entries.TryGetValue(job.Project, out var entry) && entry.View is { } view)
        {
            if (runtimeTime.GetElapsedTime(entry.FetchedAt) > _options.StandingRefresh)
            {
                entry.Refresh(this, job.Project);
            }

            return new(Decide(entry, view, job, now));
        }

        return DecideSlowAsync(job, now);
    }

    /// <summary>
    /// The project's priority class, from the same cache (so a coordinator's change reaches this silo's submissions within
    /// one refresh, at once for a change made through it). A project that cannot be asked for a silo's first job of it
    /// gives 0, as it leaves that job unmanaged.
    /// </summary>
    public async ValueTask<int> PriorityAsync(string project)
    {
        ArgumentNullException.ThrowIfNull(project);
        if (_entries.TryGetValue(project, out var entry) && entry.View is { } view)
        {
            if (runtimeTime.GetElapsedTime(entry.FetchedAt) > _options.StandingRefresh)
            {
                // In the background: this submission takes the class the cache has.
                _ = entry.Refresh(this, project);
            }

            return view.Priority;
        }

        entry = _entries.GetOrAdd(project, static _ => new Entry());
        try
        {
            return (await entry.Refresh(this, project)).Priority;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return 0;
        }
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

    /// <summary>
    /// The first job of a project on this silo: the project is asked. When it cannot answer (its silo died, the store is
    /// down) the job is placed unmanaged rather than not at all, and the next job asks again.
    /// </summary>
    private async ValueTask<(AllocationStanding, string?)> DecideSlowAsync(JobRequest job, DateTimeOffset now)
    {
        var entry = _entries.GetOrAdd(job.Project, static _ => new Entry());
        ProjectView view;
        try
        {
            view = await entry.Refresh(this, job.Project);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return (AllocationStanding.Unmanaged, null);
        }

        return Decide(entry, view, job, now);
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

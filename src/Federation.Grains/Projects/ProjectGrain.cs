using System.Collections.Immutable;
using System.Globalization;
using Federation.Actors;
using Federation.Contracts;
using Federation.Grains.Hosting;

namespace Federation.Grains.Projects;

/// <summary>
/// A project's allocations by term and its usage. Usage is charged to the shortest term with hours
/// left (short, then mid, then long), the rest is recorded as unallocated. Each notice is idempotent per job.
/// </summary>
public sealed class ProjectGrain([PersistentState(ProjectState.StateName, FederationGrainsOptions.DefaultStorageName)] IPersistentState<ProjectState> state) : Grain, IProjectGrain
{
    /// <summary>The terms, in the order usage is charged to them.</summary>
    public static readonly ImmutableArray<string> Terms = ["short", "mid", "long"];

    private const double Tolerance = 1e-9;

    public Task<ProjectView> GetAsync() => Task.FromResult(View());

    public async Task<ProjectView> SetAllocationAsync(string term, double acceleratorHours)
    {
        CheckTerm(term);
        if (!(acceleratorHours >= 0) || double.IsInfinity(acceleratorHours))
        {
            throw new ArgumentOutOfRangeException(nameof(acceleratorHours), acceleratorHours, "acceleratorHours must be a non-negative number");
        }

        Term(term).AcceleratorHours = acceleratorHours;
        await state.WriteStateAsync();
        return View();
    }

    public async Task<ProjectView> ReturnAsync(string term, double acceleratorHours)
    {
        CheckTerm(term);
        if (!(acceleratorHours > 0) || double.IsInfinity(acceleratorHours))
        {
            throw new ArgumentOutOfRangeException(nameof(acceleratorHours), acceleratorHours, "acceleratorHours must be a positive number");
        }

        var t = Term(term);
        if (acceleratorHours > t.Unused + Tolerance)
        {
            throw new ArgumentOutOfRangeException(
                nameof(acceleratorHours),
                acceleratorHours,
                string.Create(CultureInfo.InvariantCulture, $"cannot return {acceleratorHours:0.###} accelerator-hours of term '{term}': only {t.Unused:0.###} are unused"));
        }

        t.ReturnedAcceleratorHours += acceleratorHours;
        await state.WriteStateAsync();
        return View();
    }

    public async Task RecordUsageAsync(string jobId, double acceleratorHours)
    {
        if (!(acceleratorHours >= 0) || !state.State.ChargedJobs.Add(jobId))
        {
            return;
        }

        state.State.UsedAcceleratorHours += acceleratorHours;
        var left = acceleratorHours;
        foreach (var name in Terms)
        {
            if (left <= 0)
            {
                break;
            }

            if (state.State.Terms.TryGetValue(name, out var t) && t.Unused > 0)
            {
                var charge = Math.Min(left, t.Unused);
                t.UsedAcceleratorHours += charge;
                left -= charge;
            }
        }

        state.State.UnallocatedAcceleratorHours += left;
        await state.WriteStateAsync();
    }

    public async Task RecordSubmissionAsync(string jobId)
    {
        if (!state.State.SubmittedJobs.Add(jobId))
        {
            return;
        }

        state.State.JobsSubmitted++;
        await state.WriteStateAsync();
    }

    private static void CheckTerm(string term)
    {
        if (!Terms.Contains(term))
        {
            throw new ArgumentException($"term must be one of short, mid, long (was '{term}')", nameof(term));
        }
    }

    private TermState Term(string term)
    {
        if (!state.State.Terms.TryGetValue(term, out var t))
        {
            t = new TermState();
            state.State.Terms.Add(term, t);
        }

        return t;
    }

    private ProjectView View()
    {
        var allocations = ImmutableArray.CreateBuilder<AllocationView>();
        foreach (var name in Terms)
        {
            if (state.State.Terms.TryGetValue(name, out var t))
            {
                allocations.Add(new AllocationView
                {
                    Term = name,
                    AcceleratorHours = t.AcceleratorHours,
                    UsedAcceleratorHours = t.UsedAcceleratorHours,
                    ReturnedAcceleratorHours = t.ReturnedAcceleratorHours,
                });
            }
        }

        return new ProjectView
        {
            Id = this.GetPrimaryKeyString(),
            Allocations = allocations.ToImmutable(),
            UsedAcceleratorHours = state.State.UsedAcceleratorHours,
            JobsSubmitted = state.State.JobsSubmitted,
        };
    }
}

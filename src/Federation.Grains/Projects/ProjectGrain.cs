using System.Collections.Immutable;
using System.Globalization;
using Orleans;
using Orleans.Runtime;
using Federation.Contracts;
using Federation.Storage;

namespace Federation.Grains.Projects;

/// <summary>
/// A project's allocations by term and its usage. Usage is charged to the shortest term with hours
/// left (short, then mid, then long), the rest is recorded as unallocated. Operator changes
/// (allocations, returns) are written before answering; usage and submission counters, which each silo reports
/// summed, once a second (<see cref="Aggregation.StatisticsReports"/>), are written at most once per
/// <see cref="CounterWriteInterval"/> and on deactivation: the counters can be recomputed from the job rows.
/// </summary>
public sealed class ProjectGrain([PersistentState(ProjectState.StateName, StorageNames.GrainState)] IPersistentState<ProjectState> state) : Grain, IProjectGrain
{
    /// <summary>How often changed counters are written.</summary>
    public static readonly TimeSpan CounterWriteInterval = TimeSpan.FromSeconds(1);

    private bool _dirty;

    /// <summary>The terms, in the order usage is charged to them.</summary>
    public static readonly ImmutableArray<string> Terms = ["short", "mid", "long"];

    private const double Tolerance = 1e-9;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        this.RegisterGrainTimer(static (g, _) => g.WriteIfDirtyAsync(), this, CounterWriteInterval, CounterWriteInterval);
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => WriteIfDirtyAsync();

    public Task<ProjectView> GetAsync() => Task.FromResult(View());

    public async Task<ProjectView> SetAllocationAsync(string term, double acceleratorHours)
    {
        CheckTerm(term);
        if (!(acceleratorHours >= 0) || double.IsInfinity(acceleratorHours))
        {
            throw new ArgumentOutOfRangeException(nameof(acceleratorHours), acceleratorHours, "acceleratorHours must be a non-negative number");
        }

        Term(term).AcceleratorHours = acceleratorHours;
        _dirty = false;
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
        _dirty = false;
        await state.WriteStateAsync();
        return View();
    }

    public Task RecordAsync(long jobsSubmitted, double acceleratorHours)
    {
        if (jobsSubmitted > 0)
        {
            state.State.JobsSubmitted += jobsSubmitted;
            _dirty = true;
        }

        if (!(acceleratorHours > 0) || double.IsInfinity(acceleratorHours))
        {
            return Task.CompletedTask;
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
        _dirty = true;
        return Task.CompletedTask;
    }

    private async Task WriteIfDirtyAsync()
    {
        if (!_dirty)
        {
            return;
        }

        _dirty = false;
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

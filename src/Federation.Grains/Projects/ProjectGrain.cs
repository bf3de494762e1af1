using System.Collections.Immutable;
using System.Globalization;
using Federation.Contracts;
using Federation.Grains.Audit;
using Federation.Grains.Execution;
using Federation.Grains.Hosting;
using Federation.Grains.Jobs;
using Federation.Grains.Ledger;
using Federation.Scheduling;
using Federation.Storage;
using Federation.Storage.Jobs;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Runtime;

namespace Federation.Grains.Projects;

/// <summary>
/// A project's allocations by term and class, charged as its jobs run (issue 16). Allocations and returns are stored
/// before answering. Usage is not stored: the grain reads the runs of the project's jobs from their rows (in every
/// region, as the credit ledger does, <see cref="JobRuns"/>) and charges them (<see cref="AllocationCharging"/>) on
/// activation, on every <see cref="GetAsync"/>, before every return, and every <see cref="AllocationOptions.RecomputeInterval"/>
/// while active. Between two recomputes the runs it saw running keep counting to now (<see cref="GetStandingAsync"/>);
/// a run that started or ended since is counted at the next recompute, so the standing routers see is at most one
/// recompute interval behind the rows for new runs.
/// </summary>
public sealed class ProjectGrain : Grain, IProjectGrain
{
    /// <summary>Job rows read per page by a recompute.</summary>
    private const int PageSize = 1000;

    /// <summary>Every allocation stored before periods existed gets this open period.</summary>
    private static readonly DateTimeOffset OpenFrom = DateTimeOffset.UnixEpoch;

    private readonly IPersistentState<ProjectState> _state;
    private readonly IJobQuery _jobs;
    private readonly ExecutionClock _clock;
    private readonly Megaregion _megaregion;
    private readonly AllocationOptions _options;
    private readonly GrainReferences _grains;
    private readonly AuditTrail _audit;
    private readonly List<RunSpan> _runs = [];
    private readonly List<int> _openRuns = [];
    private bool _countersDirty;

    /// <summary>Hours charged to each allocation (same order as the state's) by the last charge.</summary>
    private double[] _used = [];
    private double _unallocated;

    /// <summary>When the runs were last read from the rows.</summary>
    private DateTimeOffset _asOf;

    public ProjectGrain(
        [PersistentState(ProjectState.StateName, StorageNames.GrainState)] IPersistentState<ProjectState> state,
        IJobQuery jobs,
        ExecutionClock clock,
        GrainReferences grains,
        IOptions<FederationGrainsOptions> grainsOptions,
        IOptions<AllocationOptions> options,
        AuditTrail audit)
    {
        ArgumentNullException.ThrowIfNull(grainsOptions);
        ArgumentNullException.ThrowIfNull(options);
        _state = state;
        _jobs = jobs;
        _clock = clock;
        _grains = grains;
        _megaregion = grainsOptions.Value.Megaregion;
        _options = options.Value;
        _audit = audit;
    }

    /// <summary>How often changed submission counters are written.</summary>
    public static TimeSpan CounterWriteInterval { get; } = TimeSpan.FromSeconds(1);

    private string Id => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (_state.State.Terms.Count > 0)
        {
            // Allocations stored before they had a class and a period: each becomes an 'any' allocation open from
            // 1970 to the end of time, until a coordinator sets its period.
            foreach (var (term, t) in _state.State.Terms)
            {
                if (AllocationRules.IsTerm(term) && Find(term, AllocationRules.AnyClass) is null)
                {
                    _state.State.Allocations.Add(new AllocationState
                    {
                        Term = term,
                        Class = AllocationRules.AnyClass,
                        AcceleratorHours = t.AcceleratorHours,
                        From = OpenFrom,
                        Until = DateTimeOffset.MaxValue,
                        ReturnedAcceleratorHours = t.ReturnedAcceleratorHours,
                    });
                }
            }

            _state.State.Terms.Clear();
            _state.State.Version++;
            await _state.WriteStateAsync(cancellationToken);
        }

        await _audit.FlushAsync(_state.State);
        await RecomputeIfManagedAsync(cancellationToken);
        this.RegisterGrainTimer(static (g, ct) => g.OnTimerAsync(ct), this, CounterWriteInterval, CounterWriteInterval);
        this.RegisterGrainTimer(static (g, ct) => g.RecomputeIfManagedAsync(ct), this, _options.RecomputeInterval, _options.RecomputeInterval);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => OnTimerAsync(cancellationToken);

    public async Task<ProjectView> GetAsync()
    {
        await RecomputeAsync(CancellationToken.None);
        return View(_clock.Now);
    }

    public Task<ProjectView> GetStandingAsync() => Task.FromResult(View(_clock.Now));

    public async Task<ProjectView> SetAllocationAsync(string term, string acceleratorClass, AllocationRequest allocation, long? ifVersion = null)
    {
        ArgumentNullException.ThrowIfNull(allocation);
        Refuse(AllocationRules.Validate(_megaregion, term, acceleratorClass, allocation.AcceleratorHours, allocation.From, allocation.Until, allocation.Region));
        CheckVersion(ifVersion);
        await _grains.ProjectDirectory.AddAsync(Id);
        var a = Find(term, acceleratorClass);
        var before = a is null ? null : AuditState(a);
        if (a is null)
        {
            a = new AllocationState { Term = term, Class = acceleratorClass };
            _state.State.Allocations.Add(a);
            _state.State.Allocations.Sort(static (x, y) =>
            {
                var c = AllocationRules.Terms.IndexOf(x.Term).CompareTo(AllocationRules.Terms.IndexOf(y.Term));
                return c != 0 ? c : string.CompareOrdinal(x.Class, y.Class);
            });
        }

        a.AcceleratorHours = allocation.AcceleratorHours!.Value;
        a.From = allocation.From!.Value;
        a.Until = allocation.Until!.Value;
        a.Region = allocation.Region;
        _state.State.Version++;
        await WriteChangeAsync(AuditActions.ProjectAllocation, a.Region, before, AuditState(a));
        await RecomputeAsync(CancellationToken.None);
        return View(_clock.Now);
    }

    public async Task<ProjectView> SetPriorityAsync(int priority, long? ifVersion = null)
    {
        Refuse(JobRules.ValidateProjectPriority(priority));
        CheckVersion(ifVersion);
        await _grains.ProjectDirectory.AddAsync(Id);
        var before = new { priority = _state.State.Priority };
        _state.State.Priority = priority;
        _state.State.Version++;
        await WriteChangeAsync(AuditActions.ProjectPriority, null, before, new { priority });
        return View(_clock.Now);
    }

    public async Task<ProjectView> ReturnAsync(ReturnRequest request, long? ifVersion = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        var cls = request.Class ?? AllocationRules.AnyClass;
        await RecomputeAsync(CancellationToken.None);
        var now = _clock.Now;
        var index = request.Term is null ? -1 : _state.State.Allocations.FindIndex(a => a.Term == request.Term && a.Class == cls);
        double? unused = null;
        if (index >= 0)
        {
            var a = _state.State.Allocations[index];
            unused = a.Until <= now ? 0 : AllocationCharging.Left(Grant(a), _used[index]);
        }

        Refuse(AllocationRules.ValidateReturn(_megaregion, request.Term, cls, request.AcceleratorHours));
        if (AllocationRules.CheckReturnable(request.Term!, cls, request.AcceleratorHours!.Value, unused) is { } refused)
        {
            throw new AllocationRefusedException(refused.Field, refused.Message);
        }

        CheckVersion(ifVersion);
        var allocation = _state.State.Allocations[index];
        var hours = request.AcceleratorHours!.Value;
        var before = AuditState(allocation);
        allocation.ReturnedAcceleratorHours += hours;

        // The hours become spare capacity for the rest of the term: as many accelerators as the hours keep busy until
        // the term ends, lent by the region that backs the allocation (for a type, not 'any').
        var accelerators = allocation.Region is not null && allocation.Class != AllocationRules.AnyClass
            ? (int)Math.Min(int.MaxValue, Math.Floor(hours / (allocation.Until - now).TotalHours))
            : 0;
        _state.State.Returns.Add(new AllocationReturn
        {
            At = now,
            Term = allocation.Term,
            Class = allocation.Class,
            AcceleratorHours = hours,
            Region = accelerators > 0 ? allocation.Region : null,
            Accelerators = accelerators,
            Until = allocation.Until,
        });
        if (accelerators > 0)
        {
            _state.State.PendingOffers.Add(_state.State.Returns.Count - 1);
        }

        _state.State.Version++;
        await WriteChangeAsync(
            AuditActions.ProjectReturn,
            allocation.Region,
            before,
            AuditState(allocation),
            string.Create(CultureInfo.InvariantCulture, $"returned {hours} accelerator-hours; {accelerators} accelerator(s) lent until {allocation.Until:o}"));
        await OfferReturnsAsync();
        return View(now);
    }

    /// <summary>Tells the backing regions of the returns they have not acknowledged; a failure is retried on the timer.</summary>
    private async Task OfferReturnsAsync()
    {
        if (_state.State.PendingOffers.Count == 0)
        {
            return;
        }

        var offered = new List<int>();
        foreach (var i in _state.State.PendingOffers)
        {
            var r = _state.State.Returns[i];
            try
            {
                await _grains.Region(r.Region!).AddReturnedCapacityAsync(new ReturnedCapacityView
                {
                    Source = $"{Id}/{r.Term}/{r.Class}/{i}",
                    Project = Id,
                    Type = r.Class,
                    Count = r.Accelerators,
                    Until = r.Until,
                });
                offered.Add(i);
            }
            catch (Exception ex) when (ex is not ArgumentException)
            {
                // The region will hear of it on the next timer tick.
                break;
            }
        }

        if (offered.Count > 0)
        {
            // Written with the counters (the timer retries a failed write): a region told again ignores the repeat.
            _state.State.PendingOffers.RemoveAll(offered.Contains);
            _countersDirty = true;
        }
    }

    public Task RecordAsync(long jobsSubmitted)
    {
        if (jobsSubmitted > 0)
        {
            _state.State.JobsSubmitted += jobsSubmitted;
            _countersDirty = true;
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Recomputes only for a project with allocations: a project without any is unmanaged whatever it used, so routers
    /// asking for its standing cost no read of its rows (<see cref="GetAsync"/> still counts its usage).
    /// </summary>
    private Task RecomputeIfManagedAsync(CancellationToken cancellationToken) =>
        _state.State.Allocations.Count > 0 ? RecomputeAsync(cancellationToken) : Task.CompletedTask;

    /// <summary>Reads the runs of every job of the project from the rows and charges them to the allocations, to now.</summary>
    private async Task RecomputeAsync(CancellationToken cancellationToken)
    {
        var now = _clock.Now;
        _runs.Clear();
        _openRuns.Clear();
        string? after = null;
        do
        {
            var page = await _jobs.ListAsync(null, null, Id, null, JobRowOrder.Id, PageSize, after, cancellationToken);
            foreach (var job in page.Jobs)
            {
                JobRuns.Each(job, now, (Self: this, Job: job), static (s, start, end, running) => s.Self.AddRun(s.Job, start, end, running));
            }

            after = page.NextAfter;
        }
        while (after is not null);

        _asOf = now;
        Charge(now);
    }

    private void AddRun(JobSnapshot job, JobHistoryEntry start, DateTimeOffset end, bool running)
    {
        if (running)
        {
            _openRuns.Add(_runs.Count);
        }

        _runs.Add(new RunSpan(job.Id, JobRuns.TypeOf(_megaregion, job.Request, start), job.Request.Accelerators.Count, start.At, end));
    }

    /// <summary>Charges the runs (those still running counted to <paramref name="now"/>) to the allocations.</summary>
    private void Charge(DateTimeOffset now)
    {
        foreach (var i in _openRuns)
        {
            if (now > _runs[i].End)
            {
                _runs[i] = _runs[i] with { End = now };
            }
        }

        var grants = Grants();
        _used = AllocationCharging.Charge(grants, _runs, out _unallocated);
    }

    private List<AllocationGrant> Grants()
    {
        var grants = new List<AllocationGrant>(_state.State.Allocations.Count);
        foreach (var a in _state.State.Allocations)
        {
            grants.Add(Grant(a));
        }

        return grants;
    }

    private static AllocationGrant Grant(AllocationState a) => new(a.Term, a.Class, a.AcceleratorHours, a.From, a.Until, a.ReturnedAcceleratorHours);

    private ProjectView View(DateTimeOffset now)
    {
        if (now > _asOf && _openRuns.Count > 0)
        {
            Charge(now);
        }

        var asOf = now > _asOf ? now : _asOf;
        var allocations = ImmutableArray.CreateBuilder<AllocationView>(_state.State.Allocations.Count);
        var grants = Grants();
        var total = _unallocated;
        for (var i = 0; i < grants.Count; i++)
        {
            var a = _state.State.Allocations[i];
            var used = i < _used.Length ? _used[i] : 0;
            total += used;
            allocations.Add(new AllocationView
            {
                Term = a.Term,
                Class = a.Class,
                AcceleratorHours = a.AcceleratorHours,
                UsedAcceleratorHours = used,
                ReturnedAcceleratorHours = a.ReturnedAcceleratorHours,
                LeftAcceleratorHours = AllocationCharging.Left(grants[i], used),
                From = a.From,
                Until = a.Until,
                Region = a.Region,
                Current = grants[i].IsCurrent(asOf),
            });
        }

        var (standing, reason) = ProjectStanding(grants, _used.Length == grants.Count ? _used : new double[grants.Count], asOf);
        return new ProjectView
        {
            Id = Id,
            Allocations = allocations.MoveToImmutable(),
            UsedAcceleratorHours = total,
            UnallocatedAcceleratorHours = _unallocated,
            JobsSubmitted = _state.State.JobsSubmitted,
            Returns = [.. _state.State.Returns],
            Version = _state.State.Version,
            Priority = _state.State.Priority,
            UsageAsOf = asOf,
            Standing = StandingName(standing),
            StandingReason = reason,
        };
    }

    /// <summary>
    /// The project's standing as a whole: allocated when a job of some class would be (the classes in the order of the
    /// allocations), else what a job of the first class would be.
    /// </summary>
    private (AllocationStanding, string) ProjectStanding(List<AllocationGrant> grants, double[] used, DateTimeOffset now)
    {
        (AllocationStanding, string)? first = null;
        foreach (var g in grants)
        {
            ImmutableArray<string> types = string.Equals(g.Class, AllocationRules.AnyClass, StringComparison.Ordinal) ? [] : [g.Class];
            var standing = AllocationCharging.StandingOf(Id, grants, used, types, now, _options.RequireAllocation, out var reason);
            if (standing == AllocationStanding.Allocated)
            {
                return (standing, reason);
            }

            first ??= (standing, reason);
        }

        if (first is { } f)
        {
            return f;
        }

        var none = AllocationCharging.StandingOf(Id, grants, used, [], now, _options.RequireAllocation, out var noneReason);
        return (none, noneReason);
    }

    /// <summary>The standing as the API writes it: unmanaged, allocated, over-allocation.</summary>
    public static string StandingName(AllocationStanding standing) => standing switch
    {
        AllocationStanding.Allocated => "allocated",
        AllocationStanding.OverAllocation => "over-allocation",
        _ => "unmanaged",
    };

    private AllocationState? Find(string term, string cls) =>
        _state.State.Allocations.Find(a => string.Equals(a.Term, term, StringComparison.Ordinal) && string.Equals(a.Class, cls, StringComparison.Ordinal));

    private void CheckVersion(long? ifVersion)
    {
        if (ifVersion is { } expected && expected != _state.State.Version)
        {
            throw new ProjectChangedException(Id, expected, _state.State.Version);
        }
    }

    private static void Refuse(List<FieldError> errors)
    {
        if (errors.Count > 0)
        {
            throw new AllocationRefusedException(errors[0].Field, errors[0].Message);
        }
    }

    /// <summary>
    /// Writes a change made in memory. When the write fails the activation is given up, so the next call reads the
    /// stored state again rather than answer from a change that was never stored.
    /// </summary>
    /// <param name="region">The region the change concerns (an allocation's backing region), whose operators read its entry.</param>
    private async Task WriteChangeAsync(string action, string? region, object? before, object? after, string? detail = null)
    {
        _countersDirty = false;
        var entry = _audit.Entry(action, "project/" + Id, region, before, after, detail);
        await _audit.WriteAsync(_state, entry, DeactivateOnIdle);
    }

    /// <summary>What an audit entry shows of an allocation.</summary>
    private static object AuditState(AllocationState a) =>
        new { term = a.Term, @class = a.Class, acceleratorHours = a.AcceleratorHours, from = a.From, until = a.Until, region = a.Region, returnedAcceleratorHours = a.ReturnedAcceleratorHours };

    private async Task OnTimerAsync(CancellationToken cancellationToken)
    {
        await OfferReturnsAsync();
        if (!_countersDirty)
        {
            return;
        }

        _countersDirty = false;
        try
        {
            await _state.WriteStateAsync(cancellationToken);
        }
        catch
        {
            _countersDirty = true;
            throw;
        }
    }
}

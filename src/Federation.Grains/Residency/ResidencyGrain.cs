using System.Collections.Immutable;
using Federation.Contracts;
using Federation.Grains.Audit;
using Federation.Grains.Diagnostics;
using Federation.Grains.Hosting;
using Federation.Grains.Jobs;
using Federation.Scheduling;
using Federation.Storage;
using Federation.Storage.Jobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Runtime;

namespace Federation.Grains.Residency;

/// <summary>
/// The residency policy ["residency"]: coordinators' classes, stored before a change answers. A change is then pushed to
/// every region grain (each updates its silo's copy and places again the queued jobs the class no longer allows) and
/// the answer waits for those pushes, so when a change has answered every region admits by it. A region that does not
/// answer within <see cref="PushWait"/> catches up on its own (its silo reads the policy every
/// <see cref="FederationGrainsOptions.ResidencyRefresh"/>, and the region sweeps its queue when its copy changes).
/// </summary>
public sealed class ResidencyGrain : Grain, IResidencyGrain
{
    /// <summary>How long a change waits for one region to take it.</summary>
    public static readonly TimeSpan PushWait = TimeSpan.FromSeconds(5);

    /// <summary>Rows read per page when a delete looks for unfinished jobs of the class.</summary>
    private const int ScanPage = 1000;

    private static readonly JobState[] Unfinished = [JobState.Submitted, JobState.Queued, JobState.Running];

    private readonly IPersistentState<ResidencyState> _state;
    private readonly Megaregion _megaregion;
    private readonly GrainReferences _grains;
    private readonly IJobQuery _jobs;
    private readonly ResidencyPolicies _policies;
    private readonly AuditTrail _audit;
    private readonly ILogger<ResidencyGrain> _logger;
    private ResidencyPolicyView _committed = new();

    public ResidencyGrain(
        [PersistentState(ResidencyState.StateName, StorageNames.GrainState)] IPersistentState<ResidencyState> state,
        IOptions<FederationGrainsOptions> options,
        GrainReferences grains,
        IJobQuery jobs,
        ResidencyPolicies policies,
        AuditTrail audit,
        ILogger<ResidencyGrain> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _state = state;
        _megaregion = options.Value.Megaregion;
        _grains = grains;
        _jobs = jobs;
        _policies = policies;
        _audit = audit;
        _logger = logger;
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _committed = View();
        return _audit.FlushAsync(_state.State);
    }

    public Task<ResidencyPolicyView> GetAsync() => Task.FromResult(_committed);

    public async Task<ResidencyChange> SetAsync(string name, ImmutableArray<string> regions, long? ifVersion)
    {
        var list = regions.IsDefault ? [] : regions;
        if (ResidencyRules.Validate(_megaregion, name, list) is { Count: > 0 } errors)
        {
            return Refusal(ResidencyOutcome.Invalid, null, string.Join("; ", errors));
        }

        var classes = _state.State.Classes;
        var existing = classes.GetValueOrDefault(name);
        if (Mismatch(name, existing, ifVersion) is { } mismatch)
        {
            return mismatch;
        }

        var ordered = ResidencyRules.Ordered(_megaregion, list);
        if (existing is not null && existing.Regions.SequenceEqual(ordered, StringComparer.Ordinal))
        {
            return new ResidencyChange { Outcome = ResidencyOutcome.Unchanged, Class = ClassView(name, existing), Policy = _committed };
        }

        var version = _state.State.Version + 1;
        var changed = new ResidencyClassState { Regions = [.. ordered], Version = version };
        classes[name] = changed;
        _state.State.Version = version;
        var entry = _audit.Entry(AuditActions.ResidencySet, "residency/" + name, null, existing is null ? null : ClassView(name, existing), ClassView(name, changed));
        await WriteAsync(entry, () =>
        {
            if (existing is null)
            {
                classes.Remove(name);
            }
            else
            {
                classes[name] = existing;
            }

            _state.State.Version = version - 1;
        });
        GrainsLog.ResidencyChanged(_logger, name, existing is null ? "created" : "changed", string.Join(", ", ordered), version);
        await PushAsync();
        return new ResidencyChange
        {
            Outcome = existing is null ? ResidencyOutcome.Created : ResidencyOutcome.Updated,
            Class = ClassView(name, changed),
            Policy = _committed,
        };
    }

    public async Task<ResidencyChange> DeleteAsync(string name, long? ifVersion)
    {
        var classes = _state.State.Classes;
        if (name is null || !classes.TryGetValue(name, out var existing))
        {
            return Refusal(ResidencyOutcome.NotFound, null, $"no residency class is named '{name}'");
        }

        if (Mismatch(name, existing, ifVersion) is { } mismatch)
        {
            return mismatch;
        }

        var (count, example) = await UnfinishedJobsAsync(name);
        if (count > 0)
        {
            return Refusal(ResidencyOutcome.InUse, ClassView(name, existing), $"{count} unfinished job(s) carry residency class '{name}' (e.g. {example}); it can be deleted once they have ended or been cancelled");
        }

        var version = _state.State.Version + 1;
        classes.Remove(name);
        _state.State.Version = version;
        await WriteAsync(_audit.Entry(AuditActions.ResidencyDelete, "residency/" + name, null, ClassView(name, existing), null), () =>
        {
            classes[name] = existing;
            _state.State.Version = version - 1;
        });
        GrainsLog.ResidencyChanged(_logger, name, "deleted", "", version);
        await PushAsync();
        return new ResidencyChange { Outcome = ResidencyOutcome.Deleted, Class = ClassView(name, existing), Policy = _committed };
    }

    private ResidencyChange? Mismatch(string name, ResidencyClassState? existing, long? ifVersion)
    {
        if (ifVersion is not { } expected || expected == (existing?.Version ?? 0))
        {
            return null;
        }

        var message = existing is null
            ? $"residency class '{name}' does not exist (If-Match named version {expected}); nothing was changed"
            : $"residency class '{name}' changed since it was read (version {expected}; now {existing.Version}): read it again and repeat the change if it still holds";
        return Refusal(ResidencyOutcome.VersionMismatch, existing is null ? null : ClassView(name, existing), message);
    }

    private ResidencyChange Refusal(ResidencyOutcome outcome, ResidencyClassView? current, string message) =>
        new() { Outcome = outcome, Class = current, Policy = _committed, Message = message };

    /// <summary>Writes the state with the change's audit entry; on failure puts memory back as the store has it (<paramref name="undo"/>) and throws.</summary>
    private async Task WriteAsync(AuditEntry entry, Action undo)
    {
        await _audit.WriteAsync(_state, entry, undo);
        _committed = View();
    }

    /// <summary>Every region takes the committed policy (in parallel, each waited for at most <see cref="PushWait"/>), then this silo's copy.</summary>
    private async Task PushAsync()
    {
        var view = _committed;
        _policies.Offer(view);
        var pushes = new Task[_megaregion.Regions.Length];
        for (var i = 0; i < pushes.Length; i++)
        {
            pushes[i] = PushToAsync(i, view);
        }

        await Task.WhenAll(pushes);
    }

    private async Task PushToAsync(int region, ResidencyPolicyView view)
    {
        try
        {
            await _grains.Region(region).OnResidencyChangedAsync(view).WaitAsync(PushWait);
        }
        catch (Exception ex)
        {
            GrainsLog.ResidencyPushFailed(_logger, ex, _megaregion.Regions[region].Id, view.Version);
        }
    }

    /// <summary>How many unfinished jobs carry the class, from the committed rows (a rare, coordinator-only scan), and one of them.</summary>
    private async Task<(int Count, string? Example)> UnfinishedJobsAsync(string name)
    {
        var count = 0;
        string? example = null;
        foreach (var state in Unfinished)
        {
            string? after = null;
            do
            {
                var page = await _jobs.ListAsync(state, null, null, null, JobRowOrder.Id, ScanPage, after);
                foreach (var job in page.Jobs)
                {
                    if (string.Equals(job.Request.Dataset?.Residency, name, StringComparison.Ordinal))
                    {
                        count++;
                        example ??= job.Id;
                    }
                }

                after = page.NextAfter;
            }
            while (after is not null);
        }

        return (count, example);
    }

    private ResidencyPolicyView View()
    {
        var classes = _state.State.Classes;
        var views = ImmutableArray.CreateBuilder<ResidencyClassView>(classes.Count);
        foreach (var (name, c) in classes.OrderBy(static c => c.Key, StringComparer.Ordinal))
        {
            views.Add(ClassView(name, c));
        }

        return new ResidencyPolicyView { Version = _state.State.Version, Classes = views.MoveToImmutable() };
    }

    private static ResidencyClassView ClassView(string name, ResidencyClassState c) =>
        new() { Name = name, Regions = [.. c.Regions], Version = c.Version };
}

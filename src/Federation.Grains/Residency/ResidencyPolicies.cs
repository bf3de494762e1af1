using System.Collections.Frozen;
using System.Collections.Immutable;
using Federation.Contracts;
using Federation.Grains.Diagnostics;
using Federation.Grains.Hosting;
using Federation.Scheduling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Runtime;

namespace Federation.Grains.Residency;

/// <summary>
/// The residency policy as this silo knows it, for placement to read with no grain call. It changes in three ways: the
/// residency grain pushes a change to every region grain before the change answers (each offers it to its silo's copy
/// here), the silo reads the grain every <see cref="FederationGrainsOptions.ResidencyRefresh"/> (silos that host no region),
/// and a class this copy does not know is read at once before a job naming it is refused. A copy only moves forward: an
/// older version is ignored. Regions are the enforcement point: they check every admission against their silo's copy,
/// which a change has reached before it answered.
/// </summary>
public sealed class ResidencyPolicies : ILifecycleParticipant<ISiloLifecycle>, IAsyncDisposable
{
    private readonly IGrainFactory _factory;
    private readonly Megaregion _megaregion;
    private readonly TimeProvider _time;
    private readonly TimeSpan _refresh;
    private readonly ILogger<ResidencyPolicies> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Snapshot _current = Snapshot.Empty;
    private volatile bool _loaded;
    private Task _loop = Task.CompletedTask;
    private int _disposed;

    public ResidencyPolicies(IGrainFactory factory, IOptions<FederationGrainsOptions> options, TimeProvider time, ILogger<ResidencyPolicies> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _factory = factory;
        _megaregion = options.Value.Megaregion;
        _time = time;
        _refresh = options.Value.ResidencyRefresh;
        _logger = logger;
    }

    /// <summary>The policy and the checks a placement records, as one immutable value.</summary>
    public Snapshot Current => Volatile.Read(ref _current);

    /// <summary>
    /// Whether this copy has ever been read from the grain or been offered a version: until then it is empty because it
    /// does not know, not because no class exists, and a region must not let go of jobs by it.
    /// </summary>
    public bool IsLoaded => _loaded;

    /// <summary>Takes <paramref name="view"/> when it is newer than the copy; true when it did.</summary>
    public bool Offer(ResidencyPolicyView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        _loaded = true;
        while (true)
        {
            var seen = Current;
            if (view.Version <= seen.Policy.Version)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _current, Snapshot.From(view, _megaregion), seen) == seen)
            {
                return true;
            }
        }
    }

    /// <summary>Reads the policy from the residency grain; the copy when the grain cannot be read (logged).</summary>
    public async Task<Snapshot> RefreshAsync()
    {
        try
        {
            Offer(await _factory.GetGrain<IResidencyGrain>(IResidencyGrain.Key).GetAsync().ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            GrainsLog.ResidencyRefreshFailed(_logger, ex, Current.Policy.Version);
        }

        return Current;
    }

    /// <summary>The copy, read again first when it does not know <paramref name="className"/> (a class created through another silo a moment ago).</summary>
    public ValueTask<Snapshot> KnowingAsync(string? className)
    {
        var current = Current;
        return className is null || current.Policy.Find(className) is not null ? ValueTask.FromResult(current) : new(RefreshAsync());
    }

    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        lifecycle.Subscribe(nameof(ResidencyPolicies), ServiceLifecycleStage.Active, StartAsync, StopAsync);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
    }

    private Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = RunAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        await RefreshAsync().ConfigureAwait(false);
        using var timer = new PeriodicTimer(_refresh, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                await RefreshAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One version of the policy, with the <see cref="ResidencyCheck"/> of each class made once (placements share them).</summary>
    public sealed class Snapshot
    {
        private readonly FrozenDictionary<string, ResidencyCheck> _checks;

        private Snapshot(ResidencyPolicy policy)
        {
            Policy = policy;
            _checks = policy.Classes.ToFrozenDictionary(
                static c => c.Name,
                static c => new ResidencyCheck { Class = c.Name, Regions = c.Regions },
                StringComparer.Ordinal);
        }

        public static Snapshot Empty { get; } = new(ResidencyPolicy.Empty);

        public ResidencyPolicy Policy { get; }

        /// <summary>The check a placement of a job with <paramref name="className"/> records; null without a class or for an unknown one.</summary>
        public ResidencyCheck? CheckFor(string? className) => className is not null && _checks.TryGetValue(className, out var c) ? c : null;

        /// <summary>The regions <paramref name="className"/> allows (empty for a class this version does not know).</summary>
        public ImmutableArray<string> RegionsOf(string className) => Policy.Find(className)?.Regions ?? [];

        internal static Snapshot From(ResidencyPolicyView view, Megaregion megaregion) => new(ToPolicy(view, megaregion));

        /// <summary>The view as the scheduling model's policy.</summary>
        public static ResidencyPolicy ToPolicy(ResidencyPolicyView view, Megaregion megaregion)
        {
            ArgumentNullException.ThrowIfNull(view);
            ArgumentNullException.ThrowIfNull(megaregion);
            var classes = new List<ResidencyClass>(view.Classes.IsDefault ? 0 : view.Classes.Length);
            if (!view.Classes.IsDefault)
            {
                foreach (var c in view.Classes)
                {
                    classes.Add(new ResidencyClass(c.Name, ResidencyRules.Ordered(megaregion, c.Regions), c.Version));
                }
            }

            return new ResidencyPolicy(view.Version, classes);
        }
    }
}

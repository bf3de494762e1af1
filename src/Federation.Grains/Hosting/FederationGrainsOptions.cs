using Federation.Scheduling;
using Microsoft.Extensions.Options;

namespace Federation.Grains.Hosting;

/// <summary>Options of the domain grains.</summary>
public sealed class FederationGrainsOptions
{
    /// <summary>Default for <see cref="SnapshotRefresh"/>: the bound on how stale a router's view may be.</summary>
    public static readonly TimeSpan DefaultSnapshotRefresh = TimeSpan.FromMilliseconds(250);

    /// <summary>Largest allowed <see cref="SnapshotRefresh"/>.</summary>
    public static readonly TimeSpan MaxSnapshotRefresh = TimeSpan.FromMilliseconds(250);

    /// <summary>Default for <see cref="RebalanceInterval"/> (execution-clock time).</summary>
    public static readonly TimeSpan DefaultRebalanceInterval = TimeSpan.FromSeconds(30);

    /// <summary>Default for <see cref="RebalanceThresholdSeconds"/>.</summary>
    public const double DefaultRebalanceThresholdSeconds = RebalancerOptions.DefaultThresholdS;

    /// <summary>Default for <see cref="LoadPublishInterval"/>.</summary>
    public static readonly TimeSpan DefaultLoadPublishInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Default for <see cref="ConfirmationDeadline"/>.</summary>
    public static readonly TimeSpan DefaultConfirmationDeadline = TimeSpan.FromSeconds(5);

    /// <summary>Default for <see cref="RowCheckPeriod"/>.</summary>
    public static readonly TimeSpan DefaultRowCheckPeriod = TimeSpan.FromSeconds(30);

    /// <summary>Default for <see cref="HomeCheckPeriod"/>.</summary>
    public static readonly TimeSpan DefaultHomeCheckPeriod = TimeSpan.FromSeconds(1);

    /// <summary>Default for <see cref="ReservationCheckPeriod"/>.</summary>
    public static readonly TimeSpan DefaultReservationCheckPeriod = TimeSpan.FromSeconds(1);

    /// <summary>Default for <see cref="FirstNoticeRetryDelay"/>.</summary>
    public static readonly TimeSpan DefaultFirstNoticeRetryDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>Default for <see cref="MaxNoticeRetryDelay"/>.</summary>
    public static readonly TimeSpan DefaultMaxNoticeRetryDelay = TimeSpan.FromSeconds(5);

    /// <summary>Default for <see cref="ReportInterval"/>.</summary>
    public static readonly TimeSpan DefaultReportInterval = TimeSpan.FromSeconds(1);

    /// <summary>Default for <see cref="ResidencyRefresh"/>.</summary>
    public static readonly TimeSpan DefaultResidencyRefresh = TimeSpan.FromSeconds(5);

    /// <summary>The regions, their pools, links and default offers.</summary>
    public Megaregion Megaregion { get; set; } = MegaregionLoader.LoadDefault();

    /// <summary>
    /// The clock jobs run on (simulated execution, data transfers, the rebalancer's period). Null means the
    /// host's <see cref="TimeProvider"/>; the server passes a scaled clock for <c>--time-scale N</c>.
    /// </summary>
    public TimeProvider? ExecutionClock { get; set; }

    /// <summary>How often a router refreshes its cached estimates of the regions (silo time); at most 250 ms.</summary>
    public TimeSpan SnapshotRefresh { get; set; } = DefaultSnapshotRefresh;

    /// <summary>Period of the megaregion's rebalancer on the execution clock; <see cref="TimeSpan.Zero"/> disables it.</summary>
    public TimeSpan RebalanceInterval { get; set; } = DefaultRebalanceInterval;

    /// <summary>A queued job moves only when its expected start, after data movement, improves by more than this.</summary>
    public double RebalanceThresholdSeconds { get; set; } = DefaultRebalanceThresholdSeconds;

    /// <summary>Least time between two load reports of one region to the megaregion (silo time).</summary>
    public TimeSpan LoadPublishInterval { get; set; } = DefaultLoadPublishInterval;

    /// <summary>How long a region's admission waits for its job's confirmation before the region reads the job's row (silo time).</summary>
    public TimeSpan ConfirmationDeadline { get; set; } = DefaultConfirmationDeadline;

    /// <summary>How often a region looks for admissions past <see cref="ConfirmationDeadline"/> (silo time).</summary>
    public TimeSpan ReservationCheckPeriod { get; set; } = DefaultReservationCheckPeriod;

    /// <summary>
    /// How often a region reads the rows that name it to take in those it does not hold (admitted by an activation of the
    /// region that is gone, committed after this one read the rows); a row is taken in when two checks find it unchanged (silo time).
    /// </summary>
    public TimeSpan RowCheckPeriod { get; set; } = DefaultRowCheckPeriod;

    /// <summary>How often a region grain away from home (no silo of its region alive) looks for one to move back to.</summary>
    public TimeSpan HomeCheckPeriod { get; set; } = DefaultHomeCheckPeriod;

    /// <summary>Delay before a region retries a notice a job did not take; doubled per failure up to <see cref="MaxNoticeRetryDelay"/>.</summary>
    public TimeSpan FirstNoticeRetryDelay { get; set; } = DefaultFirstNoticeRetryDelay;

    /// <summary>Longest delay between two attempts of one notice.</summary>
    public TimeSpan MaxNoticeRetryDelay { get; set; } = DefaultMaxNoticeRetryDelay;

    /// <summary>How often a silo sends the projects and the megaregion the statistics its jobs counted (silo time).</summary>
    public TimeSpan ReportInterval { get; set; } = DefaultReportInterval;

    /// <summary>
    /// How often a silo reads the residency policy (silo time): the bound on how stale a silo that hosts no region may be.
    /// Regions get a change before it answers, and refuse what their class no longer allows, so a stale router is refused,
    /// never obeyed.
    /// </summary>
    public TimeSpan ResidencyRefresh { get; set; } = DefaultResidencyRefresh;

    /// <summary>
    /// Reclaim of lent capacity (issue 16, <see cref="SchedulerOptions.Reclaim"/>): a region under a preemptible offer takes
    /// back accelerators lent to other regions' jobs when its own job at the head of its queue needs them (the lent job is
    /// signalled, stopped after the offer's grace period and placed again), and its own jobs queue ahead of external ones
    /// of the same priority. The regions and the routers' copies of them schedule with the same options, so placement and
    /// admission agree. Off by default.
    /// </summary>
    public bool Reclaim { get; set; }

    /// <summary>The scheduler options every region and every copy of a region runs with.</summary>
    public SchedulerOptions Scheduler => Reclaim ? ReclaimScheduler : SchedulerOptions.Default;

    private static readonly SchedulerOptions ReclaimScheduler = SchedulerOptions.Default with { Reclaim = true };
}

/// <summary>Validates <see cref="FederationGrainsOptions"/>, naming the bad option.</summary>
public sealed class FederationGrainsOptionsValidator : IValidateOptions<FederationGrainsOptions>
{
    public ValidateOptionsResult Validate(string? name, FederationGrainsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string Prefix = nameof(FederationGrainsOptions) + ".";
        if (options.Megaregion is null || options.Megaregion.Regions.IsDefaultOrEmpty)
        {
            return ValidateOptionsResult.Fail(Prefix + nameof(FederationGrainsOptions.Megaregion) + " must hold at least one region.");
        }

        if (options.SnapshotRefresh <= TimeSpan.Zero || options.SnapshotRefresh > FederationGrainsOptions.MaxSnapshotRefresh)
        {
            return ValidateOptionsResult.Fail($"{Prefix}{nameof(FederationGrainsOptions.SnapshotRefresh)} must be positive and at most {FederationGrainsOptions.MaxSnapshotRefresh.TotalMilliseconds} ms (was {options.SnapshotRefresh.TotalMilliseconds} ms).");
        }

        if (options.RebalanceInterval < TimeSpan.Zero)
        {
            return ValidateOptionsResult.Fail(Prefix + nameof(FederationGrainsOptions.RebalanceInterval) + " must not be negative (Zero disables the rebalancer).");
        }

        if (double.IsNaN(options.RebalanceThresholdSeconds) || options.RebalanceThresholdSeconds < 0)
        {
            return ValidateOptionsResult.Fail(Prefix + nameof(FederationGrainsOptions.RebalanceThresholdSeconds) + " must be a non-negative number of seconds.");
        }

        if (options.LoadPublishInterval < TimeSpan.Zero)
        {
            return ValidateOptionsResult.Fail(Prefix + nameof(FederationGrainsOptions.LoadPublishInterval) + " must not be negative.");
        }

        if (options.HomeCheckPeriod <= TimeSpan.Zero)
        {
            return ValidateOptionsResult.Fail(Prefix + nameof(FederationGrainsOptions.HomeCheckPeriod) + " must be positive.");
        }

        if (options.RowCheckPeriod <= TimeSpan.Zero)
        {
            return ValidateOptionsResult.Fail(Prefix + nameof(FederationGrainsOptions.RowCheckPeriod) + " must be positive.");
        }

        if (options.ConfirmationDeadline <= TimeSpan.Zero || options.ReservationCheckPeriod <= TimeSpan.Zero)
        {
            return ValidateOptionsResult.Fail($"{Prefix}{nameof(FederationGrainsOptions.ConfirmationDeadline)} and {nameof(FederationGrainsOptions.ReservationCheckPeriod)} must be positive.");
        }

        if (options.FirstNoticeRetryDelay <= TimeSpan.Zero || options.MaxNoticeRetryDelay < options.FirstNoticeRetryDelay)
        {
            return ValidateOptionsResult.Fail($"{Prefix}{nameof(FederationGrainsOptions.FirstNoticeRetryDelay)} must be positive and at most {nameof(FederationGrainsOptions.MaxNoticeRetryDelay)}.");
        }

        if (options.ReportInterval <= TimeSpan.Zero)
        {
            return ValidateOptionsResult.Fail($"{Prefix}{nameof(FederationGrainsOptions.ReportInterval)} must be positive (was {options.ReportInterval}).");
        }

        if (options.ResidencyRefresh <= TimeSpan.Zero)
        {
            return ValidateOptionsResult.Fail($"{Prefix}{nameof(FederationGrainsOptions.ResidencyRefresh)} must be positive (was {options.ResidencyRefresh}).");
        }

        return ValidateOptionsResult.Success;
    }
}

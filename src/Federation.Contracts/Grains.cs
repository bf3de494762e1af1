using System.Collections.Immutable;
using Orleans.Concurrency;

namespace Federation.Contracts;

/// <summary>
/// One job [key: job id]: the single source of truth of its spec, its state machine
/// (Submitted → Queued@R → Running@R → Completed/Failed/Cancelled, with overflow moves R1 → R2) and its
/// history. A job is never queued or running in two regions at once, including during a move.
/// </summary>
[Alias("federation.IJobGrain")]
public interface IJobGrain : IGrainWithStringKey
{
    /// <summary>
    /// Places the job and stores it before answering. Idempotent: the same body again returns the job
    /// (Created = false); a different body under the same id returns a conflict and changes nothing.
    /// </summary>
    [Alias("SubmitAsync")]
    Task<SubmitResult> SubmitAsync(JobRequest request);

    /// <summary>The job's facts, or null when no job has this id.</summary>
    [Alias("GetAsync")]
    [ReadOnly]
    Task<JobSnapshot?> GetAsync();

    /// <summary>Cancels a queued or running job; a finished job is returned unchanged. Null when no job has this id.</summary>
    [Alias("CancelAsync")]
    Task<JobSnapshot?> CancelAsync(string reason);

    /// <summary>
    /// From the region holding the job: it is about to run it, started at <paramref name="at"/>. The region runs the job
    /// only after this answer, so a run never begins before a committed row says it is running there: the answer is the
    /// start of the run the region is to execute (<paramref name="at"/> once committed, or the start the row already
    /// records for this region, to re-attach to), or null when the row does not have the job queued or running there
    /// (the region drops it without running it). <paramref name="acceleratorType"/> is the type of the pool the run
    /// holds, which the row keeps on the Started event for the credit ledger.
    /// </summary>
    [Alias("OnStartedAsync")]
    Task<DateTimeOffset?> OnStartedAsync(string regionId, DateTimeOffset at, string acceleratorType);

    /// <summary>From the region holding the job: it ended there (Completed or Failed).</summary>
    [Alias("OnFinishedAsync")]
    Task OnFinishedAsync(string regionId, RunEnd end);

    /// <summary>From the region running the job: what its backend says of it (its id there, why it waits).</summary>
    [Alias("OnBackendReportAsync")]
    Task OnBackendReportAsync(string regionId, BackendReport report);

    /// <summary>From the region holding the job: it no longer holds it (drained); the job is placed again.</summary>
    [Alias("OnReleasedAsync")]
    Task OnReleasedAsync(string regionId, string reason);

    /// <summary>
    /// From the region that ran the job on lent accelerators: it took them back (reclaim) and stopped the run; the job
    /// records <c>Preempted</c>, is charged for what ran, and is placed again.
    /// </summary>
    [Alias("OnPreemptedAsync")]
    Task OnPreemptedAsync(string regionId, RunPreempted preempted);

    /// <summary>
    /// From the region running the job on lent accelerators: it is taking them back. The job records the decision (the
    /// run, the signal time, the reclaim time) in its row and answers true; only then does the region send the checkpoint
    /// signal. False when the row does not have that run in that region (the region then sends nothing).
    /// </summary>
    [Alias("OnReclaimingAsync")]
    Task<bool> OnReclaimingAsync(string regionId, RunReclaim reclaim);

    /// <summary>
    /// From the rebalancer: move the queued job to <paramref name="targetRegion"/> if it is still queued
    /// where the rebalancer saw it. True when it moved.
    /// </summary>
    [Alias("TryMoveAsync")]
    Task<bool> TryMoveAsync(string fromRegion, string targetRegion, string reason);
}

/// <summary>What a region is asked to admit.</summary>
[GenerateSerializer, Immutable, Alias("federation.AdmitRequest")]
public sealed record AdmitRequest
{
    [Id(0)]
    public string JobId { get; init; } = "";

    [Id(1)]
    public JobRequest Job { get; init; } = new();

    /// <summary>When the job was first submitted: queue order is by priority, then this.</summary>
    [Id(2)]
    public DateTimeOffset SubmittedAt { get; init; }

    /// <summary>When the dataset will have arrived in the region (now, plus the transfer time).</summary>
    [Id(3)]
    public DateTimeOffset DataReadyAt { get; init; }

    /// <summary>The job's project has no allocation hours left for it: it runs on spare capacity only, and is preempted first.</summary>
    [Id(4)]
    public bool OverAllocation { get; init; }
}

/// <summary>A region's answer to an admission.</summary>
[GenerateSerializer, Immutable, Alias("federation.AdmitResult")]
public sealed record AdmitResult
{
    [Id(0)]
    public bool Admitted { get; init; }

    /// <summary>Queued or Running when admitted.</summary>
    [Id(1)]
    public JobState State { get; init; }

    /// <summary>Why the region refused (a hard constraint, draining, the offer), in words.</summary>
    [Id(2)]
    public string? RefusedBecause { get; init; }

    /// <summary>When Running: when the region started it (the job records this time, so both agree on the run).</summary>
    [Id(3)]
    public DateTimeOffset? ExpectedStart { get; init; }

    /// <summary>When Running: the accelerator type (pool) the region started it on.</summary>
    [Id(4)]
    public string? AcceleratorType { get; init; }

    /// <summary>When admitted and the job's dataset has a residency class: the class's regions the region checked against.</summary>
    [Id(5)]
    public ResidencyCheck? Residency { get; init; }
}

/// <summary>
/// One regional datacenter [key: region id]: its accelerator pools, running allocations, local queue
/// (priority, FIFO, EASY backfill), spare-capacity offer and drain state. Runs admitted jobs through an
/// executor and publishes a compact load snapshot to the megaregion when it changes.
/// </summary>
[Alias("federation.IRegionGrain")]
public interface IRegionGrain : IGrainWithStringKey
{
    /// <summary>
    /// Admits the job into the queue (or starts it at once) if the hard constraints and the offer allow. A
    /// <see cref="ValueTask{TResult}"/>, like the other calls on every placement's path: the region answers at once,
    /// and a Task would be one more allocation per placement.
    /// </summary>
    [Alias("TryAdmitAsync")]
    ValueTask<AdmitResult> TryAdmitAsync(AdmitRequest request);

    /// <summary>
    /// From the job: its row naming this region (Queued or Running) has committed. An admission only reserves;
    /// the executor is called for a job only once a committed row names the region, so a job whose write failed
    /// or whose answer was lost never runs here. A reservation not confirmed within
    /// a deadline is checked against the job's row instead. A job this activation does not hold is read from its row
    /// and held when the row names this region (an activation of the region that is gone admitted it).
    /// </summary>
    /// <param name="jobId">The job.</param>
    /// <param name="started">Whether that row records the job as started here (Running). A job the region has
    /// started whose row does not say so gets a start notice; one whose row does (it committed the admission's
    /// "started" answer) gets none.</param>
    [Alias("ConfirmAsync")]
    ValueTask ConfirmAsync(string jobId, bool started);

    /// <summary>
    /// Removes a queued job (cancel, an admission the job could not commit, a ghost admission); false when the job is
    /// not queued here. The job's undelivered notices are forgotten: they describe the admission it gives up.
    /// </summary>
    [Alias("WithdrawAsync")]
    Task<bool> WithdrawAsync(string jobId);

    /// <summary>
    /// Removes a queued job for a move; false when the job is not queued here. Unlike <see cref="WithdrawAsync"/>, a
    /// job the region no longer holds keeps its undelivered notices: its committed row names this region, so a run
    /// that started and ended here meanwhile, or a release, is news the job still has to record.
    /// </summary>
    [Alias("WithdrawForMoveAsync")]
    Task<bool> WithdrawForMoveAsync(string jobId);

    /// <summary>Stops a running job (cancel); false when the job is not running here.</summary>
    [Alias("StopAsync")]
    Task<bool> StopAsync(string jobId);

    [Alias("GetAsync")]
    [ReadOnly]
    Task<RegionView> GetAsync();

    /// <summary>Replaces the offer; with <paramref name="ifVersion"/>, only if the region's version is still that (else <see cref="RegionChangedException"/>).</summary>
    [Alias("SetOfferAsync")]
    Task<RegionView> SetOfferAsync(OfferView offer, long? ifVersion = null);

    /// <summary>Drains or returns to service; with <paramref name="ifVersion"/>, only if the region's version is still that (else <see cref="RegionChangedException"/>).</summary>
    [Alias("SetDrainAsync")]
    Task<RegionView> SetDrainAsync(DrainRequest request, long? ifVersion = null);

    /// <summary>
    /// Sets the region's pool sizes by accelerator type (from its Slurm's nodes): running jobs keep their accelerators,
    /// queued jobs the pools can no longer run are placed again. Types not given keep their size.
    /// </summary>
    [Alias("SetCapacityAsync")]
    Task<RegionView> SetCapacityAsync(ImmutableDictionary<string, int> counts);

    /// <summary>The region's supply and demand, as the megaregion aggregates it.</summary>
    [Alias("GetLoadAsync")]
    [ReadOnly]
    Task<RegionLoad> GetLoadAsync();

    /// <summary>
    /// The region's scheduling state in compact form, for routers and the rebalancer to estimate start
    /// times without calling the region: running allocations, the head of the queue, the work in the middle
    /// summed up, and the last <paramref name="tailJobs"/> queued jobs with their requests.
    /// </summary>
    [Alias("GetEstimateAsync")]
    [ReadOnly]
    Task<RegionEstimate> GetEstimateAsync(int tailJobs);

    /// <summary>From the executor: the job's run ended (Completed or Failed).</summary>
    [Alias("OnExecutionEndedAsync")]
    Task OnExecutionEndedAsync(string jobId, RunEnd end);

    /// <summary>From the executor: what the backend running the job says of it (its id there, why it waits); passed on to the job.</summary>
    [Alias("OnExecutionReportAsync")]
    Task OnExecutionReportAsync(string jobId, BackendReport report);

    /// <summary>From the execution clock: the datasets of the staged jobs due by now have arrived, so they may join the queue.</summary>
    [Alias("OnDataReadyAsync")]
    Task OnDataReadyAsync();

    /// <summary>From the execution clock: the grace periods of the lent jobs being reclaimed due by now are over.</summary>
    [Alias("OnReclaimDueAsync")]
    Task OnReclaimDueAsync();

    /// <summary>
    /// From a project that returned hours of an allocation this region backs: lend <see cref="ReturnedCapacityView.Count"/>
    /// more accelerators of the type to other regions' jobs until <see cref="ReturnedCapacityView.Until"/>. Stored before
    /// answering; the same <see cref="ReturnedCapacityView.Source"/> again changes nothing.
    /// </summary>
    [Alias("AddReturnedCapacityAsync")]
    Task<RegionView> AddReturnedCapacityAsync(ReturnedCapacityView returned);

    /// <summary>From the execution clock: returned capacity whose term ended by now lapses.</summary>
    [Alias("OnReturnedCapacityDueAsync")]
    Task OnReturnedCapacityDueAsync();

    /// <summary>
    /// From the residency grain: the policy changed. The region checks its later admissions against it, and places again
    /// the queued jobs whose class no longer allows it; running jobs keep running (the class is checked when a job is
    /// placed or moved, not during its run).
    /// </summary>
    [Alias("OnResidencyChangedAsync")]
    Task OnResidencyChangedAsync(ResidencyPolicyView policy);
}

/// <summary>
/// Where the router placed a job, and why: the scores of every region in numbers, not words. A placement builds no
/// text; the job keeps the <see cref="Decision"/> in its row and renders it (the reason in words, every candidate)
/// only when it is read.
/// </summary>
[GenerateSerializer, Immutable, Alias("federation.PlacementOutcome")]
public sealed record PlacementOutcome
{
    [Id(0)]
    public bool Placed { get; init; }

    [Id(1)]
    public string? Region { get; init; }

    [Id(2)]
    public JobState State { get; init; }

    [Id(3)]
    public PlacementDecision Decision { get; init; } = new();

    /// <summary>When Running: when the region started it; else the router's estimate.</summary>
    [Id(4)]
    public DateTimeOffset? ExpectedStart { get; init; }

    /// <summary>Time to move the dataset to the chosen region, seconds.</summary>
    [Id(5)]
    public double TransferSeconds { get; init; }

    /// <summary>When Running: the accelerator type (pool) the region started it on.</summary>
    [Id(6)]
    public string? AcceleratorType { get; init; }

    /// <summary>
    /// The job's standing under its project's allocations when it was placed, in words ("over allocation: project kr-llm
    /// has 0 of 500 short-term H100 hours left"); null for a project without allocations (unmanaged).
    /// </summary>
    [Id(7)]
    public string? Standing { get; init; }

    /// <summary>Whether <see cref="Standing"/> is over allocation.</summary>
    [Id(8)]
    public bool OverAllocation { get; init; }

    /// <summary>When placed and the job's dataset has a residency class: the check the admitting region made.</summary>
    [Id(9)]
    public ResidencyCheck? Residency { get; init; }
}

/// <summary>
/// Placement [StatelessWorker, key 0]: scores regions from a cached megaregion snapshot (no remote call
/// on the decision path), then reserves at the best region; when the region refuses (the snapshot was
/// stale) it tries the next best.
/// </summary>
[Alias("federation.IRouterGrain")]
public interface IRouterGrain : IGrainWithIntegerKey
{
    /// <summary>Places the job; <paramref name="excludeRegion"/> is skipped (a move away from it).</summary>
    [Alias("PlaceAsync")]
    ValueTask<PlacementOutcome> PlaceAsync(string jobId, JobRequest job, DateTimeOffset submittedAt, string? excludeRegion);
}

/// <summary>
/// The megaregion ["megaregion"]: the aggregated demand/supply view, the overflow flows between regions,
/// and the rebalancer that moves queued jobs to regions where they start earlier by more than a
/// threshold once data movement is counted.
/// </summary>
[Alias("federation.IMegaregionGrain")]
public interface IMegaregionGrain : IGrainWithStringKey
{
    /// <summary>The grain's key.</summary>
    const string Key = "megaregion";

    [Alias("GetAsync")]
    [ReadOnly]
    Task<MegaregionView> GetAsync();

    /// <summary>From a region: its load changed.</summary>
    [Alias("ReportLoadAsync")]
    [OneWay]
    Task ReportLoadAsync(RegionLoad load);

    /// <summary>
    /// From a silo: the jobs that left one region for another (placed outside their home, released, moved) since its
    /// last report, summed per pair of regions. Acknowledged, so a silo whose report failed sends the counts again.
    /// </summary>
    [Alias("ReportFlowsAsync")]
    Task ReportFlowsAsync(ImmutableArray<OverflowFlow> flows);

    /// <summary>Runs one rebalancing round now; returns how many jobs moved.</summary>
    [Alias("RebalanceAsync")]
    Task<int> RebalanceAsync();
}

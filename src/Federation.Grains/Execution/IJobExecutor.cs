namespace Federation.Grains.Execution;

/// <summary>What a region asks an executor to run.</summary>
/// <param name="RegionId">The region running the job.</param>
/// <param name="JobId">The job.</param>
/// <param name="AcceleratorType">Type of the pool the job was allocated in.</param>
/// <param name="Accelerators">Accelerators allocated.</param>
/// <param name="StartedAt">When the region started the job (execution clock); on a restart, the original start.</param>
/// <param name="Duration">How long the job runs.</param>
/// <param name="CheckpointSignal">The signal the job traps to checkpoint when its lent accelerators are taken back (<see cref="IJobExecutor.PreemptAsync"/>), or null for none.</param>
public sealed record ExecutionRequest(
    string RegionId,
    string JobId,
    string AcceleratorType,
    int Accelerators,
    DateTimeOffset StartedAt,
    TimeSpan Duration,
    string? CheckpointSignal = null);

/// <summary>
/// Runs jobs for regions. The region grain decides what runs where; the executor only runs it and
/// reports its end through <see cref="Contracts.IRegionGrain.OnExecutionEndedAsync"/>. The simulated
/// executor holds the accelerators for the job's duration on the execution clock; a Slurm executor
/// (slurmrestd) replaces it behind this interface.
/// </summary>
public interface IJobExecutor
{
    /// <summary>
    /// Starts the job, or re-attaches to it after a restart (same region and job id, original
    /// <see cref="ExecutionRequest.StartedAt"/>): idempotent per (region, job).
    /// </summary>
    Task StartAsync(ExecutionRequest request, CancellationToken cancellationToken = default);

    /// <summary>Stops a running job (cancel, or a reclaim's grace period over); false when the executor does not run it. No end is reported for it.</summary>
    Task<bool> StopAsync(string regionId, string jobId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The region takes the job's accelerators back (reclaim) from a job that asked for a checkpoint signal
    /// (<see cref="ExecutionRequest.CheckpointSignal"/>): the executor sends it that signal now; the region stops the run
    /// (<see cref="StopAsync"/>) once <paramref name="grace"/> is over, unless it ends first, and an end reported in
    /// between is the run's checkpointed end (a preemption, not the job's completion). False when the executor does not
    /// run the job or sent no signal; the stop comes all the same. The region calls it again after a restart during the
    /// grace period, so an executor treats a second signal to a run that got one (or has ended) as harmless.
    /// </summary>
    Task<bool> PreemptAsync(string regionId, string jobId, TimeSpan grace, CancellationToken cancellationToken = default);
}

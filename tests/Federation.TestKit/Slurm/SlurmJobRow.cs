namespace Federation.TestKit.Slurm;

/// <summary>
/// One job as slurmrestd lists it (<c>GET /slurm/v0.0.38/jobs</c>), raw: the fields a test checks, as Slurm
/// spells them.
/// </summary>
/// <param name="JobId">Slurm's job id (counts from 1 in each cluster).</param>
/// <param name="Name">The job's name.</param>
/// <param name="Comment">The job's comment (Slurm reports an empty string when none was set).</param>
/// <param name="State">The job state, e.g. <c>PENDING</c>, <c>RUNNING</c>, <c>COMPLETED</c>, <c>FAILED</c>, <c>CANCELLED</c>.</param>
/// <param name="Reason">Why it is in that state, e.g. <c>None</c>, <c>Resources</c>, <c>NonZeroExitCode</c>.</param>
/// <param name="ExitCode">The raw wait status: <c>exit 3</c> is 768 (3 &lt;&lt; 8); null while Slurm reports none.</param>
public sealed record SlurmJobRow(long JobId, string Name, string? Comment, string State, string? Reason, int? ExitCode);

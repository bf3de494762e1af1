using System.Collections.Immutable;

namespace Federation.Contracts;

/// <summary>
/// What a job runs (<c>run</c> in a job request): a batch script and where and how to run it. A region that runs jobs on
/// its Slurm submits the script as a batch job with the request's duration as its time limit; the simulated executor
/// only holds the accelerators for the duration.
/// </summary>
[GenerateSerializer, Immutable, Alias("federation.JobRun")]
public sealed record JobRun
{
    /// <summary>The batch script, starting with its interpreter line (<c>#!/bin/bash</c>).</summary>
    [Id(0)]
    public string Script { get; init; } = "";

    /// <summary>A container image to run the script in (Slurm's <c>--container</c>), or null.</summary>
    [Id(1)]
    public string? Image { get; init; }

    /// <summary>Environment variables of the script, or null for none beyond the backend's own.</summary>
    [Id(2)]
    public ImmutableDictionary<string, string>? Environment { get; init; }

    /// <summary>The directory the script runs in (absolute), or null for the region's default.</summary>
    [Id(3)]
    public string? WorkingDirectory { get; init; }
}

/// <summary>How a run ended, as the executor running it reports it to its region (and the region to the job).</summary>
[GenerateSerializer, Immutable, Alias("federation.RunEnd")]
public sealed record RunEnd
{
    /// <summary>Completed or Failed.</summary>
    [Id(0)]
    public JobState Outcome { get; init; }

    [Id(1)]
    public DateTimeOffset At { get; init; }

    /// <summary>What happened, in words.</summary>
    [Id(2)]
    public string Message { get; init; } = "";

    /// <summary>The script's exit code (3 for <c>exit 3</c>); null when nothing ran a script or the backend does not say.</summary>
    [Id(3)]
    public int? ExitCode { get; init; }

    /// <summary>The backend's reason for the end (Slurm's <c>state_reason</c>, e.g. <c>NonZeroExitCode</c>, <c>TimeLimit</c>), or null.</summary>
    [Id(4)]
    public string? BackendReason { get; init; }

    /// <summary>
    /// When the run that ended started (the region stamps it): the job takes the end only when its row records that
    /// start, so the end of an earlier run (still on its way when the job was placed again) is never taken for the end of a later one.
    /// </summary>
    [Id(5)]
    public DateTimeOffset? StartedAt { get; init; }
}

/// <summary>
/// A run the region stopped for a job at the head of its queue, as the region tells the job: on lent accelerators it took
/// back (reclaim), or over its project's allocation.
/// </summary>
[GenerateSerializer, Immutable, Alias("federation.RunPreempted")]
public sealed record RunPreempted
{
    /// <summary>When the run was stopped and the accelerators went back (the checkpoint signal + the offer's grace period).</summary>
    [Id(0)]
    public DateTimeOffset At { get; init; }

    /// <summary>When the run that was stopped started: the job takes the preemption only when its row records that start.</summary>
    [Id(1)]
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>The region's own job the accelerators were taken back for, or null when not known.</summary>
    [Id(2)]
    public string? ForJobId { get; init; }

    /// <summary>When the job got its checkpoint signal.</summary>
    [Id(3)]
    public DateTimeOffset SignalledAt { get; init; }

    /// <summary>
    /// The run was preempted because the job is over its project's allocation, for <see cref="ForJobId"/>, a job that is
    /// not (else it ran on lent accelerators the region took back).
    /// </summary>
    [Id(4)]
    public bool OverAllocation { get; init; }
}

/// <summary>
/// What the executor running a job has to say about it before it ends: the backend's id for it (on submission or when
/// it re-attached), and why the backend keeps it waiting when it waits longer than the region expected.
/// </summary>
[GenerateSerializer, Immutable, Alias("federation.BackendReport")]
public sealed record BackendReport
{
    /// <summary>The backend's id of the job (<c>slurm:&lt;cluster&gt;:&lt;job id&gt;</c>).</summary>
    [Id(0)]
    public string BackendJobId { get; init; } = "";

    /// <summary>The backend's reason, e.g. Slurm's pending reason (<c>Resources</c>), or null.</summary>
    [Id(1)]
    public string? Reason { get; init; }

    /// <summary>What to record in the job's history, in words.</summary>
    [Id(2)]
    public string Message { get; init; } = "";

    [Id(3)]
    public DateTimeOffset At { get; init; }
}

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

    /// <summary>
    /// The signal the script traps to write a checkpoint and exit when the region it runs in on lent accelerators takes
    /// them back (<c>USR1</c>, <c>USR2</c>, <c>TERM</c>, <c>INT</c>, <c>HUP</c>, <c>QUIT</c>, <c>ALRM</c>, <c>CONT</c>), or
    /// null for none: such a job gets no signal and is stopped when the offer's grace period is over. A script that ends
    /// after its signal, before that, has checkpointed: it is preempted and placed again, not completed.
    /// </summary>
    [Id(4)]
    public string? CheckpointSignal { get; init; }
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

    /// <summary>When the region decided to take the accelerators back (the job's checkpoint signal, when it asked for one, went then).</summary>
    [Id(3)]
    public DateTimeOffset SignalledAt { get; init; }

    /// <summary>When the grace period was over (the run was stopped then unless it checkpointed and ended before).</summary>
    [Id(4)]
    public DateTimeOffset ReclaimAt { get; init; }

    /// <summary>The checkpoint signal the job was sent, or null when it asked for none.</summary>
    [Id(5)]
    public string? Signal { get; init; }

    /// <summary>The run ended on its own after its checkpoint signal, before the reclaim time, and cleanly (its script exited 0: it wrote its checkpoint); false when it was stopped or failed.</summary>
    [Id(6)]
    public bool Checkpointed { get; init; }

    /// <summary>Accelerators the run held, and their type (what the region took back).</summary>
    [Id(7)]
    public int Accelerators { get; init; }

    [Id(8)]
    public string? AcceleratorType { get; init; }

    /// <summary>How the run ended after its signal, in the executor's words (e.g. Slurm's state and exit code); null when it was stopped at the reclaim time.</summary>
    [Id(9)]
    public string? EndMessage { get; init; }

    /// <summary>
    /// The run was preempted because the job is over its project's allocation, for <see cref="ForJobId"/>, a job that is
    /// not (else it ran on lent accelerators the region took back).
    /// </summary>
    [Id(10)]
    public bool OverAllocation { get; init; }
}

/// <summary>
/// A region's decision to take back the lent accelerators a run holds (reclaim), as the region asks the job to record it
/// before it signals the run: the row keeps it, so a region rebuilt during the grace period keeps the reclaim time.
/// </summary>
[GenerateSerializer, Immutable, Alias("federation.RunReclaim")]
public sealed record RunReclaim
{
    /// <summary>The region taking its accelerators back (the one running the job).</summary>
    [Id(0)]
    public string Region { get; init; } = "";

    /// <summary>When the run being reclaimed started: the decision is about that run only.</summary>
    [Id(1)]
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>When the region decided (and the checkpoint signal, if any, is sent).</summary>
    [Id(2)]
    public DateTimeOffset SignalledAt { get; init; }

    /// <summary>When the grace period is over and the region stops the run.</summary>
    [Id(3)]
    public DateTimeOffset ReclaimAt { get; init; }

    /// <summary>The job the accelerators are taken back for: the region's own job, or (<see cref="OverAllocation"/>) a job within its project's allocation.</summary>
    [Id(4)]
    public string? ForJobId { get; init; }

    /// <summary>The run is taken back because the job runs over its project's allocation (else it runs on lent accelerators).</summary>
    [Id(5)]
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

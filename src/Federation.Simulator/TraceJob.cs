namespace Federation.Simulator;

/// <summary>One row of a normalized trace (see /work/shared/traces/README.md), before home and dataset assignment.</summary>
/// <param name="JobId">Job id.</param>
/// <param name="SubmitS">Submission time, seconds from the trace start.</param>
/// <param name="Gpus">Accelerators requested.</param>
/// <param name="DurationS">Run time, seconds (queueing excluded).</param>
/// <param name="GpuType">Accelerator type, or empty for any.</param>
/// <param name="Tenant">Submitting tenant (drives the home-region assignment).</param>
/// <param name="HomeRegion">Optional home region override (empty = assign).</param>
/// <param name="DatasetGb">Optional dataset size override (NaN = assign).</param>
public sealed record TraceJob(
    string JobId,
    double SubmitS,
    int Gpus,
    double DurationS,
    string GpuType,
    string Tenant,
    string HomeRegion,
    double DatasetGb);

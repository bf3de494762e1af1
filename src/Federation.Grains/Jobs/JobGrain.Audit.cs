using System.Globalization;
using Federation.Contracts;
using Federation.Grains.Audit;

namespace Federation.Grains.Jobs;

/// <summary>
/// The audit entries of a job's changes (submit, cancel, move): added to the row being written, so the job store stores
/// them in the row's transaction (<see cref="JobRecord.PendingAudit"/>).
/// </summary>
public sealed partial class JobGrain
{
    /// <summary>Adds the entry of the change now in memory, made by the current caller; <paramref name="before"/> is <see cref="AuditState"/> before it.</summary>
    private void Audit(string action, JobAuditState? before, string? detail) =>
        Record.PendingAudit.Add(AuditTrail.ToRecord(_audit.Entry(action, "job/" + Id, Record.Region, before, AuditState(), detail)));

    /// <summary>What an entry shows of the job before and after a change.</summary>
    private JobAuditState AuditState() =>
        new(Record.State, Record.Region, Record.Request?.Project, Record.Request?.Owner, Record.Request?.Priority);

    /// <summary>Where a placement put the job, and the residency check that allowed it.</summary>
    private static string PlacementWords(PlacementOutcome outcome) =>
        outcome.Placed && outcome.Region is not null
            ? $"placed in {outcome.Region}{ResidencyWords(outcome.Residency)}"
            : "no region could take it";

    /// <summary>"; residency class 'x' allows a, b" for a job with a class, empty for one without.</summary>
    private static string ResidencyWords(ResidencyCheck? check) =>
        check is null ? "" : string.Create(CultureInfo.InvariantCulture, $"; residency class '{check.Class}' allows {string.Join(", ", check.Regions)}");

    /// <summary>A job's state in an audit entry.</summary>
    private sealed record JobAuditState(JobState State, string? Region, string? Project, string? Owner, int? Priority);
}

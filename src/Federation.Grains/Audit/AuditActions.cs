namespace Federation.Grains.Audit;

/// <summary>The actions the audit table records (<see cref="Contracts.AuditEntry.Action"/>), one per kind of change.</summary>
public static class AuditActions
{
    public const string JobSubmit = "job.submit";
    public const string JobCancel = "job.cancel";

    /// <summary>A job moved to another region, or placed again after its region let it go (rebalance, drain, failover, preemption).</summary>
    public const string JobMove = "job.move";

    public const string RegionOffer = "region.offer";
    public const string RegionDrain = "region.drain";
    public const string TokenIssue = "token.issue";
    public const string TokenRevoke = "token.revoke";
    public const string ResidencySet = "residency.set";
    public const string ResidencyDelete = "residency.delete";
    public const string ProjectAllocation = "project.allocation";
    public const string ProjectPriority = "project.priority";
    public const string ProjectReturn = "project.return";
}

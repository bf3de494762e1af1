using System.Text.Json.Serialization;
using Federation.Storage.Audit;
using Federation.Storage.Jobs;

namespace Federation.Storage.Tests.Jobs;

/// <summary>
/// A job row as the conformance suite writes it: the index columns are plain properties, so a test sets exactly the
/// columns it lists by, and a payload (<see cref="Value"/>, <see cref="Text"/>, <see cref="Items"/>) the columns do
/// not carry, so a read shows which write it came from. <see cref="AuditRecords"/> are the entries the next write stores
/// with the row (not part of the payload).
/// </summary>
public sealed class TestJobRow : IJobRow
{
    public string State { get; set; } = "Submitted";

    public string? Region { get; set; }

    public string? Project { get; set; }

    public string? Owner { get; set; }

    public bool Active { get; set; }

    /// <summary>The submission time the store keeps from the row's first write (what newest first lists by).</summary>
    public DateTimeOffset SubmittedOn { get; set; }

    public int Value { get; set; }

    public string Text { get; set; } = string.Empty;

    public List<int> Items { get; set; } = [];

    [JsonIgnore]
    public IReadOnlyList<AuditRecord> AuditRecords { get; set; } = [];

    [JsonIgnore]
    public JobRowColumns Columns => new(State, Region, Project, Owner, Active, SubmittedOn);
}

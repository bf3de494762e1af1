namespace Federation.Actors.Reminders;

/// <summary>
/// One durable reminder: which grain, its name, when it first fires and how often. Ticks are not
/// stored; after a restart the schedule continues from <see cref="StartAt"/> and <see cref="Period"/>
/// and missed ticks are skipped. <see cref="ETag"/> is the row version, set by the table.
/// </summary>
public sealed record ReminderEntry(GrainId GrainId, string ReminderName, DateTimeOffset StartAt, TimeSpan Period, string? ETag = null)
{
    /// <summary>The grain's uniform hash, stored so a silo can read the range it owns.</summary>
    public uint GrainHash => GrainId.GetUniformHashCode();
}

/// <summary>
/// The durable reminder table (Orleans' OrleansRemindersTable contract). Keyed by grain id and
/// reminder name; upsert replaces a reminder of the same name and returns the new ETag.
/// </summary>
public interface IReminderTable
{
    /// <summary>Creates the table if it does not exist. Idempotent.</summary>
    Task InitAsync(CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ReminderEntry>> ReadRowsAsync(GrainId grainId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reminders whose grain hash lies in the ring range (begin, end]; when begin ≥ end the range wraps
    /// (hash &gt; begin or hash ≤ end), so (0, 0] with begin == end reads every row.
    /// </summary>
    Task<IReadOnlyList<ReminderEntry>> ReadRangeAsync(uint begin, uint end, CancellationToken cancellationToken = default);

    Task<ReminderEntry?> ReadRowAsync(GrainId grainId, string reminderName, CancellationToken cancellationToken = default);

    /// <summary>Inserts or replaces the reminder and returns its new ETag.</summary>
    Task<string> UpsertRowAsync(ReminderEntry entry, CancellationToken cancellationToken = default);

    /// <summary>Removes the reminder if its ETag matches; returns false if it did not (or no row existed).</summary>
    Task<bool> RemoveRowAsync(GrainId grainId, string reminderName, string eTag, CancellationToken cancellationToken = default);
}

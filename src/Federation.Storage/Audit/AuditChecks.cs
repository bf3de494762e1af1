namespace Federation.Storage.Audit;

/// <summary>What every audit writer refuses before it writes, and the bounds of a query, the same for every store.</summary>
internal static class AuditChecks
{
    /// <summary>
    /// Throws an <see cref="ArgumentException"/> (parameter <paramref name="paramName"/>) naming the entry and the field
    /// when an entry is null, its id is empty or longer than <see cref="AuditRecord.MaxIdLength"/>, or a required text
    /// (actor, role, action, target) is empty.
    /// </summary>
    public static void ThrowIfInvalid(IReadOnlyList<AuditRecord> records, string paramName)
    {
        ArgumentNullException.ThrowIfNull(records, paramName);
        for (var i = 0; i < records.Count; i++)
        {
            var record = records[i] ?? throw new ArgumentException($"Audit entry {i} is null.", paramName);
            if (string.IsNullOrEmpty(record.Id))
            {
                throw new ArgumentException($"Audit entry {i}: {nameof(AuditRecord.Id)} is empty.", paramName);
            }

            if (record.Id.Length > AuditRecord.MaxIdLength)
            {
                throw new ArgumentException(
                    $"Audit entry {i}: {nameof(AuditRecord.Id)} is {record.Id.Length} characters long; the most is {AuditRecord.MaxIdLength}.", paramName);
            }

            ThrowIfEmpty(record.Actor, nameof(AuditRecord.Actor), record.Id, paramName);
            ThrowIfEmpty(record.Role, nameof(AuditRecord.Role), record.Id, paramName);
            ThrowIfEmpty(record.Action, nameof(AuditRecord.Action), record.Id, paramName);
            ThrowIfEmpty(record.Target, nameof(AuditRecord.Target), record.Id, paramName);
        }
    }

    /// <summary>The arguments of <see cref="IAuditLog.QueryAsync"/>: a filter, a limit of 1 to <see cref="IAuditLog.MaxPageSize"/>, a positive <c>before</c>.</summary>
    public static void CheckQuery(AuditFilter filter, int limit, long? before)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, IAuditLog.MaxPageSize);
        if (before is { } position)
        {
            // Sequences start at 1: nothing comes before 1, and 0 or less is no position a page handed out.
            ArgumentOutOfRangeException.ThrowIfLessThan(position, 1, nameof(before));
        }
    }

    private static void ThrowIfEmpty(string value, string field, string id, string paramName)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new ArgumentException($"Audit entry '{id}': {field} is empty.", paramName);
        }
    }
}

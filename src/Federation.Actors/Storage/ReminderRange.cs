namespace Federation.Actors.Storage;

/// <summary>The ring-range rule of the reminder table, shared so every table implementation agrees.</summary>
public static class ReminderRange
{
    /// <summary>
    /// True when <paramref name="hash"/> lies in (begin, end]; when begin ≥ end the range wraps
    /// (hash &gt; begin or hash ≤ end), so begin == end covers the whole ring.
    /// </summary>
    public static bool Contains(uint begin, uint end, uint hash) =>
        begin < end ? hash > begin && hash <= end : hash > begin || hash <= end;
}

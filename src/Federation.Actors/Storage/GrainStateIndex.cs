namespace Federation.Actors.Storage;

/// <summary>
/// The rules of <see cref="IGrainStateQueryable"/> every provider shares: which entries a state
/// carries, what a valid query is, and when a row's entries match its filters.
/// </summary>
public static class GrainStateIndex
{
    [ThreadStatic]
    private static List<KeyValuePair<string, string>>? t_entries;

    /// <summary>The state's index entries, de-duplicated; null when the state is not indexed.</summary>
    public static KeyValuePair<string, string>[]? EntriesOf<T>(T state)
    {
        if (state is not IIndexedGrainState indexed)
        {
            return null;
        }

        // One list per thread collects the entries: a state's write is the only user, and it never nests.
        var entries = t_entries ?? new List<KeyValuePair<string, string>>(8);
        t_entries = null;
        entries.Clear();
        try
        {
            indexed.GetIndexEntries(entries);
            return Unique(state, entries);
        }
        finally
        {
            entries.Clear();
            t_entries = entries;
        }
    }

    private static KeyValuePair<string, string>[] Unique<T>(T state, List<KeyValuePair<string, string>> entries)
    {

        // A state has a handful of entries: a pairwise ordinal scan de-duplicates them without a
        // HashSet, whose KeyValuePair hashing (ValueType.GetHashCode) showed at ~3 % of a write-heavy profile.
        var unique = new KeyValuePair<string, string>[entries.Count];
        var count = 0;
        foreach (var entry in entries)
        {
            if (entry.Key is null || entry.Value is null)
            {
                throw new ArgumentException($"{state!.GetType().Name}.GetIndexEntries returned an entry with a null name or value.", nameof(state));
            }

            var seen = false;
            for (var i = 0; i < count; i++)
            {
                if (string.Equals(unique[i].Key, entry.Key, StringComparison.Ordinal) && string.Equals(unique[i].Value, entry.Value, StringComparison.Ordinal))
                {
                    seen = true;
                    break;
                }
            }

            if (!seen)
            {
                unique[count++] = entry;
            }
        }

        return count == unique.Length ? unique : unique[..count];
    }

    /// <summary>True when every filter names an entry the row has (AND); an empty filter list matches every row.</summary>
    public static bool Matches(KeyValuePair<string, string>[]? entries, IReadOnlyList<IndexFilter> filters)
    {
        foreach (var filter in filters)
        {
            var found = false;
            if (entries is not null)
            {
                foreach (var entry in entries)
                {
                    if (string.Equals(entry.Key, filter.Name, StringComparison.Ordinal) && string.Equals(entry.Value, filter.Value, StringComparison.Ordinal))
                    {
                        found = true;
                        break;
                    }
                }
            }

            if (!found)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Rejects a query no provider can answer.</summary>
    public static void Check(GrainStateQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.GrainType.IsDefault)
        {
            throw new ArgumentException("The query's grain type must be set.", nameof(query));
        }

        ArgumentException.ThrowIfNullOrEmpty(query.StateName);
        ArgumentNullException.ThrowIfNull(query.Filters);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1);
        foreach (var filter in query.Filters)
        {
            if (filter.Name is null || filter.Value is null)
            {
                throw new ArgumentException("An index filter's name and value must not be null.", nameof(query));
            }
        }
    }
}

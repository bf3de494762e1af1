namespace Federation.Actors.Storage;

/// <summary>
/// Implemented by a state type whose rows should be findable by value: the provider stores these
/// (name, value) entries with the state, in the same write, so the index is never out of step with the
/// row it points to. Entries are replaced on every write and removed on clear.
/// </summary>
public interface IIndexedGrainState
{
    /// <summary>Adds this state's index entries (names and values are case-sensitive, non-null).</summary>
    void GetIndexEntries(ICollection<KeyValuePair<string, string>> entries);
}

/// <summary>One equality filter on an index entry.</summary>
public readonly record struct IndexFilter(string Name, string Value);

/// <summary>
/// Which rows to read: grain type and state name, every filter must match (AND), ordered by grain key,
/// at most <see cref="Limit"/> rows after <see cref="AfterKey"/> (keyset paging).
/// </summary>
public sealed record GrainStateQuery(GrainType GrainType, string StateName, IReadOnlyList<IndexFilter> Filters)
{
    /// <summary>Default for <see cref="Limit"/>.</summary>
    public const int DefaultLimit = 1000;

    public int Limit { get; init; } = DefaultLimit;

    /// <summary>Return only rows whose grain key sorts (ordinal) after this one.</summary>
    public string? AfterKey { get; init; }
}

/// <summary>One stored row returned by a query.</summary>
public sealed record StoredGrainState<T>(GrainId GrainId, T State, string ETag);

/// <summary>A page of a query: the rows, how many rows matched in all, and the key to continue after (null at the end).</summary>
public sealed record GrainStateQueryResult<T>(IReadOnlyList<StoredGrainState<T>> Items, int TotalCount, string? NextAfterKey);

/// <summary>
/// A storage provider that can find rows by the entries of <see cref="IIndexedGrainState"/>. Reads are
/// of committed rows only. Cleared rows (no record) are never returned.
/// </summary>
public interface IGrainStateQueryable
{
    Task<GrainStateQueryResult<T>> QueryAsync<T>(GrainStateQuery query, CancellationToken cancellationToken = default);
}

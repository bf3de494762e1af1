namespace Federation.Actors.Storage;

/// <summary>
/// Shares one array among the rows of an in-memory store whose index entries are equal. Rows of one kind mostly carry
/// the same few combinations (a queued job in a region of a project: state, region, project, active), and the array of
/// each row was held as long as the row (one per queued job, ~90 bytes). Bounded: past <see cref="MaxDistinct"/>
/// combinations a row keeps its own array, so an unbounded variety of values costs no more than before.
/// </summary>
internal sealed class IndexEntriesInterner
{
    /// <summary>Most distinct combinations kept.</summary>
    public const int MaxDistinct = 16_384;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<Key, KeyValuePair<string, string>[]> _shared = new();

    /// <summary>The shared array equal to <paramref name="entries"/> (which becomes the shared one if it is the first).</summary>
    public KeyValuePair<string, string>[]? Intern(KeyValuePair<string, string>[]? entries)
    {
        if (entries is null || entries.Length == 0)
        {
            return entries;
        }

        var key = new Key(entries);
        if (_shared.TryGetValue(key, out var shared))
        {
            return shared;
        }

        return _shared.Count < MaxDistinct ? _shared.GetOrAdd(key, entries) : entries;
    }

    /// <summary>An entries array compared by its contents (ordinal, in order: a state lists its entries in a fixed order).</summary>
    private readonly struct Key(KeyValuePair<string, string>[] entries) : IEquatable<Key>
    {
        private readonly KeyValuePair<string, string>[] _entries = entries;

        public bool Equals(Key other)
        {
            var a = _entries;
            var b = other._entries;
            if (a.Length != b.Length)
            {
                return false;
            }

            for (var i = 0; i < a.Length; i++)
            {
                if (!string.Equals(a[i].Key, b[i].Key, StringComparison.Ordinal) || !string.Equals(a[i].Value, b[i].Value, StringComparison.Ordinal))
                {
                    return false;
                }
            }

            return true;
        }

        public override bool Equals(object? obj) => obj is Key other && Equals(other);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            foreach (var e in _entries)
            {
                hash.Add(e.Key, StringComparer.Ordinal);
                hash.Add(e.Value, StringComparer.Ordinal);
            }

            return hash.ToHashCode();
        }
    }
}

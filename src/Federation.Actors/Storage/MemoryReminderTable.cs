using Federation.Actors.Reminders;

namespace Federation.Actors.Storage;

/// <summary>
/// An in-process <see cref="IReminderTable"/> with the ADO.NET table's semantics: upsert replaces and
/// advances the version (the ETag), remove is guarded by the ETag, range reads follow the ring rule.
/// Reminders kept here do not survive a restart; use the SQLite table for that.
/// </summary>
public sealed class MemoryReminderTable : IReminderTable
{
    // Reminder traffic is a few operations per minute per grain: one lock keeps it simple and exact.
    private readonly Lock _gate = new();
    private readonly Dictionary<(GrainId GrainId, string Name), ReminderEntry> _rows = [];

    public Task InitAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task<IReadOnlyList<ReminderEntry>> ReadRowsAsync(GrainId grainId, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var result = new List<ReminderEntry>();
        lock (_gate)
        {
            foreach (var (key, entry) in _rows)
            {
                if (key.GrainId == grainId)
                {
                    result.Add(entry);
                }
            }
        }

        return Task.FromResult<IReadOnlyList<ReminderEntry>>(result);
    }

    public Task<IReadOnlyList<ReminderEntry>> ReadRangeAsync(uint begin, uint end, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var result = new List<ReminderEntry>();
        lock (_gate)
        {
            foreach (var entry in _rows.Values)
            {
                if (ReminderRange.Contains(begin, end, entry.GrainHash))
                {
                    result.Add(entry);
                }
            }
        }

        return Task.FromResult<IReadOnlyList<ReminderEntry>>(result);
    }

    public Task<ReminderEntry?> ReadRowAsync(GrainId grainId, string reminderName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(reminderName);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            return Task.FromResult(_rows.GetValueOrDefault((grainId, reminderName)));
        }
    }

    public Task<string> UpsertRowAsync(ReminderEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentException.ThrowIfNullOrEmpty(entry.ReminderName);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            var key = (entry.GrainId, entry.ReminderName);
            var version = _rows.TryGetValue(key, out var existing) && StorageETag.TryParse(existing.ETag, out var current) ? current + 1 : 1;
            var eTag = StorageETag.Format(version);
            _rows[key] = entry with { ETag = eTag };
            return Task.FromResult(eTag);
        }
    }

    public Task<bool> RemoveRowAsync(GrainId grainId, string reminderName, string eTag, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(reminderName);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            var key = (grainId, reminderName);
            if (_rows.TryGetValue(key, out var existing) && string.Equals(existing.ETag, eTag, StringComparison.Ordinal))
            {
                _rows.Remove(key);
                return Task.FromResult(true);
            }

            return Task.FromResult(false);
        }
    }
}

using System.Data.Common;
using Federation.Actors.Reminders;
using Federation.Actors.Storage;

namespace Federation.Actors.AdoNet;

/// <summary>
/// Reminders in the <c>orleansreminderstable</c> table of an <see cref="AdoNetDatabase"/>, keyed by
/// service id, grain id and reminder name. <c>version</c> is the ETag; an upsert advances it in the
/// same statement that replaces the row (<c>INSERT … ON CONFLICT … DO UPDATE … RETURNING</c>), and a
/// remove is guarded by it. <c>grainhash</c> is the grain's uniform hash stored as a non-negative
/// 64-bit integer, so ring ranges compare as unsigned without Orleans' signed-int tricks.
/// Start times are stored in milliseconds, as Orleans does.
/// </summary>
public sealed class AdoNetReminderTable : IReminderTable, IStorageHealthCheck, IAsyncDisposable, IDisposable
{
    private readonly AdoNetDatabase _database;
    private readonly AdoNetDialect _dialect;
    private int _disposed;
    private readonly string _serviceId;

    /// <param name="database">The database; this instance owns one reference to it and releases it on dispose.</param>
    /// <param name="serviceId">Separates deployments that share one database.</param>
    public AdoNetReminderTable(AdoNetDatabase database, string serviceId)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceId);
        _database = database;
        _dialect = database.Dialect;
        _serviceId = serviceId;
    }

    public AdoNetDatabase Database => _database;

    /// <inheritdoc cref="AdoNetDatabase.CheckHealthAsync"/>
    public Task<StorageHealth> CheckHealthAsync(CancellationToken cancellationToken = default) => _database.CheckHealthAsync(cancellationToken);

    public Task InitAsync(CancellationToken cancellationToken = default) => _database.InitializeAsync(cancellationToken);

    public async Task<IReadOnlyList<ReminderEntry>> ReadRowsAsync(GrainId grainId, CancellationToken cancellationToken = default)
    {
        CheckGrain(grainId);
        using var lease = await _database.AcquireAsync(AdoNetAccess.Read, cancellationToken).ConfigureAwait(false);
        var command = Command(lease, _dialect.ReadReminderRows);
        AdoNetConnection.Bind(command, "@grainid", grainId.ToString());
        return await ReadEntriesAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<ReminderEntry>> ReadRangeAsync(uint begin, uint end, CancellationToken cancellationToken = default)
    {
        using var lease = await _database.AcquireAsync(AdoNetAccess.Read, cancellationToken).ConfigureAwait(false);
        var command = Command(lease, begin < end ? _dialect.ReadReminderRange : _dialect.ReadReminderRangeWrapped);
        AdoNetConnection.Bind(command, "@beginhash", (long)begin);
        AdoNetConnection.Bind(command, "@endhash", (long)end);
        return await ReadEntriesAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ReminderEntry?> ReadRowAsync(GrainId grainId, string reminderName, CancellationToken cancellationToken = default)
    {
        CheckGrain(grainId);
        ArgumentException.ThrowIfNullOrEmpty(reminderName);
        using var lease = await _database.AcquireAsync(AdoNetAccess.Read, cancellationToken).ConfigureAwait(false);
        var command = Command(lease, _dialect.ReadReminderRow);
        AdoNetConnection.Bind(command, "@grainid", grainId.ToString());
        AdoNetConnection.Bind(command, "@remindername", reminderName);
        var rows = await ReadEntriesAsync(command, cancellationToken).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    public async Task<string> UpsertRowAsync(ReminderEntry entry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entry);
        CheckGrain(entry.GrainId);
        ArgumentException.ThrowIfNullOrEmpty(entry.ReminderName);
        var version = await _database.WriteStatementAsync(
            static async (connection, args) =>
            {
                var (table, entry) = args;
                var command = table.Command(connection, table._dialect.UpsertReminder);
                AdoNetConnection.Bind(command, "@grainid", entry.GrainId.ToString());
                AdoNetConnection.Bind(command, "@remindername", entry.ReminderName);
                AdoNetConnection.Bind(command, "@starttime", table._dialect.ToDbTimestamp(entry.StartAt));
                AdoNetConnection.Bind(command, "@period", (long)entry.Period.TotalMilliseconds);
                AdoNetConnection.Bind(command, "@grainhash", (long)entry.GrainHash);
                return await command.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false);
            },
            (this, entry),
            cancellationToken).ConfigureAwait(false);
        return StorageETag.Format(Convert.ToInt64(version, System.Globalization.CultureInfo.InvariantCulture));
    }

    public async Task<bool> RemoveRowAsync(GrainId grainId, string reminderName, string eTag, CancellationToken cancellationToken = default)
    {
        CheckGrain(grainId);
        ArgumentException.ThrowIfNullOrEmpty(reminderName);
        if (!StorageETag.TryParse(eTag, out var version))
        {
            return false;
        }

        var removed = await _database.WriteStatementAsync(
            static (connection, args) =>
            {
                var (table, grainId, reminderName, version) = args;
                var command = table.Command(connection, table._dialect.DeleteReminder);
                AdoNetConnection.Bind(command, "@grainid", grainId.ToString());
                AdoNetConnection.Bind(command, "@remindername", reminderName);
                AdoNetConnection.Bind(command, "@version", version);
                return command.ExecuteNonQueryAsync(CancellationToken.None);
            },
            (this, grainId, reminderName, version),
            cancellationToken).ConfigureAwait(false);
        return removed == 1;
    }

    /// <summary>Releases this provider's share of the database (once, however often it is called).</summary>
    public ValueTask DisposeAsync() => Interlocked.Exchange(ref _disposed, 1) == 0 ? _database.DisposeAsync() : ValueTask.CompletedTask;

    /// <summary>
    /// For containers disposed synchronously. Safe to block: closing a SQLite connection does no
    /// asynchronous I/O, and the only wait is for an in-flight write to finish.
    /// </summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static void CheckGrain(GrainId grainId)
    {
        if (grainId.IsDefault)
        {
            throw new ArgumentException("The grain id must be set.", nameof(grainId));
        }
    }

    private DbCommand Command(AdoNetLease lease, string sql) => Command(lease.Connection, sql);

    private DbCommand Command(AdoNetConnection connection, string sql)
    {
        var command = connection.Command(sql);
        AdoNetConnection.Bind(command, "@serviceid", _serviceId);
        return command;
    }

    private async Task<IReadOnlyList<ReminderEntry>> ReadEntriesAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var result = new List<ReminderEntry>();
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                result.Add(new ReminderEntry(
                    GrainId.Parse(reader.GetString(0)),
                    reader.GetString(1),
                    _dialect.FromDbTimestamp(reader.GetValue(2)),
                    TimeSpan.FromMilliseconds(reader.GetInt64(3)),
                    StorageETag.Format(reader.GetInt64(4))));
            }
        }
        catch (Exception exception) when (_database.IsConnectionFailure(exception))
        {
            throw _database.Unreachable("Reading reminders", exception);
        }

        return result;
    }
}

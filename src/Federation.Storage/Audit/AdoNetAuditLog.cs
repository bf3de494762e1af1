namespace Federation.Storage.Audit;

/// <summary>
/// The audit table <c>federationaudit</c> of an <see cref="AdoNetDatabase"/> (SQLite or PostgreSQL), one deployment's
/// entries (its service id). An append inserts every entry in one transaction with <c>ON CONFLICT (serviceid, id) DO
/// NOTHING</c>, so an entry written again (a retry after a crash) is kept once, the first time, and returns once it is
/// committed. The database numbers the entries (<c>seq</c>) and refuses any update or delete of them. An outage is an
/// <see cref="AdoNetStorageException"/> of kind <see cref="AdoNetStorageErrorKind.Unreachable"/>, as from the job store.
/// </summary>
public sealed class AdoNetAuditLog : IAuditLog
{
    private readonly AdoNetDatabase _database;
    private readonly AuditSql _sql;
    private readonly string _serviceId;

    /// <param name="database">The database holding <see cref="SchemaComponent.Audit"/> (its owner disposes it).</param>
    /// <param name="serviceId">Separates deployments that share one database; part of every entry's key.</param>
    public AdoNetAuditLog(AdoNetDatabase database, string serviceId)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceId);
        _database = database;
        _sql = new AuditSql(database.Dialect);
        _serviceId = serviceId;
    }

    public string Description => $"{_database.Dialect.Name} database '{_database.DisplayName}'";

    public async Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken = default)
    {
        AuditChecks.ThrowIfInvalid(records, nameof(records));
        if (records.Count == 0)
        {
            return;
        }

        await _database.WriteAsync(
            static (connection, a) => a.Sql.InsertAsync(connection, a.ServiceId, a.Records),
            (Sql: _sql, ServiceId: _serviceId, Records: records),
            cancellationToken).ConfigureAwait(false);
    }

    public async Task<AuditPage> QueryAsync(AuditFilter filter, int limit, long? before, CancellationToken cancellationToken = default)
    {
        AuditChecks.CheckQuery(filter, limit, before);
        var records = new List<AuditRecord>(Math.Min(limit + 1, 128));
        try
        {
            using var lease = await _database.AcquireAsync(AdoNetAccess.Read, cancellationToken).ConfigureAwait(false);
            var command = lease.Connection.Command(_sql.Query(filter, before is not null));
            AdoNetConnection.Bind(command, "@serviceid", _serviceId);
            AuditSql.BindFilter(command, filter);
            if (before is { } position)
            {
                AdoNetConnection.Bind(command, "@before", position);
            }

            // One entry more than the page tells whether another page follows.
            AdoNetConnection.Bind(command, "@limit", (long)limit + 1);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                records.Add(_sql.ReadRecord(reader));
            }
        }
        catch (Exception exception) when (_database.IsConnectionFailure(exception))
        {
            throw _database.Unreachable("Reading the audit table", exception);
        }

        if (records.Count <= limit)
        {
            return new AuditPage(records, null);
        }

        records.RemoveAt(limit);
        return new AuditPage(records, records[^1].Sequence);
    }
}

using System.Data.Common;
using System.Globalization;
using Federation.Storage.Audit;
using Orleans.Storage;

namespace Federation.Storage.Jobs;

/// <summary>
/// Job rows in the <c>federationjobs</c> table of an <see cref="AdoNetDatabase"/> (SQLite or PostgreSQL), with Orleans'
/// ETag protocol: the ETag is the row's <c>version</c>; a write with no ETag inserts version 1 only if no row exists; a
/// write with ETag v changes the row only <c>WHERE version = v</c> and advances it. The check and the change are one
/// statement, so no other writer can come between them; the index columns are written by that statement too. A write
/// returns once it is durably committed (SQLite: the group commit it joined; PostgreSQL: its autocommit). A row that
/// carries audit entries (<see cref="IJobRow.AuditRecords"/>) is written together with them, and they are stored only
/// if the row statement changed the row: on PostgreSQL one statement does both (the row write in a data-modifying
/// <c>WITH</c>, <see cref="AuditSql.WithRowWrite"/>); on SQLite the row statement and then the inserts run in one
/// transaction. The database must hold <see cref="SchemaComponent.Audit"/>, as the job databases do.
/// </summary>
public sealed class AdoNetJobStore : JobStoreBase, IStorageHealthCheck
{
    private readonly AdoNetDatabase _database;
    private readonly AdoNetDialect _dialect;
    private readonly JobSql _sql;
    private readonly AuditSql _auditSql;
    private readonly string _serviceId;
    private readonly TimeProvider _time;

    /// <param name="database">The database (its owner disposes it).</param>
    /// <param name="serviceId">Separates deployments that share one database; part of every row's key.</param>
    public AdoNetJobStore(AdoNetDatabase database, string serviceId, JobStoreOptions options, IGrainStorageSerializer serializer, TimeProvider? time = null)
        : base(options, serializer)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceId);
        _database = database;
        _dialect = database.Dialect;
        _sql = new JobSql(_dialect);
        _auditSql = new AuditSql(_dialect);
        _serviceId = serviceId;
        _time = time ?? TimeProvider.System;
    }

    public override string Description => $"{_dialect.Name} database '{_database.DisplayName}'";

    public AdoNetDatabase Database => _database;

    public Task<StorageHealth> CheckHealthAsync(CancellationToken cancellationToken = default) => _database.CheckHealthAsync(cancellationToken);

    public override async Task<StoredJobRow<T>?> ReadAsync<T>(string jobId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        byte[]? payload = null;
        long version = 0;
        try
        {
            using var lease = await _database.AcquireAsync(AdoNetAccess.Read, cancellationToken).ConfigureAwait(false);
            var command = Keyed(lease.Connection, _sql.Read, jobId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                payload = reader.GetFieldValue<byte[]>(0);
                version = reader.GetInt64(1);
            }
        }
        catch (Exception exception) when (_database.IsConnectionFailure(exception))
        {
            throw _database.Unreachable("Reading a job row", exception);
        }

        return payload is null ? null : new StoredJobRow<T>(jobId, Serializer.Deserialize<T>(new BinaryData(payload))!, Format(version));
    }

    public override async Task<JobRowPage<T>> QueryAsync<T>(JobRowFilter filter, JobRowOrder order, int limit, string? after, CancellationToken cancellationToken = default)
    {
        CheckQuery(filter, order, limit);
        var rows = new List<(string Id, byte[] Payload, long Version)>();
        long total = 0;
        var unknownAfter = false;
        try
        {
            using var lease = await _database.AcquireAsync(AdoNetAccess.Read, cancellationToken).ConfigureAwait(false);
            var command = Filtered(lease.Connection, _sql.Query(filter, order, after is not null), filter);
            if (after is not null)
            {
                AdoNetConnection.Bind(command, "@after", after);
            }

            // One row more than the page tells whether another page follows.
            AdoNetConnection.Bind(command, "@limit", (long)limit + 1);
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    rows.Add((reader.GetString(0), reader.GetFieldValue<byte[]>(1), reader.GetInt64(2)));
                    total = reader.GetInt64(3);
                }
            }

            if (rows.Count == 0)
            {
                var count = await Filtered(lease.Connection, _sql.Count(filter), filter).ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                total = Convert.ToInt64(count, CultureInfo.InvariantCulture);

                // Newest first, an empty page is either the end or an id with no row (no position at all): tell them apart.
                if (order == JobRowOrder.Newest && after is not null)
                {
                    var version = await Keyed(lease.Connection, _sql.ReadVersion, after).ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                    unknownAfter = version is null or DBNull;
                }
            }
        }
        catch (Exception exception) when (_database.IsConnectionFailure(exception))
        {
            throw _database.Unreachable("Listing job rows", exception);
        }

        var size = Math.Min(rows.Count, limit);
        var items = new List<StoredJobRow<T>>(size);
        for (var i = 0; i < size; i++)
        {
            var (id, payload, version) = rows[i];
            items.Add(new StoredJobRow<T>(id, Serializer.Deserialize<T>(new BinaryData(payload))!, Format(version)));
        }

        return new JobRowPage<T>(items, checked((int)total), rows.Count > limit ? rows[limit - 1].Id : null, unknownAfter);
    }

    protected override async Task<bool> WriteAsync(
        string jobId, JobRowColumns columns, BinaryData payload, long? expectedVersion, IReadOnlyList<AuditRecord> auditRecords, CancellationToken cancellationToken)
    {
        var write = new Write(this, jobId, columns, PayloadBytes(payload), expectedVersion, auditRecords);
        var affected = auditRecords.Count == 0
            ? await _database.WriteStatementAsync(static (connection, w) => w.Store.ExecuteWriteAsync(connection, w), write, cancellationToken).ConfigureAwait(false)
            : _dialect.SupportsWritableCte
                ? await _database.WriteStatementAsync(static (connection, w) => w.Store.ExecuteAuditedStatementAsync(connection, w), write, cancellationToken).ConfigureAwait(false)
                : await _database.WriteAsync(static (connection, w) => w.Store.ExecuteAuditedWriteAsync(connection, w), write, cancellationToken).ConfigureAwait(false);
        return affected == 1;
    }

    protected override async Task<bool> DeleteAsync(string jobId, long expectedVersion, CancellationToken cancellationToken)
    {
        var affected = await _database.WriteStatementAsync(
            static (connection, d) =>
            {
                var command = d.Store.Keyed(connection, d.Store._sql.Delete, d.JobId);
                AdoNetConnection.Bind(command, "@version", d.Version);
                return command.ExecuteNonQueryAsync(CancellationToken.None);
            },
            (Store: this, JobId: jobId, Version: expectedVersion),
            cancellationToken).ConfigureAwait(false);
        return affected == 1;
    }

    protected override async Task<long?> ReadVersionAsync(string jobId, CancellationToken cancellationToken)
    {
        try
        {
            using var lease = await _database.AcquireAsync(AdoNetAccess.Read, cancellationToken).ConfigureAwait(false);
            var value = await Keyed(lease.Connection, _sql.ReadVersion, jobId).ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return value is null or DBNull ? null : Convert.ToInt64(value, CultureInfo.InvariantCulture);
        }
        catch (Exception exception) when (_database.IsConnectionFailure(exception))
        {
            throw _database.Unreachable("Reading a job row's version", exception);
        }
    }

    private Task<int> ExecuteWriteAsync(AdoNetConnection connection, Write write) =>
        BindRow(Keyed(connection, write.Version is null ? _sql.Insert : _sql.Update, write.JobId), write).ExecuteNonQueryAsync(CancellationToken.None);

    /// <summary>The row and its audit entries in one statement (<see cref="AuditSql.WithRowWrite"/>): one round trip in autocommit.</summary>
    private async Task<int> ExecuteAuditedStatementAsync(AdoNetConnection connection, Write write)
    {
        var sql = _auditSql.WithRowWrite(write.Version is null ? _sql.Insert : _sql.Update, write.AuditRecords.Count);
        var command = BindRow(Keyed(connection, sql, write.JobId), write);
        _auditSql.BindRecords(command, write.AuditRecords);

        // Not cancellable once started: the caller learns the outcome of a write it began.
        var written = await command.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false);
        return Convert.ToInt32(written, CultureInfo.InvariantCulture);
    }

    /// <summary>Binds the row's columns (and the version guard, or the submission time of an insert) to a row write.</summary>
    private DbCommand BindRow(DbCommand command, Write write)
    {
        var c = write.Columns;
        AdoNetConnection.Bind(command, "@state", c.State);
        AdoNetConnection.Bind(command, "@region", c.Region);
        AdoNetConnection.Bind(command, "@project", c.Project);
        AdoNetConnection.Bind(command, "@owner", c.Owner);
        AdoNetConnection.Bind(command, "@active", _dialect.ToDbBoolean(c.Active));
        AdoNetConnection.Bind(command, "@payload", write.Payload);
        AdoNetConnection.Bind(command, "@modifiedon", _dialect.ToDbTimestamp(_time.GetUtcNow()));
        if (write.Version is { } version)
        {
            AdoNetConnection.Bind(command, "@version", version);
        }
        else
        {
            AdoNetConnection.Bind(command, "@submittedon", _dialect.ToDbTimestamp(c.SubmittedOn));
        }

        return command;
    }

    /// <summary>
    /// The row statement, then, only if the guard let it change the row, the row's audit entries: one transaction. Not
    /// cancellable once started: the caller learns the outcome of a write it began.
    /// </summary>
    private async Task<int> ExecuteAuditedWriteAsync(AdoNetConnection connection, Write write)
    {
        var affected = await ExecuteWriteAsync(connection, write).ConfigureAwait(false);
        if (affected == 1)
        {
            await _auditSql.InsertAsync(connection, _serviceId, write.AuditRecords).ConfigureAwait(false);
        }

        return affected;
    }

    private DbCommand Keyed(AdoNetConnection connection, string sql, string jobId)
    {
        var command = connection.Command(sql);
        AdoNetConnection.Bind(command, "@serviceid", _serviceId);
        AdoNetConnection.Bind(command, "@jobid", jobId);
        return command;
    }

    private DbCommand Filtered(AdoNetConnection connection, string sql, JobRowFilter filter)
    {
        var command = connection.Command(sql);
        AdoNetConnection.Bind(command, "@serviceid", _serviceId);
        if (filter.State is { } state)
        {
            AdoNetConnection.Bind(command, "@state", state);
        }

        if (filter.Region is { } region)
        {
            AdoNetConnection.Bind(command, "@region", region);
        }

        if (filter.Project is { } project)
        {
            AdoNetConnection.Bind(command, "@project", project);
        }

        if (filter.Owner is { } owner)
        {
            AdoNetConnection.Bind(command, "@owner", owner);
        }

        return command;
    }

    private readonly record struct Write(AdoNetJobStore Store, string JobId, JobRowColumns Columns, byte[] Payload, long? Version, IReadOnlyList<AuditRecord> AuditRecords);
}

using System.Data.Common;
using Federation.Actors.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Federation.Actors.AdoNet;

/// <summary>
/// Grain state in the <c>orleansstorage</c> table of an <see cref="AdoNetDatabase"/>, with Orleans'
/// ETag protocol: the ETag is the row's <c>version</c> as a decimal string; a write with no ETag
/// inserts version 1 only if no row exists; a write or clear with ETag v changes the row only
/// <c>WHERE version = v</c> and advances it to v + 1. Anything else throws
/// <see cref="InconsistentStateException"/> and leaves the row as it was: the check and the change
/// are one statement, so there is no window between them for another writer.
/// The row key is service id + grain type + state name + grain key (see docs/storage.md for why this
/// deliberately differs from Orleans).
/// </summary>
public sealed class AdoNetGrainStorage : IGrainStorage, IGrainStateQueryable, IStorageHealthCheck, IAsyncDisposable, IDisposable
{
    private readonly AdoNetDatabase _database;
    private readonly AdoNetDialect _dialect;
    private int _disposed;
    private readonly IGrainStorageSerializer _serializer;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly string _serviceId;
    private readonly bool _deleteStateOnClear;

    /// <param name="name">The provider's name, for logs.</param>
    /// <param name="database">The database; this instance owns one reference to it and releases it on dispose.</param>
    /// <param name="serviceId">Separates deployments that share one database.</param>
    /// <param name="deleteStateOnClear">Delete the row on clear instead of keeping it with a NULL payload.</param>
    public AdoNetGrainStorage(
        string name,
        AdoNetDatabase database,
        string serviceId,
        bool deleteStateOnClear,
        IGrainStorageSerializer serializer,
        TimeProvider? timeProvider = null,
        ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(database);
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceId);
        ArgumentNullException.ThrowIfNull(serializer);
        Name = name;
        _database = database;
        _dialect = database.Dialect;
        _serviceId = serviceId;
        _deleteStateOnClear = deleteStateOnClear;
        _serializer = serializer;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
    }

    public string Name { get; }

    public AdoNetDatabase Database => _database;

    /// <inheritdoc cref="AdoNetDatabase.CheckHealthAsync"/>
    public Task<StorageHealth> CheckHealthAsync(CancellationToken cancellationToken = default) => _database.CheckHealthAsync(cancellationToken);

    /// <summary>Creates the schema now rather than on the first operation.</summary>
    public Task InitializeAsync(CancellationToken cancellationToken = default) => _database.InitializeAsync(cancellationToken);

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken = default)
    {
        Check(stateName, grainId, grainState);
        byte[]? payload = null;
        long? version = null;
        try
        {
            using var lease = await _database.AcquireAsync(AdoNetAccess.Read, cancellationToken).ConfigureAwait(false);
            var command = KeyedCommand(lease, _dialect.ReadState, stateName, grainId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                payload = await reader.IsDBNullAsync(0, cancellationToken).ConfigureAwait(false) ? null : reader.GetFieldValue<byte[]>(0);
                version = reader.GetInt64(1);
            }
        }
        catch (Exception exception) when (_database.IsConnectionFailure(exception))
        {
            throw _database.Unreachable("Reading a grain state", exception);
        }

        grainState.State = payload is null ? GrainStateFactory<T>.Create() : _serializer.Deserialize<T>(payload);
        grainState.ETag = version is { } v ? StorageETag.Format(v) : null;
        grainState.RecordExists = payload is not null;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken = default)
    {
        Check(stateName, grainId, grainState);
        var sent = grainState.ETag;
        long expected = 0;
        if (sent is not null && !StorageETag.TryParse(sent, out expected))
        {
            throw await MismatchAsync("Write", stateName, grainId, sent, cancellationToken).ConfigureAwait(false);
        }

        var payload = _serializer.Serialize(grainState.State);
        var index = GrainStateIndex.EntriesOf(grainState.State);
        var reindex = index is not null || IsIndexed<T>();
        var affected = await WriteAsync(
            new KeyedWrite(this, sent is null ? _dialect.InsertState : _dialect.UpdateState, stateName, grainId, payload, HasPayload: true, sent is null ? null : expected)
            {
                Reindex = reindex,
                Index = index,
                WithIndex = reindex ? (sent is null ? _dialect.InsertStateWithIndex : _dialect.UpdateStateWithIndex) : null,
            },
            cancellationToken).ConfigureAwait(false);

        if (affected != 1)
        {
            throw await MismatchAsync("Write", stateName, grainId, sent, cancellationToken).ConfigureAwait(false);
        }

        grainState.ETag = StorageETag.Format(expected + 1);
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken = default)
    {
        Check(stateName, grainId, grainState);
        var sent = grainState.ETag;
        string? newETag = null;
        if (sent is null)
        {
            // The caller believes nothing is stored: clearing is a no-op if that is still so.
            if (await ReadVersionAsync(stateName, grainId, cancellationToken).ConfigureAwait(false) is not null)
            {
                throw await MismatchAsync("Clear", stateName, grainId, sent, cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            if (!StorageETag.TryParse(sent, out var expected))
            {
                throw await MismatchAsync("Clear", stateName, grainId, sent, cancellationToken).ConfigureAwait(false);
            }

            var reindex = grainState.State is IIndexedGrainState || IsIndexed<T>();
            var affected = await WriteAsync(
                new KeyedWrite(this, _deleteStateOnClear ? _dialect.DeleteState : _dialect.ClearState, stateName, grainId, null, HasPayload: false, expected, Stamp: !_deleteStateOnClear)
                {
                    Reindex = reindex,
                    WithIndex = reindex ? (_deleteStateOnClear ? _dialect.DeleteStateWithIndex : _dialect.ClearStateWithIndex) : null,
                },
                cancellationToken).ConfigureAwait(false);

            if (affected != 1)
            {
                throw await MismatchAsync("Clear", stateName, grainId, sent, cancellationToken).ConfigureAwait(false);
            }

            newETag = _deleteStateOnClear ? null : StorageETag.Format(expected + 1);
        }

        grainState.State = GrainStateFactory<T>.Create();
        grainState.ETag = newETag;
        grainState.RecordExists = false;
    }

    /// <summary>Releases this provider's share of the database (once, however often it is called).</summary>
    public ValueTask DisposeAsync() => Interlocked.Exchange(ref _disposed, 1) == 0 ? _database.DisposeAsync() : ValueTask.CompletedTask;

    /// <summary>
    /// For containers disposed synchronously. Safe to block: closing a SQLite connection does no
    /// asynchronous I/O, and the only wait is for an in-flight write to finish.
    /// </summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static void Check<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateName);
        ArgumentNullException.ThrowIfNull(grainState);
        if (grainId.IsDefault)
        {
            throw new ArgumentException("The grain id must be set.", nameof(grainId));
        }
    }

    public async Task<GrainStateQueryResult<T>> QueryAsync<T>(GrainStateQuery query, CancellationToken cancellationToken = default)
    {
        GrainStateIndex.Check(query);
        var filters = query.Filters;
        var rows = new List<(string Key, byte[] Payload, long Version)>();
        long total = 0;
        try
        {
            using var lease = await _database.AcquireAsync(AdoNetAccess.Read, cancellationToken).ConfigureAwait(false);
            var command = QueryCommand(lease.Connection, _dialect.QueryStates(filters.Count, query.AfterKey is not null), query);
            if (query.AfterKey is not null)
            {
                AdoNetConnection.Bind(command, "@afterkey", query.AfterKey);
            }

            // One row more than the page tells whether another page follows.
            AdoNetConnection.Bind(command, "@limit", (long)query.Limit + 1);
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
                var count = await QueryCommand(lease.Connection, _dialect.CountStates(filters.Count), query).ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
                total = Convert.ToInt64(count, System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        catch (Exception exception) when (_database.IsConnectionFailure(exception))
        {
            throw _database.Unreachable("Querying grain states", exception);
        }

        var pageSize = Math.Min(rows.Count, query.Limit);
        var items = new List<StoredGrainState<T>>(pageSize);
        for (var i = 0; i < pageSize; i++)
        {
            var (key, payload, version) = rows[i];
            items.Add(new StoredGrainState<T>(new GrainId(query.GrainType, key), _serializer.Deserialize<T>(payload), StorageETag.Format(version)));
        }

        var next = rows.Count > query.Limit ? rows[query.Limit - 1].Key : null;
        return new GrainStateQueryResult<T>(items, checked((int)total), next);
    }

    private static bool IsIndexed<T>() => IndexedType<T>.Value;

    /// <summary>
    /// Runs one keyed write to its commit. A write that is one statement (no index to replace, or the
    /// dialect's statement that replaces it too) may run in autocommit, one round trip on a server
    /// database; otherwise the row and index statements share one transaction (the group commit's on SQLite).
    /// </summary>
    private Task<int> WriteAsync(KeyedWrite write, CancellationToken cancellationToken) =>
        write.Reindex && write.WithIndex is null
            ? _database.WriteAsync(ExecuteAsync, write, cancellationToken)
            : _database.WriteStatementAsync(ExecuteAsync, write, cancellationToken);

    /// <summary>One keyed row write: the row and its index entries change together, or neither does. Returns the rows the row write changed (0 or 1).</summary>
    private static async Task<int> ExecuteAsync(AdoNetConnection connection, KeyedWrite write)
    {
        var storage = write.Storage;
        var command = storage.KeyedCommand(connection, write.WithIndex ?? write.Sql, write.StateName, write.GrainId);
        if (write.HasPayload)
        {
            AdoNetConnection.Bind(command, "@payload", write.Payload);
        }

        if (write.Stamp)
        {
            AdoNetConnection.Bind(command, "@modifiedon", storage._dialect.ToDbTimestamp(storage._timeProvider.GetUtcNow()));
        }

        if (write.Version is { } version)
        {
            AdoNetConnection.Bind(command, "@version", version);
        }

        if (write.WithIndex is not null)
        {
            var (names, values) = Columns(write.Index);
            AdoNetConnection.Bind(command, "@names", names);
            AdoNetConnection.Bind(command, "@values", values);
            var written = await command.ExecuteScalarAsync(CancellationToken.None).ConfigureAwait(false);
            return written is null or DBNull ? 0 : 1;
        }

        var affected = await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        if (affected == 1 && write.Reindex)
        {
            var dialect = storage._dialect;
            await storage.KeyedCommand(connection, dialect.DeleteStateIndex, write.StateName, write.GrainId).ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            foreach (var (name, value) in write.Index ?? [])
            {
                var insert = storage.KeyedCommand(connection, dialect.InsertStateIndex, write.StateName, write.GrainId);
                AdoNetConnection.Bind(insert, "@name", name);
                AdoNetConnection.Bind(insert, "@value", value);
                await insert.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }

        return affected;
    }

    /// <summary>The entries as the two parallel arrays the one-statement write unnests.</summary>
    private static (string[] Names, string[] Values) Columns(KeyValuePair<string, string>[]? index)
    {
        if (index is null || index.Length == 0)
        {
            return ([], []);
        }

        var names = new string[index.Length];
        var values = new string[index.Length];
        for (var i = 0; i < index.Length; i++)
        {
            names[i] = index[i].Key;
            values[i] = index[i].Value;
        }

        return (names, values);
    }

    private DbCommand QueryCommand(AdoNetConnection connection, string sql, GrainStateQuery query)
    {
        var command = connection.Command(sql);
        AdoNetConnection.Bind(command, "@serviceid", _serviceId);
        AdoNetConnection.Bind(command, "@graintype", query.GrainType.Value);
        AdoNetConnection.Bind(command, "@statename", query.StateName);
        for (var i = 0; i < query.Filters.Count; i++)
        {
            var suffix = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            AdoNetConnection.Bind(command, "@n" + suffix, query.Filters[i].Name);
            AdoNetConnection.Bind(command, "@v" + suffix, query.Filters[i].Value);
        }

        return command;
    }

    private DbCommand KeyedCommand(AdoNetLease lease, string sql, string stateName, GrainId grainId) =>
        KeyedCommand(lease.Connection, sql, stateName, grainId);

    private DbCommand KeyedCommand(AdoNetConnection connection, string sql, string stateName, GrainId grainId)
    {
        var command = connection.Command(sql);
        AdoNetConnection.Bind(command, "@serviceid", _serviceId);
        AdoNetConnection.Bind(command, "@graintype", grainId.Type.Value);
        AdoNetConnection.Bind(command, "@statename", stateName);
        AdoNetConnection.Bind(command, "@grainid", grainId.Key);
        return command;
    }

    private async Task<long?> ReadVersionAsync(string stateName, GrainId grainId, CancellationToken cancellationToken)
    {
        try
        {
            using var lease = await _database.AcquireAsync(AdoNetAccess.Read, cancellationToken).ConfigureAwait(false);
            var value = await KeyedCommand(lease, _dialect.ReadStateVersion, stateName, grainId).ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return value is null or DBNull ? null : Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception exception) when (_database.IsConnectionFailure(exception))
        {
            throw _database.Unreachable("Reading a grain state's version", exception);
        }
    }

    /// <summary>Whether a declared state type can carry index entries, decided once per type.</summary>
    private static class IndexedType<T>
    {
        public static readonly bool Value = typeof(IIndexedGrainState).IsAssignableFrom(typeof(T));
    }

    /// <summary>The arguments of one keyed row write.</summary>
    private readonly record struct KeyedWrite(AdoNetGrainStorage Storage, string Sql, string StateName, GrainId GrainId, byte[]? Payload, bool HasPayload, long? Version, bool Stamp = true)
    {
        /// <summary>Replace the row's index entries with <see cref="Index"/> (none when null) if the row changed.</summary>
        public bool Reindex { get; init; }

        public KeyValuePair<string, string>[]? Index { get; init; }

        /// <summary>The dialect's one statement that writes the row and replaces its entries (<see cref="AdoNetDialect.InsertStateWithIndex"/>), if it has one and <see cref="Reindex"/> is set.</summary>
        public string? WithIndex { get; init; }
    }

    /// <summary>Builds the exception, reading the stored version so the message says what is there (off the hot path).</summary>
    private async Task<InconsistentStateException> MismatchAsync(string operation, string stateName, GrainId grainId, string? sent, CancellationToken cancellationToken)
    {
        var stored = await ReadVersionAsync(stateName, grainId, cancellationToken).ConfigureAwait(false);
        var storedETag = stored is { } v ? StorageETag.Format(v) : null;
        Log.ETagMismatch(_logger, Name, operation, stateName, grainId, storedETag, sent);
        return StorageETag.Mismatch(operation, stateName, grainId, storedETag, sent);
    }
}

using System.Globalization;
using System.Runtime.InteropServices;
using Federation.Storage.Audit;
using Orleans;
using Orleans.Runtime;
using Orleans.Storage;

namespace Federation.Storage.Jobs;

/// <summary>What every job store shares: argument checks, the ETag format and the conflict error.</summary>
public abstract class JobStoreBase : IJobStore
{
    private readonly string _grainType;
    private readonly string _stateName;

    protected JobStoreBase(JobStoreOptions options, IGrainStorageSerializer serializer)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(serializer);
        _grainType = options.GrainType;
        _stateName = options.StateName;
        Serializer = serializer;
    }

    public abstract string Description { get; }

    protected IGrainStorageSerializer Serializer { get; }

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ReadStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        WriteStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ClearStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        var jobId = JobIdOf(stateName, grainId);
        ArgumentNullException.ThrowIfNull(grainState);
        var stored = await ReadAsync<T>(jobId, cancellationToken).ConfigureAwait(false);
        grainState.State = stored is null ? Activator.CreateInstance<T>() : stored.Row;
        grainState.ETag = stored?.ETag;
        grainState.RecordExists = stored is not null;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        var jobId = JobIdOf(stateName, grainId);
        ArgumentNullException.ThrowIfNull(grainState);
        if (grainState.State is not IJobRow row)
        {
            throw new ArgumentException($"a job store holds states that implement {nameof(IJobRow)}; {typeof(T).Name} does not", nameof(grainState));
        }

        var auditRecords = row.AuditRecords;
        AuditChecks.ThrowIfInvalid(auditRecords, nameof(grainState));
        long expected = 0;
        if (grainState.ETag is { } sent && !TryParse(sent, out expected))
        {
            throw await ConflictAsync("write", jobId, sent, cancellationToken).ConfigureAwait(false);
        }

        var payload = Serializer.Serialize(grainState.State);
        var written = await WriteAsync(jobId, row.Columns, payload, grainState.ETag is null ? null : expected, auditRecords, cancellationToken).ConfigureAwait(false);
        if (!written)
        {
            throw await ConflictAsync("write", jobId, grainState.ETag, cancellationToken).ConfigureAwait(false);
        }

        grainState.ETag = Format(grainState.ETag is null ? 1 : expected + 1);
        grainState.RecordExists = true;
    }

    /// <summary>Deletes the row, guarded by the ETag; a state never stored (no ETag, no row) clears as a no-op.</summary>
    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        var jobId = JobIdOf(stateName, grainId);
        ArgumentNullException.ThrowIfNull(grainState);
        if (grainState.ETag is not { } sent)
        {
            if (await ReadVersionAsync(jobId, cancellationToken).ConfigureAwait(false) is not null)
            {
                throw await ConflictAsync("clear", jobId, null, cancellationToken).ConfigureAwait(false);
            }
        }
        else if (!TryParse(sent, out var expected) || !await DeleteAsync(jobId, expected, cancellationToken).ConfigureAwait(false))
        {
            throw await ConflictAsync("clear", jobId, sent, cancellationToken).ConfigureAwait(false);
        }

        grainState.State = Activator.CreateInstance<T>();
        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    public abstract Task<JobRowPage<T>> QueryAsync<T>(JobRowFilter filter, JobRowOrder order, int limit, string? after, CancellationToken cancellationToken = default);

    public abstract Task<StoredJobRow<T>?> ReadAsync<T>(string jobId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Inserts version 1 (<paramref name="expectedVersion"/> null) or replaces version v with v + 1, and with it appends
    /// <paramref name="auditRecords"/> (checked already; an id stored already is skipped); false when the guard refused,
    /// and then no entry is appended.
    /// </summary>
    protected abstract Task<bool> WriteAsync(
        string jobId, JobRowColumns columns, BinaryData payload, long? expectedVersion, IReadOnlyList<AuditRecord> auditRecords, CancellationToken cancellationToken);

    /// <summary>Deletes version v; false when the guard refused.</summary>
    protected abstract Task<bool> DeleteAsync(string jobId, long expectedVersion, CancellationToken cancellationToken);

    /// <summary>The stored version, or null when there is no row.</summary>
    protected abstract Task<long?> ReadVersionAsync(string jobId, CancellationToken cancellationToken);

    protected static string Format(long version) => version.ToString(CultureInfo.InvariantCulture);

    /// <summary>The payload as an array, without a copy when the serializer produced a whole one (it does).</summary>
    protected static byte[] PayloadBytes(BinaryData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var memory = data.ToMemory();
        return MemoryMarshal.TryGetArray(memory, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : memory.ToArray();
    }

    protected static void CheckQuery(JobRowFilter filter, JobRowOrder order, int limit)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (!Enum.IsDefined(order))
        {
            throw new ArgumentOutOfRangeException(nameof(order), order, "a listing is in id order or newest first");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, JobStoreOptions.MaxPageSize);
    }

    private static bool TryParse(string etag, out long version) =>
        long.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out version) && version > 0;

    private string JobIdOf(string stateName, GrainId grainId)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateName);
        if (grainId.IsDefault)
        {
            throw new ArgumentException("The grain id must be set.", nameof(grainId));
        }

        var type = grainId.Type.ToString();
        if (!string.Equals(type, _grainType, StringComparison.Ordinal) || !string.Equals(stateName, _stateName, StringComparison.Ordinal))
        {
            // A second grain type (or state) here would share rows with the jobs: refused, not stored.
            throw new ArgumentException(
                $"this job store holds state '{_stateName}' of grain type '{_grainType}' only; it was asked for state '{stateName}' of '{type}'", nameof(grainId));
        }

        return grainId.Key.ToString()!;
    }

    private async Task<InconsistentStateException> ConflictAsync(string operation, string jobId, string? sent, CancellationToken cancellationToken)
    {
        var stored = await ReadVersionAsync(jobId, cancellationToken).ConfigureAwait(false);
        var storedETag = stored is { } v ? Format(v) : null;
        return new InconsistentStateException(
            $"The {operation} of job '{jobId}' was refused: it carried ETag {sent ?? "(none)"}, the store has {storedETag ?? "no row"} ({Description}).",
            storedETag,
            sent);
    }
}

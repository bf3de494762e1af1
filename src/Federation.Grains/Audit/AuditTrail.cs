using System.Text.Json;
using Federation.Contracts;
using Federation.Grains.Diagnostics;
using Federation.Storage.Audit;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Federation.Grains.Audit;

/// <summary>Reads the audit table (what <c>GET /api/audit</c> serves).</summary>
public interface IAuditQuery
{
    /// <summary>Entries matching every given filter (null = any), newest first, at most <paramref name="limit"/>, before the sequence <paramref name="before"/>.</summary>
    Task<AuditPageView> ListAsync(string? actor, string? region, string? target, string? action, int limit, long? before, CancellationToken cancellationToken = default);
}

/// <summary>A grain state that carries the audit entries of its changes until they are in the audit table (an outbox).</summary>
public interface IAuditedState
{
    /// <summary>Entries written with the state and not yet known to be in the audit table.</summary>
    List<AuditEntry> AuditOutbox { get; }
}

/// <summary>
/// Makes the audit entries of the grains' changes and puts them in the audit table. A job's entries ride its row's write
/// (<see cref="Jobs.JobRecord.PendingAudit"/>, one transaction in the job store). Any other grain's state lives in
/// Orleans' grain storage, which shares no transaction with the table: its entry is stored in the state itself, with the
/// change (<see cref="IAuditedState"/>), then appended to the table; an entry whose append failed, or whose process
/// died first, is appended by the grain's next change or activation. Appends are idempotent by the entry's id.
/// </summary>
public sealed class AuditTrail(IAuditLog log, TimeProvider time, ILogger<AuditTrail> logger) : IAuditQuery
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>An entry for a change the current caller (<see cref="AuditActor.Current"/>) is making now.</summary>
    public AuditEntry Entry(string action, string target, string? region, object? before, object? after, string? detail = null)
    {
        var actor = AuditActor.Current;
        return new AuditEntry
        {
            Id = Guid.NewGuid().ToString("N"),
            At = time.GetUtcNow(),
            Actor = actor.Name,
            Role = actor.Role,
            Action = action,
            Target = target,
            Region = region,
            Before = ToJson(before),
            After = ToJson(after),
            Origin = actor.Origin,
            Detail = detail,
        };
    }

    /// <summary>
    /// Adds <paramref name="entry"/> to the state's outbox and writes the state (the change and its entry are stored
    /// together or not at all; on failure <paramref name="undo"/> puts memory back and the failure is thrown), then
    /// appends the outbox to the table.
    /// </summary>
    public async Task WriteAsync<TState>(IPersistentState<TState> state, AuditEntry entry, Action undo)
        where TState : IAuditedState
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(undo);
        var outbox = state.State.AuditOutbox;
        outbox.Add(entry);
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            outbox.Remove(entry);
            undo();
            throw;
        }

        await FlushAsync(state.State);
    }

    /// <summary>
    /// Appends the state's outbox to the table and takes the appended entries out of memory (the stored state still holds
    /// them until its next write; appending them again then is harmless). A failure is logged, not thrown: the change is
    /// made, and the entries stay for the next flush.
    /// </summary>
    public async Task FlushAsync(IAuditedState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var outbox = state.AuditOutbox;
        if (outbox.Count == 0)
        {
            return;
        }

        var batch = outbox.ToArray();
        try
        {
            await log.AppendAsync([.. batch.Select(ToRecord)]);
            outbox.RemoveAll(e => Array.IndexOf(batch, e) >= 0);
        }
        catch (Exception ex)
        {
            GrainsLog.AuditNotAppended(logger, ex, batch.Length, batch[0].Target);
        }
    }

    public async Task<AuditPageView> ListAsync(string? actor, string? region, string? target, string? action, int limit, long? before, CancellationToken cancellationToken = default)
    {
        var filter = new AuditFilter
        {
            Actor = string.IsNullOrEmpty(actor) ? null : actor,
            Region = string.IsNullOrEmpty(region) ? null : region,
            Target = string.IsNullOrEmpty(target) ? null : target,
            Action = string.IsNullOrEmpty(action) ? null : action,
        };
        var page = await log.QueryAsync(filter, limit, before, cancellationToken).ConfigureAwait(false);
        return new AuditPageView([.. page.Records.Select(ToEntry)], page.NextBefore);
    }

    /// <summary>The row an entry is stored as.</summary>
    public static AuditRecord ToRecord(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new AuditRecord
        {
            Id = entry.Id,
            At = entry.At,
            Actor = entry.Actor,
            Role = entry.Role,
            Action = entry.Action,
            Target = entry.Target,
            Region = entry.Region,
            Before = entry.Before,
            After = entry.After,
            Origin = entry.Origin,
            Detail = entry.Detail,
        };
    }

    private static AuditEntry ToEntry(AuditRecord record) => new()
    {
        Id = record.Id,
        At = record.At,
        Actor = record.Actor,
        Role = record.Role,
        Action = record.Action,
        Target = record.Target,
        Region = record.Region,
        Before = record.Before,
        After = record.After,
        Origin = record.Origin,
        Detail = record.Detail,
        Sequence = record.Sequence,
    };

    private static string? ToJson(object? value) => value is null ? null : JsonSerializer.Serialize(value, value.GetType(), Json);
}

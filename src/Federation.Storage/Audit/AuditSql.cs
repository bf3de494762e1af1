using System.Data.Common;

namespace Federation.Storage.Audit;

/// <summary>
/// The statements of the audit table, the same on SQLite and PostgreSQL. An append inserts each entry with
/// <c>ON CONFLICT (serviceid, id) DO NOTHING</c>, so an entry written again is kept once, the first time; a page is the
/// matching entries below a sequence, newest first, served by the filter's <c>(serviceid, column, seq)</c> index.
/// </summary>
internal sealed class AuditSql
{
    private const int BeforeBit = 16;

    private const string Insert =
        "INSERT INTO federationaudit (serviceid, id, at, actor, role, action, target, region, before, after, origin, detail) " +
        "VALUES (@serviceid, @id, @at, @actor, @role, @action, @target, @region, @before, @after, @origin, @detail) " +
        "ON CONFLICT (serviceid, id) DO NOTHING";

    private const string Columns = "id, at, actor, role, action, target, region, before, after, origin, detail";

    private readonly AdoNetDialect _dialect;
    private readonly string[] _queries = new string[2 * BeforeBit];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Row, int Count), string> _withRow = new();

    public AuditSql(AdoNetDialect dialect)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        _dialect = dialect;
        for (var mask = 0; mask < _queries.Length; mask++)
        {
            _queries[mask] = BuildQuery(mask);
        }
    }

    /// <summary>
    /// A page: parameters <c>@serviceid</c>, <c>@actor</c>, <c>@region</c>, <c>@target</c>, <c>@action</c> for the
    /// filters given, <c>@before</c> when <paramref name="before"/>, <c>@limit</c>. Columns in the order
    /// <see cref="ReadRecord"/> reads them.
    /// </summary>
    public string Query(AuditFilter filter, bool before) => _queries[Mask(filter) | (before ? BeforeBit : 0)];

    /// <summary>
    /// Inserts <paramref name="records"/> on <paramref name="connection"/>, in the transaction the caller runs it in;
    /// an entry whose id the deployment has stored already is skipped. Not cancellable: it is part of a write.
    /// </summary>
    public async Task<int> InsertAsync(AdoNetConnection connection, string serviceId, IReadOnlyList<AuditRecord> records)
    {
        var command = connection.Command(Insert);
        var inserted = 0;
        foreach (var record in records)
        {
            AdoNetConnection.Bind(command, "@serviceid", serviceId);
            AdoNetConnection.Bind(command, "@id", record.Id);
            AdoNetConnection.Bind(command, "@at", _dialect.ToDbTimestamp(record.At));
            AdoNetConnection.Bind(command, "@actor", record.Actor);
            AdoNetConnection.Bind(command, "@role", record.Role);
            AdoNetConnection.Bind(command, "@action", record.Action);
            AdoNetConnection.Bind(command, "@target", record.Target);
            AdoNetConnection.Bind(command, "@region", record.Region);
            AdoNetConnection.Bind(command, "@before", record.Before);
            AdoNetConnection.Bind(command, "@after", record.After);
            AdoNetConnection.Bind(command, "@origin", record.Origin);
            AdoNetConnection.Bind(command, "@detail", record.Detail);
            inserted += await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }

        return inserted;
    }

    /// <summary>
    /// One statement that runs <paramref name="rowStatement"/> (a job row's insert or guarded update) and, only when it
    /// changed the row, inserts <paramref name="count"/> entries (parameters <c>@id0</c>, <c>@at0</c>, … as
    /// <see cref="BindRecords"/> binds them; an id stored already is skipped); it answers how many rows the row statement
    /// changed. For a dialect with <see cref="AdoNetDialect.SupportsWritableCte"/>: one round trip in autocommit instead
    /// of a transaction of several.
    /// </summary>
    public string WithRowWrite(string rowStatement, int count) =>
        _withRow.GetOrAdd((rowStatement, count), static key =>
        {
            var values = string.Join(", ", Enumerable.Range(0, key.Count).Select(static i =>
                $"(@id{i}, @at{i}, @actor{i}, @role{i}, @action{i}, @target{i}, @region{i}, @before{i}, @after{i}, @origin{i}, @detail{i})"));
            return $"WITH written AS ({key.Row} RETURNING 1), " +
                $"audited AS (INSERT INTO federationaudit (serviceid, {Columns}) SELECT @serviceid, {Columns} FROM (VALUES {values}) AS entry ({Columns}) " +
                "WHERE EXISTS (SELECT 1 FROM written) ON CONFLICT (serviceid, id) DO NOTHING) " +
                "SELECT count(*) FROM written";
        });

    /// <summary>Binds <paramref name="records"/> as the numbered parameters of <see cref="WithRowWrite"/>.</summary>
    public void BindRecords(DbCommand command, IReadOnlyList<AuditRecord> records)
    {
        for (var i = 0; i < records.Count; i++)
        {
            var record = records[i];
            var n = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            AdoNetConnection.Bind(command, "@id" + n, record.Id);
            AdoNetConnection.Bind(command, "@at" + n, _dialect.ToDbTimestamp(record.At));
            AdoNetConnection.Bind(command, "@actor" + n, record.Actor);
            AdoNetConnection.Bind(command, "@role" + n, record.Role);
            AdoNetConnection.Bind(command, "@action" + n, record.Action);
            AdoNetConnection.Bind(command, "@target" + n, record.Target);
            AdoNetConnection.Bind(command, "@region" + n, record.Region);
            AdoNetConnection.Bind(command, "@before" + n, record.Before);
            AdoNetConnection.Bind(command, "@after" + n, record.After);
            AdoNetConnection.Bind(command, "@origin" + n, record.Origin);
            AdoNetConnection.Bind(command, "@detail" + n, record.Detail);
        }
    }

    /// <summary>Binds the values of the filters <paramref name="filter"/> gives.</summary>
    public static void BindFilter(DbCommand command, AuditFilter filter)
    {
        if (filter.Actor is { } actor)
        {
            AdoNetConnection.Bind(command, "@actor", actor);
        }

        if (filter.Region is { } region)
        {
            AdoNetConnection.Bind(command, "@region", region);
        }

        if (filter.Target is { } target)
        {
            AdoNetConnection.Bind(command, "@target", target);
        }

        if (filter.Action is { } action)
        {
            AdoNetConnection.Bind(command, "@action", action);
        }
    }

    /// <summary>The entry at the reader's current row of a <see cref="Query"/>.</summary>
    public AuditRecord ReadRecord(DbDataReader reader) => new()
    {
        Sequence = reader.GetInt64(0),
        Id = reader.GetString(1),
        At = _dialect.FromDbTimestamp(reader.GetValue(2)),
        Actor = reader.GetString(3),
        Role = reader.GetString(4),
        Action = reader.GetString(5),
        Target = reader.GetString(6),
        Region = NullableText(reader, 7),
        Before = NullableText(reader, 8),
        After = NullableText(reader, 9),
        Origin = NullableText(reader, 10),
        Detail = NullableText(reader, 11),
    };

    private static int Mask(AuditFilter filter) =>
        (filter.Actor is null ? 0 : 1) | (filter.Region is null ? 0 : 2) | (filter.Target is null ? 0 : 4) | (filter.Action is null ? 0 : 8);

    private static string? NullableText(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static string BuildQuery(int mask)
    {
        var predicate = "serviceid = @serviceid" +
            ((mask & 1) != 0 ? " AND actor = @actor" : "") +
            ((mask & 2) != 0 ? " AND region = @region" : "") +
            ((mask & 4) != 0 ? " AND target = @target" : "") +
            ((mask & 8) != 0 ? " AND action = @action" : "") +
            ((mask & BeforeBit) != 0 ? " AND seq < @before" : "");
        return "SELECT seq, id, at, actor, role, action, target, region, before, after, origin, detail " +
            $"FROM federationaudit WHERE {predicate} ORDER BY seq DESC LIMIT @limit";
    }
}

namespace Federation.Actors.AdoNet;

/// <summary>The row statements, shared by every dialect unless one overrides them.</summary>
public abstract partial class AdoNetDialect
{
    private const string StorageKey =
        "serviceid = @serviceid AND graintypestring = @graintype AND statename = @statename AND grainidstring = @grainid";

    private const string ReminderColumns = "grainid, remindername, starttime, period, version";

    /// <summary>The component name of the schema-version row.</summary>
    public virtual string SchemaComponent => "federation.actors.adonet";

    public virtual string ReadSchemaVersion => "SELECT version FROM orleansschemaversion WHERE component = @component";

    public virtual string InsertSchemaVersion =>
        "INSERT INTO orleansschemaversion (component, version, appliedon) VALUES (@component, @version, @appliedon)";

    public virtual string UpdateSchemaVersion =>
        "UPDATE orleansschemaversion SET version = @version, appliedon = @appliedon WHERE component = @component";

    /// <summary>Returns (payloadbinary, version) of one state row, or no row.</summary>
    public virtual string ReadState => "SELECT payloadbinary, version FROM orleansstorage WHERE " + StorageKey;

    /// <summary>Returns the version of one state row, or no row.</summary>
    public virtual string ReadStateVersion => "SELECT version FROM orleansstorage WHERE " + StorageKey;

    /// <summary>The first write (ETag null): inserts version 1, or affects no row when one exists.</summary>
    public virtual string InsertState =>
        "INSERT INTO orleansstorage (serviceid, graintypestring, statename, grainidstring, payloadbinary, modifiedon, version) " +
        "VALUES (@serviceid, @graintype, @statename, @grainid, @payload, @modifiedon, 1) ON CONFLICT DO NOTHING";

    /// <summary>A write with ETag v: affects one row only if the stored version is still v.</summary>
    public virtual string UpdateState =>
        "UPDATE orleansstorage SET payloadbinary = @payload, modifiedon = @modifiedon, version = version + 1 WHERE " +
        StorageKey + " AND version = @version";

    /// <summary>A clear with ETag v: drops the payload and advances the version, guarded by v.</summary>
    public virtual string ClearState =>
        "UPDATE orleansstorage SET payloadbinary = NULL, modifiedon = @modifiedon, version = version + 1 WHERE " +
        StorageKey + " AND version = @version";

    /// <summary>A clear with ETag v when DeleteStateOnClear is set: deletes the row, guarded by v.</summary>
    public virtual string DeleteState => "DELETE FROM orleansstorage WHERE " + StorageKey + " AND version = @version";

    /// <summary>Removes every index entry of one state row (before re-inserting them, or on clear).</summary>
    public virtual string DeleteStateIndex => "DELETE FROM orleansstorageindex WHERE " + StorageKey;

    /// <summary>Adds one index entry of a state row.</summary>
    public virtual string InsertStateIndex =>
        "INSERT INTO orleansstorageindex (serviceid, graintypestring, statename, grainidstring, name, value) " +
        "VALUES (@serviceid, @graintype, @statename, @grainid, @name, @value) ON CONFLICT DO NOTHING";

    /// <summary>
    /// <see cref="InsertState"/> and the replacement of the row's index entries by the pairs of the
    /// <c>@names</c> and <c>@values</c> arrays, as one statement that returns the new version when the
    /// row write took effect and no row (and no index change) otherwise. Null when the dialect has no
    /// such statement: then <see cref="DeleteStateIndex"/> and one <see cref="InsertStateIndex"/> per
    /// entry follow the row statement in its transaction. The same holds for the three below.
    /// </summary>
    public virtual string? InsertStateWithIndex => null;

    /// <summary><see cref="UpdateState"/> with the index replacement (see <see cref="InsertStateWithIndex"/>).</summary>
    public virtual string? UpdateStateWithIndex => null;

    /// <summary><see cref="ClearState"/> with the index replacement, given no entries: all of them go.</summary>
    public virtual string? ClearStateWithIndex => null;

    /// <summary><see cref="DeleteState"/> with the index replacement, given no entries: all of them go.</summary>
    public virtual string? DeleteStateWithIndex => null;

    /// <summary>
    /// A page of stored (not cleared) rows of one grain type and state name whose index has every
    /// <c>@n{i}</c>/<c>@v{i}</c> pair, ordered by key, after <c>@afterkey</c> when asked, at most
    /// <c>@limit</c> rows; each row also carries the count over all pages, computed in the same
    /// statement so page and total come from one snapshot.
    /// </summary>
    public virtual string QueryStates(int filterCount, bool afterKey) =>
        "SELECT s.grainidstring, s.payloadbinary, s.version, (SELECT count(*) FROM orleansstorage c WHERE " + QueryPredicate("c", filterCount) + ") " +
        "FROM orleansstorage s WHERE " + QueryPredicate("s", filterCount) +
        (afterKey ? " AND s.grainidstring > @afterkey" : string.Empty) +
        " ORDER BY s.grainidstring LIMIT @limit";

    /// <summary>How many rows <see cref="QueryStates"/> matches over all pages (for a page past the end).</summary>
    public virtual string CountStates(int filterCount) => "SELECT count(*) FROM orleansstorage c WHERE " + QueryPredicate("c", filterCount);

    /// <summary>The row filter of a query over the storage table aliased <paramref name="alias"/>.</summary>
    protected static string QueryPredicate(string alias, int filterCount)
    {
        var a = alias;
        var sql = new System.Text.StringBuilder(
            $"{a}.serviceid = @serviceid AND {a}.graintypestring = @graintype AND {a}.statename = @statename AND {a}.payloadbinary IS NOT NULL");
        for (var i = 0; i < filterCount; i++)
        {
            sql.Append(System.Globalization.CultureInfo.InvariantCulture,
                $" AND EXISTS (SELECT 1 FROM orleansstorageindex x WHERE x.serviceid = {a}.serviceid AND x.graintypestring = {a}.graintypestring AND x.statename = {a}.statename AND x.grainidstring = {a}.grainidstring AND x.name = @n{i} AND x.value = @v{i})");
        }

        return sql.ToString();
    }

    public virtual string ReadReminderRows =>
        "SELECT " + ReminderColumns + " FROM orleansreminderstable WHERE serviceid = @serviceid AND grainid = @grainid";

    public virtual string ReadReminderRow =>
        "SELECT " + ReminderColumns + " FROM orleansreminderstable WHERE serviceid = @serviceid AND grainid = @grainid AND remindername = @remindername";

    /// <summary>The range (begin, end] with begin &lt; end.</summary>
    public virtual string ReadReminderRange =>
        "SELECT " + ReminderColumns + " FROM orleansreminderstable WHERE serviceid = @serviceid AND grainhash > @beginhash AND grainhash <= @endhash";

    /// <summary>The wrapping range: begin ≥ end.</summary>
    public virtual string ReadReminderRangeWrapped =>
        "SELECT " + ReminderColumns + " FROM orleansreminderstable WHERE serviceid = @serviceid AND (grainhash > @beginhash OR grainhash <= @endhash)";

    /// <summary>Inserts version 1 or replaces the row and advances its version; returns the version.</summary>
    public virtual string UpsertReminder =>
        "INSERT INTO orleansreminderstable (serviceid, grainid, remindername, starttime, period, grainhash, version) " +
        "VALUES (@serviceid, @grainid, @remindername, @starttime, @period, @grainhash, 1) " +
        "ON CONFLICT (serviceid, grainid, remindername) DO UPDATE SET starttime = excluded.starttime, period = excluded.period, " +
        "grainhash = excluded.grainhash, version = orleansreminderstable.version + 1 RETURNING version";

    public virtual string DeleteReminder =>
        "DELETE FROM orleansreminderstable WHERE serviceid = @serviceid AND grainid = @grainid AND remindername = @remindername AND version = @version";
}

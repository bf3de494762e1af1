namespace Federation.Storage;

/// <summary>
/// The keys under which <c>Microsoft.Orleans.Clustering.AdoNet</c> looks up its statements in <c>orleansquery</c>. Its
/// <c>AdoNetClusteringTable</c> reads every row of that table when the membership table initialises and refuses to
/// start unless the nine required keys are there; <see cref="CleanupDefunctSiloEntry"/> is optional and, when present,
/// replaces <see cref="CleanupDefunctSiloEntries"/> in cleanup.
/// </summary>
/// <remarks>
/// The names the provider binds and reads: <c>@DeploymentId</c> is the cluster id; a silo is
/// <c>@Address</c> (text), <c>@Port</c> and <c>@Generation</c>; <c>@Version</c> is the table version the caller read
/// (its etag, an integer). Reads return the columns <c>Address</c>, <c>Port</c>, <c>Generation</c>, <c>SiloName</c>,
/// <c>HostName</c>, <c>Status</c>, <c>ProxyPort</c>, <c>SuspectTimes</c>, <c>StartTime</c>, <c>IAmAliveTime</c> and the
/// table's <c>Version</c>, one row per silo, or one row of nulls beside the version when there is none. Inserting the
/// version row, inserting a silo's row and updating it return one row of one boolean column: true when it was done.
/// </remarks>
public static class OrleansClusteringQueryKeys
{
    /// <summary>Creates a cluster's version row at version 0 unless it exists; returns whether it did.</summary>
    public const string InsertMembershipVersion = "InsertMembershipVersionKey";

    /// <summary>
    /// Adds a silo's row and increments the table version, both or neither: only while the version is still
    /// <c>@Version</c> and the silo has no row yet. Returns whether it did.
    /// </summary>
    public const string InsertMembership = "InsertMembershipKey";

    /// <summary>
    /// Sets a silo's <c>Status</c>, <c>SuspectTimes</c> and <c>IAmAliveTime</c> and increments the table version, both
    /// or neither: only while the version is still <c>@Version</c> and the row exists. Returns whether it did.
    /// </summary>
    public const string UpdateMembership = "UpdateMembershipKey";

    /// <summary>Moves a silo's <c>IAmAliveTime</c> forward (never back); the table version does not change.</summary>
    public const string UpdateIAmAliveTime = "UpdateIAmAlivetimeKey";

    /// <summary>One silo's row with the table version.</summary>
    public const string MembershipReadRow = "MembershipReadRowKey";

    /// <summary>Every silo's row of a cluster with the table version.</summary>
    public const string MembershipReadAll = "MembershipReadAllKey";

    /// <summary>Address, gateway port and generation of the silos whose status is <c>@Status</c> (active) and that have a gateway.</summary>
    public const string GatewaysQuery = "GatewaysQueryKey";

    /// <summary>Deletes a cluster: its version row and every silo row.</summary>
    public const string DeleteMembershipTableEntries = "DeleteMembershipTableEntriesKey";

    /// <summary>Deletes the rows of dead silos that neither started nor were alive since <c>@IAmAliveTime</c>.</summary>
    public const string CleanupDefunctSiloEntries = "CleanupDefunctSiloEntriesKey";

    /// <summary>
    /// Optional. Deletes one dead silo's row if it still holds the values the caller read (<c>@StartTime</c>,
    /// <c>@IAmAliveTime</c>, <c>@SuspectTimes</c>): the provider reads the table, picks the dead rows older than the
    /// cutoff with no vote since, and deletes each with this statement, so a row written in between is kept.
    /// </summary>
    public const string CleanupDefunctSiloEntry = "CleanupDefunctSiloEntryKey";

    /// <summary>Every key above, in the order the migration stores them.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        InsertMembershipVersion,
        InsertMembership,
        UpdateMembership,
        UpdateIAmAliveTime,
        MembershipReadRow,
        MembershipReadAll,
        GatewaysQuery,
        DeleteMembershipTableEntries,
        CleanupDefunctSiloEntries,
        CleanupDefunctSiloEntry,
    ];
}

using System.Collections.Concurrent;
using System.Text;

namespace Federation.Storage.Jobs;

/// <summary>
/// The statements of the job table, the same on SQLite and PostgreSQL but for the boolean literal. Each write is one
/// statement: the row and its index columns change together, or neither does, and on PostgreSQL it runs in autocommit
/// (one round trip). A listing filters on the indexed columns; the active-only filter is written as a literal so that
/// the partial index on active rows serves a region's rebuild. The submission time is written by the insert only, so
/// a job's place in the newest-first order never moves.
/// </summary>
internal sealed class JobSql
{
    private const string Key = "serviceid = @serviceid AND jobid = @jobid";
    private const int AfterBit = 32;
    private const int NewestBit = 64;

    private readonly string _true;
    private readonly ConcurrentDictionary<int, string> _queries = new();
    private readonly ConcurrentDictionary<int, string> _counts = new();

    public JobSql(AdoNetDialect dialect)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        _true = dialect.TrueLiteral;
    }

    public string Read { get; } = "SELECT payload, version FROM federationjobs WHERE " + Key;

    public string ReadVersion { get; } = "SELECT version FROM federationjobs WHERE " + Key;

    /// <summary>The first write: version 1, or no row affected when one exists.</summary>
    public string Insert { get; } =
        "INSERT INTO federationjobs (serviceid, jobid, version, state, region, project, owner, active, payload, modifiedon, submittedon) " +
        "VALUES (@serviceid, @jobid, 1, @state, @region, @project, @owner, @active, @payload, @modifiedon, @submittedon) ON CONFLICT DO NOTHING";

    /// <summary>A write with ETag v: one row affected only if the stored version is still v. The submission time stays.</summary>
    public string Update { get; } =
        "UPDATE federationjobs SET version = version + 1, state = @state, region = @region, project = @project, owner = @owner, " +
        "active = @active, payload = @payload, modifiedon = @modifiedon WHERE " + Key + " AND version = @version";

    public string Delete { get; } = "DELETE FROM federationjobs WHERE " + Key + " AND version = @version";

    /// <summary>
    /// A page in <paramref name="order"/>, each row with the count over all pages (computed in the same statement, so
    /// the page and the total come from one snapshot). Parameters: <c>@state</c>, <c>@region</c>, <c>@project</c>,
    /// <c>@owner</c> for the filters given, <c>@after</c> when paging on, <c>@limit</c>. Newest first, the position of
    /// <c>@after</c> is its row's (submission time, id), read by a subquery of the same statement: a row that no longer
    /// matches the filter still has its place, and an id with no row gives no rows.
    /// </summary>
    public string Query(JobRowFilter filter, JobRowOrder order, bool after) =>
        _queries.GetOrAdd(Mask(filter) | (after ? AfterBit : 0) | (order == JobRowOrder.Newest ? NewestBit : 0), static (mask, self) => self.BuildQuery(mask), this);

    /// <summary>The count alone (for a page past the end, where no row carries it).</summary>
    public string Count(JobRowFilter filter) =>
        _counts.GetOrAdd(Mask(filter), static (mask, self) => "SELECT count(*) FROM federationjobs c WHERE " + self.Predicate("c", mask), this);

    public static int Mask(JobRowFilter filter) =>
        (filter.State is null ? 0 : 1) | (filter.Region is null ? 0 : 2) | (filter.Project is null ? 0 : 4) | (filter.Owner is null ? 0 : 8) | (filter.ActiveOnly ? 16 : 0);

    private string BuildQuery(int mask)
    {
        var newest = (mask & NewestBit) != 0;
        var after = (mask & AfterBit) == 0 ? ""
            : newest ? " AND (j.submittedon, j.jobid) < ((SELECT a.submittedon FROM federationjobs a WHERE a.serviceid = @serviceid AND a.jobid = @after), @after)"
            : " AND j.jobid > @after";
        return $"SELECT j.jobid, j.payload, j.version, (SELECT count(*) FROM federationjobs c WHERE {Predicate("c", mask)}) " +
            $"FROM federationjobs j WHERE {Predicate("j", mask)}{after} " +
            $"ORDER BY {(newest ? "j.submittedon DESC, j.jobid DESC" : "j.jobid")} LIMIT @limit";
    }

    private string Predicate(string a, int mask)
    {
        var sql = new StringBuilder($"{a}.serviceid = @serviceid");
        if ((mask & 1) != 0)
        {
            sql.Append($" AND {a}.state = @state");
        }

        if ((mask & 2) != 0)
        {
            sql.Append($" AND {a}.region = @region");
        }

        if ((mask & 4) != 0)
        {
            sql.Append($" AND {a}.project = @project");
        }

        if ((mask & 8) != 0)
        {
            sql.Append($" AND {a}.owner = @owner");
        }

        if ((mask & 16) != 0)
        {
            sql.Append($" AND {a}.active = {_true}");
        }

        return sql.ToString();
    }
}

using System.Collections.Immutable;
using System.Globalization;
using Federation.Contracts;
using Federation.Grains.Jobs;
using Federation.Scheduling;
using Federation.Storage.Jobs;

namespace Federation.Grains.Ledger;

/// <summary>
/// The credit ledger of one UTC calendar month, computed from the jobs' rows rather than kept in a table of its own, so
/// the statement always agrees with the rows. A run is a stretch of a job's history from a <c>Started</c> event in
/// region R to the next Completed, Failed, Cancelled, Preempted or Requeued event (or, for the job running there now,
/// to <c>asOf</c>). A run in a region other than the job's home region is booked: R lent, the home region borrowed,
/// count × hours of the run clipped to the month, and PF-hours at the peak PF of one accelerator of the run's type in R.
/// Add every job (<see cref="Add"/>), then read the statement (<see cref="ToView"/>).
/// </summary>
public sealed class LedgerStatement
{
    /// <summary>The type booked when neither the row, the request nor the lender's pools tell which one the run got.</summary>
    public const string UnknownType = "unknown";

    /// <summary>Rows read per page by <see cref="ComputeAsync"/>.</summary>
    private const int PageSize = 1000;

    private readonly Megaregion _megaregion;
    private readonly string? _region;
    private readonly DateTimeOffset _from;
    private readonly DateTimeOffset _to;
    private readonly DateTimeOffset _asOf;
    private readonly Dictionary<(string Lender, string Borrower, string Type), Line> _lines = [];

    /// <param name="megaregion">The regions, their order and their pools (PF per accelerator).</param>
    /// <param name="from">The month's first instant (UTC, day 1, midnight).</param>
    /// <param name="asOf">Now: a run still going counts up to this instant.</param>
    /// <param name="region">Only the lines where this region lent or borrowed, and only its totals; null for all.</param>
    public LedgerStatement(Megaregion megaregion, DateTimeOffset from, DateTimeOffset asOf, string? region = null)
    {
        ArgumentNullException.ThrowIfNull(megaregion);
        if (from.Offset != TimeSpan.Zero || from.Day != 1 || from.TimeOfDay != TimeSpan.Zero)
        {
            throw new ArgumentException("must be the first instant of a UTC calendar month", nameof(from));
        }

        _megaregion = megaregion;
        _region = region;
        _from = from;
        _to = from.AddMonths(1);
        _asOf = asOf;
    }

    /// <summary>Parses <c>YYYY-MM</c> into the month's first instant (UTC).</summary>
    public static bool TryParseMonth(string? text, out DateTimeOffset from)
    {
        if (text is { Length: 7 }
            && DateTime.TryParseExact(text, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var parsed))
        {
            from = new DateTimeOffset(parsed.Year, parsed.Month, 1, 0, 0, 0, TimeSpan.Zero);
            return true;
        }

        from = default;
        return false;
    }

    /// <summary>The first instant of the UTC calendar month holding <paramref name="at"/>.</summary>
    public static DateTimeOffset MonthOf(DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        return new DateTimeOffset(utc.Year, utc.Month, 1, 0, 0, 0, TimeSpan.Zero);
    }

    /// <summary>Reads every job row (all pages) into a statement.</summary>
    public static async Task<LedgerView> ComputeAsync(
        IJobQuery query, Megaregion megaregion, DateTimeOffset from, DateTimeOffset asOf, string? region, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var statement = new LedgerStatement(megaregion, from, asOf, region);
        string? after = null;
        do
        {
            var page = await query.ListAsync(null, null, null, null, JobRowOrder.Id, PageSize, after, cancellationToken).ConfigureAwait(false);
            foreach (var job in page.Jobs)
            {
                statement.Add(job);
            }

            after = page.NextAfter;
        }
        while (after is not null);

        return statement.ToView();
    }

    /// <summary>Books the runs of one job that lie (partly) in the month.</summary>
    public void Add(JobSnapshot job)
    {
        ArgumentNullException.ThrowIfNull(job);
        JobRuns.Each(job, _asOf, (Statement: this, Job: job), static (s, start, end, _) => s.Statement.Book(s.Job, s.Job.Request.HomeRegion, start, end));
    }

    /// <summary>The statement: the lines in megaregion order of lender, borrower, then type; the totals per region.</summary>
    public LedgerView ToView()
    {
        var keys = new List<(string Lender, string Borrower, string Type)>(_lines.Keys);
        keys.Sort((a, b) =>
        {
            var c = CompareRegions(a.Lender, b.Lender);
            if (c == 0)
            {
                c = CompareRegions(a.Borrower, b.Borrower);
            }

            return c != 0 ? c : string.CompareOrdinal(a.Type, b.Type);
        });

        var entries = ImmutableArray.CreateBuilder<LedgerEntry>(keys.Count);
        foreach (var key in keys)
        {
            var line = _lines[key];
            var hours = (double)line.AcceleratorTicks / TimeSpan.TicksPerHour;
            entries.Add(new LedgerEntry
            {
                Lender = key.Lender,
                Borrower = key.Borrower,
                AcceleratorType = key.Type,
                AcceleratorHours = hours,
                PetaflopHours = hours * PetaflopsPerUnit(key.Lender, key.Type),
                Runs = line.Runs,
            });
        }

        var totals = ImmutableArray.CreateBuilder<LedgerRegionTotals>();
        foreach (var r in _megaregion.Regions)
        {
            if (_region is null || string.Equals(r.Id, _region, StringComparison.Ordinal))
            {
                totals.Add(Totals(r.Id, entries));
            }
        }

        return new LedgerView
        {
            Month = _from.ToString("yyyy-MM", CultureInfo.InvariantCulture),
            Region = _region,
            From = _from,
            To = _to,
            AsOf = _asOf,
            Entries = entries.DrainToImmutable(),
            Regions = totals.DrainToImmutable(),
        };
    }

    private static LedgerRegionTotals Totals(string region, ImmutableArray<LedgerEntry>.Builder entries)
    {
        double lentHours = 0, borrowedHours = 0, lentPf = 0, borrowedPf = 0;
        foreach (var e in entries)
        {
            if (string.Equals(e.Lender, region, StringComparison.Ordinal))
            {
                lentHours += e.AcceleratorHours;
                lentPf += e.PetaflopHours;
            }

            if (string.Equals(e.Borrower, region, StringComparison.Ordinal))
            {
                borrowedHours += e.AcceleratorHours;
                borrowedPf += e.PetaflopHours;
            }
        }

        return new LedgerRegionTotals
        {
            Region = region,
            LentAcceleratorHours = lentHours,
            BorrowedAcceleratorHours = borrowedHours,
            LentPetaflopHours = lentPf,
            BorrowedPetaflopHours = borrowedPf,
            BalancePetaflopHours = lentPf - borrowedPf,
        };
    }

    private void Book(JobSnapshot job, string home, JobHistoryEntry start, DateTimeOffset end)
    {
        var lender = start.Region;
        if (lender is null || string.Equals(lender, home, StringComparison.Ordinal))
        {
            // At home: the region's own hardware, nothing lent.
            return;
        }

        if (_region is not null && !string.Equals(lender, _region, StringComparison.Ordinal) && !string.Equals(home, _region, StringComparison.Ordinal))
        {
            return;
        }

        var from = start.At > _from ? start.At : _from;
        var to = end < _to ? end : _to;
        if (to > _asOf)
        {
            to = _asOf;
        }

        if (to <= from)
        {
            return;
        }

        var type = TypeOf(job.Request, start, lender);
        var key = (lender, home, type);
        if (!_lines.TryGetValue(key, out var line))
        {
            line = new Line();
            _lines.Add(key, line);
        }

        line.AcceleratorTicks += (Int128)job.Request.Accelerators.Count * (to - from).Ticks;
        line.Runs++;
    }

    /// <summary>The run's type as its Started event keeps it; for rows written before it was kept, the request's only type, else the lender's only pool type.</summary>
    private string TypeOf(JobRequest request, JobHistoryEntry start, string lender)
    {
        if (start.AcceleratorType is { Length: > 0 } kept)
        {
            return kept;
        }

        if (request.Accelerators.Types.Length == 1)
        {
            return request.Accelerators.Types[0];
        }

        return RegionOf(lender) is { Pools.Length: 1 } r ? r.Pools[0].Type : UnknownType;
    }

    /// <summary>Peak PF of one accelerator of <paramref name="type"/> in <paramref name="region"/>; 0 when the region has no such pool (an unknown type).</summary>
    private double PetaflopsPerUnit(string region, string type)
    {
        if (RegionOf(region) is { } r)
        {
            foreach (var p in r.Pools)
            {
                if (string.Equals(p.Type, type, StringComparison.Ordinal))
                {
                    return p.PetaflopsPerUnit;
                }
            }
        }

        return 0;
    }

    private Region? RegionOf(string id)
    {
        foreach (var r in _megaregion.Regions)
        {
            if (string.Equals(r.Id, id, StringComparison.Ordinal))
            {
                return r;
            }
        }

        return null;
    }

    /// <summary>Megaregion order; regions the model no longer has after, by id.</summary>
    private int CompareRegions(string a, string b)
    {
        var ia = IndexOf(a);
        var ib = IndexOf(b);
        return ia != ib ? ia.CompareTo(ib) : string.CompareOrdinal(a, b);
    }

    private int IndexOf(string id)
    {
        for (var i = 0; i < _megaregion.Regions.Length; i++)
        {
            if (string.Equals(_megaregion.Regions[i].Id, id, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return int.MaxValue;
    }

    private sealed class Line
    {
        /// <summary>Accelerators × 100 ns ticks, exact (doubles would make the sum depend on the order of the rows).</summary>
        public Int128 AcceleratorTicks { get; set; }

        public int Runs { get; set; }
    }
}

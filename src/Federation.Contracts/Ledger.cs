using System.Collections.Immutable;

namespace Federation.Contracts;

/// <summary>
/// The credit ledger's statement for one UTC calendar month: every accelerator-hour a region's hardware served to a job
/// of another home region, computed from the jobs' rows (their runs) when asked, so it cannot drift from them.
/// </summary>
public sealed record LedgerView
{
    /// <summary>The month, <c>YYYY-MM</c> (UTC).</summary>
    public string Month { get; init; } = "";

    /// <summary>The region the statement is limited to (entries where it lent or borrowed), or null for every region.</summary>
    public string? Region { get; init; }

    /// <summary>The month's first instant (inclusive).</summary>
    public DateTimeOffset From { get; init; }

    /// <summary>The next month's first instant (exclusive).</summary>
    public DateTimeOffset To { get; init; }

    /// <summary>When it was computed (the execution clock): runs still going count up to this instant.</summary>
    public DateTimeOffset AsOf { get; init; }

    /// <summary>One line per lender, borrower and accelerator type with hours in the month, in that order.</summary>
    public ImmutableArray<LedgerEntry> Entries { get; init; } = [];

    /// <summary>Per region (every region, or the one asked for), in megaregion order: lent, borrowed, balance.</summary>
    public ImmutableArray<LedgerRegionTotals> Regions { get; init; } = [];
}

/// <summary>What one region's hardware of one type served to jobs of one other home region in the month.</summary>
public sealed record LedgerEntry
{
    /// <summary>The region whose accelerators ran the jobs.</summary>
    public string Lender { get; init; } = "";

    /// <summary>The jobs' home region.</summary>
    public string Borrower { get; init; } = "";

    /// <summary>The accelerator type the runs got; <c>unknown</c> when an old row did not keep it and nothing else tells.</summary>
    public string AcceleratorType { get; init; } = "";

    /// <summary>Accelerators × hours of the runs, clipped to the month.</summary>
    public double AcceleratorHours { get; init; }

    /// <summary><see cref="AcceleratorHours"/> × the peak PF of one accelerator of the type in the lender region.</summary>
    public double PetaflopHours { get; init; }

    /// <summary>Runs with hours in the month (a run across a month boundary counts in both months).</summary>
    public int Runs { get; init; }
}

/// <summary>One region's totals in the month.</summary>
public sealed record LedgerRegionTotals
{
    public string Region { get; init; } = "";

    /// <summary>Accelerator-hours the region's hardware served to other regions' jobs.</summary>
    public double LentAcceleratorHours { get; init; }

    /// <summary>Accelerator-hours the region's jobs ran on other regions' hardware.</summary>
    public double BorrowedAcceleratorHours { get; init; }

    public double LentPetaflopHours { get; init; }

    public double BorrowedPetaflopHours { get; init; }

    /// <summary>Lent − borrowed PF-hours: positive when the region gave more than it took.</summary>
    public double BalancePetaflopHours { get; init; }
}

using System.Collections.Immutable;
using Federation.Contracts;
using Federation.Grains.Ledger;
using Federation.Scheduling;

namespace Federation.Grains.Tests;

/// <summary>
/// The credit ledger from hand-made job rows, on the default megaregion (H100 0.067 PF, A100 0.0195 PF per accelerator):
/// exact hours, PF-hours and runs.
/// </summary>
public sealed class LedgerStatementTests
{
    private const double H100 = 0.067;
    private const double A100 = 0.0195;

    private static readonly Megaregion Model = MegaregionLoader.LoadDefault();
    private static readonly DateTimeOffset November = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset December = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Now, for the statements: a week into December.</summary>
    private static readonly DateTimeOffset AsOf = December.AddDays(7);

    [Fact]
    public void A_run_across_a_month_boundary_is_split_at_the_boundary()
    {
        // Home gwangju, 8 × A100 in suncheon from 30 November 22:00 to 1 December 03:00: 2 h in November, 3 h in December.
        var job = Job("cross", "gwangju", 8, JobState.Completed, "suncheon",
            Event(December.AddHours(-2), JobEventKinds.Started, "suncheon", "A100"),
            Event(December.AddHours(3), JobEventKinds.Completed, "suncheon"));

        var november = Statement(November, job);
        var december = Statement(December, job);

        Assert.Equal([new LedgerEntry { Lender = "suncheon", Borrower = "gwangju", AcceleratorType = "A100", AcceleratorHours = 16, PetaflopHours = 16 * A100, Runs = 1 }], november.Entries.ToArray());
        Assert.Equal([new LedgerEntry { Lender = "suncheon", Borrower = "gwangju", AcceleratorType = "A100", AcceleratorHours = 24, PetaflopHours = 24 * A100, Runs = 1 }], december.Entries.ToArray());
        Assert.Equal(("2026-12", December, December.AddMonths(1), AsOf), (december.Month, december.From, december.To, december.AsOf));
        Assert.Equal(
            [
                Totals("gwangju", 0, 24, 0, 24 * A100),
                Totals("suncheon", 24, 0, 24 * A100, 0),
                Totals("gwangyang", 0, 0, 0, 0),
                Totals("daegu", 0, 0, 0, 0),
            ],
            december.Regions.ToArray());
    }

    [Fact]
    public void A_preempted_then_requeued_job_books_each_run_in_the_region_that_ran_it()
    {
        // Home daegu, 4 × H100: 1.5 h in gwangju (reclaimed), then 2 h in gwangyang.
        var t = December.AddDays(1);
        var job = Job("twice", "daegu", 4, JobState.Completed, "gwangyang",
            Event(t, JobEventKinds.Overflowed, "gwangju"),
            Event(t, JobEventKinds.Started, "gwangju", "H100"),
            Event(t.AddHours(1.5), JobEventKinds.Preempted, "gwangju"),
            Event(t.AddHours(1.5), JobEventKinds.Requeued, "gwangju"),
            Event(t.AddHours(1.5), JobEventKinds.Overflowed, "gwangyang"),
            Event(t.AddHours(2), JobEventKinds.Started, "gwangyang", "H100"),
            Event(t.AddHours(4), JobEventKinds.Completed, "gwangyang"));

        var view = Statement(December, job);

        Assert.Equal(
            [
                new LedgerEntry { Lender = "gwangju", Borrower = "daegu", AcceleratorType = "H100", AcceleratorHours = 6, PetaflopHours = 6 * H100, Runs = 1 },
                new LedgerEntry { Lender = "gwangyang", Borrower = "daegu", AcceleratorType = "H100", AcceleratorHours = 8, PetaflopHours = 8 * H100, Runs = 1 },
            ],
            view.Entries.ToArray());
        Assert.Equal(Totals("daegu", 0, 14, 0, (6 * H100) + (8 * H100)), view.Regions[3]);
        Assert.Equal(Totals("gwangju", 6, 0, 6 * H100, 0), view.Regions[0]);
    }

    [Fact]
    public void A_run_at_home_is_not_booked()
    {
        var job = Job("home", "suncheon", 64, JobState.Completed, "suncheon",
            Event(December.AddDays(2), JobEventKinds.Started, "suncheon", "A100"),
            Event(December.AddDays(3), JobEventKinds.Completed, "suncheon"));

        var view = Statement(December, job);

        Assert.Empty(view.Entries.ToArray());
        Assert.All(view.Regions, r => Assert.Equal(Totals(r.Region, 0, 0, 0, 0), r));
    }

    [Fact]
    public void A_running_job_counts_up_to_now_and_not_past_it()
    {
        // Home gwangyang, 2 × NPU in daegu since 6 December: one day by the statement's now (7 December).
        var job = Job("running", "gwangyang", 2, JobState.Running, "daegu",
            Event(December.AddDays(6), JobEventKinds.Started, "daegu", "NPU-FuriosaAI-RNGD"));

        var view = Statement(December, job);

        Assert.Equal([new LedgerEntry { Lender = "daegu", Borrower = "gwangyang", AcceleratorType = "NPU-FuriosaAI-RNGD", AcceleratorHours = 48, PetaflopHours = 48 * 0.256, Runs = 1 }], view.Entries.ToArray());
        Assert.Empty(Statement(December.AddMonths(1), [job], asOf: AsOf).Entries);
    }

    [Fact]
    public void A_run_of_a_row_written_before_types_were_kept_takes_the_request_s_only_type_else_the_lender_s_only_pool_type()
    {
        var t = December.AddDays(3);
        var typed = Job("old-typed", "gwangju", 2, JobState.Completed, "daegu",
            Event(t, JobEventKinds.Started, "daegu", null),
            Event(t.AddHours(1), JobEventKinds.Completed, "daegu")) with
        { Request = new JobRequest { HomeRegion = "gwangju", Accelerators = new AcceleratorRequest { Count = 2, Types = ["H100"] } } };
        var onePool = Job("old-any", "gwangju", 2, JobState.Failed, "suncheon",
            Event(t, JobEventKinds.Started, "suncheon", null),
            Event(t.AddHours(1), JobEventKinds.Failed, "suncheon"));
        var unknown = Job("old-unknown", "suncheon", 2, JobState.Cancelled, "daegu",
            Event(t, JobEventKinds.Started, "daegu", null),
            Event(t.AddHours(1), JobEventKinds.Cancelled, "daegu"));

        var view = Statement(December, typed, onePool, unknown);

        Assert.Equal(
            [
                new LedgerEntry { Lender = "suncheon", Borrower = "gwangju", AcceleratorType = "A100", AcceleratorHours = 2, PetaflopHours = 2 * A100, Runs = 1 },
                new LedgerEntry { Lender = "daegu", Borrower = "gwangju", AcceleratorType = "H100", AcceleratorHours = 2, PetaflopHours = 2 * H100, Runs = 1 },
                new LedgerEntry { Lender = "daegu", Borrower = "suncheon", AcceleratorType = LedgerStatement.UnknownType, AcceleratorHours = 2, PetaflopHours = 0, Runs = 1 },
            ],
            view.Entries.ToArray());
    }

    [Fact]
    public void Runs_of_one_key_add_up_and_a_region_s_statement_holds_only_its_lines_and_totals()
    {
        var t = December.AddDays(4);
        var a = Job("a", "gwangju", 8, JobState.Completed, "suncheon",
            Event(t, JobEventKinds.Started, "suncheon", "A100"), Event(t.AddMinutes(15), JobEventKinds.Completed, "suncheon"));
        var b = Job("b", "gwangju", 4, JobState.Completed, "suncheon",
            Event(t, JobEventKinds.Started, "suncheon", "A100"), Event(t.AddMinutes(30), JobEventKinds.Completed, "suncheon"));
        var other = Job("c", "daegu", 1, JobState.Completed, "gwangyang",
            Event(t, JobEventKinds.Started, "gwangyang", "H100"), Event(t.AddHours(1), JobEventKinds.Completed, "gwangyang"));

        var view = Statement(December, [a, b, other], region: "gwangju");

        Assert.Equal([new LedgerEntry { Lender = "suncheon", Borrower = "gwangju", AcceleratorType = "A100", AcceleratorHours = 4, PetaflopHours = 4 * A100, Runs = 2 }], view.Entries.ToArray());
        Assert.Equal([Totals("gwangju", 0, 4, 0, 4 * A100)], view.Regions.ToArray());
        Assert.Equal("gwangju", view.Region);
    }

    [Theory]
    [InlineData("2026-12", true)]
    [InlineData("2027-01", true)]
    [InlineData("2026-13", false)]
    [InlineData("2026-1", false)]
    [InlineData("2026-12-01", false)]
    [InlineData("december", false)]
    [InlineData("", false)]
    public void A_month_is_yyyy_mm(string text, bool valid)
    {
        Assert.Equal(valid, LedgerStatement.TryParseMonth(text, out var from));
        if (valid)
        {
            Assert.Equal((1, TimeSpan.Zero, TimeSpan.Zero), (from.Day, from.TimeOfDay, from.Offset));
        }
    }

    private static LedgerView Statement(DateTimeOffset month, params JobSnapshot[] jobs) => Statement(month, jobs, asOf: AsOf);

    private static LedgerView Statement(DateTimeOffset month, JobSnapshot[] jobs, DateTimeOffset? asOf = null, string? region = null)
    {
        var statement = new LedgerStatement(Model, month, asOf ?? AsOf, region);
        foreach (var job in jobs)
        {
            statement.Add(job);
        }

        return statement.ToView();
    }

    private static LedgerRegionTotals Totals(string region, double lentHours, double borrowedHours, double lentPf, double borrowedPf) => new()
    {
        Region = region,
        LentAcceleratorHours = lentHours,
        BorrowedAcceleratorHours = borrowedHours,
        LentPetaflopHours = lentPf,
        BorrowedPetaflopHours = borrowedPf,
        BalancePetaflopHours = lentPf - borrowedPf,
    };

    private static JobHistoryEntry Event(DateTimeOffset at, string kind, string? region, string? type = null) =>
        new() { At = at, Kind = kind, Region = region, AcceleratorType = type };

    private static JobSnapshot Job(string id, string home, int count, JobState state, string region, params JobHistoryEntry[] events)
    {
        var submitted = events[0].At.AddMinutes(-1);
        var history = ImmutableArray.Create([Event(submitted, JobEventKinds.Submitted, null), .. events]);
        var final = state is JobState.Completed or JobState.Failed or JobState.Cancelled;
        return new JobSnapshot
        {
            Id = id,
            Request = new JobRequest { HomeRegion = home, Accelerators = new AcceleratorRequest { Count = count } },
            State = state,
            Region = region,
            History = history,
            SubmittedAt = submitted,
            EndedAt = final ? events[^1].At : null,
        };
    }
}

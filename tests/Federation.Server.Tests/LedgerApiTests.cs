using System.Net;
using System.Text.Json.Nodes;
using Federation.Contracts;
using Federation.Grains.Execution;
using Federation.Grains.Regions;
using Federation.Scheduling;
using Federation.TestKit;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Server.Tests;

/// <summary>
/// <c>GET /api/ledger</c> over jobs that ran away from home on the server's manual clock, across the January/February
/// boundary: the statement's figures equal those computed here from the jobs' rows as <c>GET /api/jobs</c> shows them.
/// </summary>
public sealed class LedgerApiTests
{
    /// <summary>31 January 2026, 22:00 UTC: two hours before February.</summary>
    private static readonly DateTimeOffset Start = new(2026, 1, 31, 22, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task The_statement_books_every_run_away_from_home_and_its_sums_match_the_job_rows()
    {
        await using var server = await ServerHost.StartAsync(new ManualTimeProvider(Start), null, null);

        // Each allowed only elsewhere than home (except l-home), so each runs on another region's hardware at once.
        await SubmitAsync(server, "l-1", "gwangju", ["suncheon"], 8, ["A100"], 2);
        await SubmitAsync(server, "l-2", "daegu", ["gwangju"], 16, ["H100", "A100"], 3);
        await SubmitAsync(server, "l-home", "gwangyang", ["gwangyang"], 4, ["H100"], 1);
        await SubmitAsync(server, "l-4", "suncheon", ["gwangyang"], 2, ["H100"], 10);
        await SubmitAsync(server, "l-5", "gwangju", ["daegu"], 4, ["NPU-FuriosaAI-RNGD"], 5);

        server.Clock.Advance(TimeSpan.FromHours(1));
        using (var cancelled = await server.Client.DeleteAsync("api/jobs/l-5"))
        {
            Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        }

        await PollAsync(server, "l-home", JobState.Completed);
        server.Clock.Advance(TimeSpan.FromHours(1));
        await PollAsync(server, "l-1", JobState.Completed);
        server.Clock.Advance(TimeSpan.FromHours(1));
        await PollAsync(server, "l-2", JobState.Completed);
        server.Clock.Advance(TimeSpan.FromHours(0.5));

        var jobs = await ServerHost.ReadAsync<JobList>(await server.Client.GetAsync("api/jobs?limit=1000"));
        var megaregion = server.Services.GetRequiredService<Megaregion>();
        var january = await GetAsync(server, "api/ledger?month=2026-01");
        var february = await GetAsync(server, "api/ledger");
        var gwangju = await GetAsync(server, "api/ledger?month=2026-01&region=gwangju");
        var now = server.Clock.GetUtcNow();

        Assert.All(jobs.Jobs, j => Assert.All(j.History.Where(e => e.Kind == JobEventKinds.Started), e => Assert.NotNull(e.AcceleratorType)));
        Assert.Equal(("2026-02", now), (february.Month, february.AsOf));
        AssertMatchesRows(january, jobs, megaregion, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), now, null);
        AssertMatchesRows(february, jobs, megaregion, new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero), now, null);
        AssertMatchesRows(gwangju, jobs, megaregion, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), now, "gwangju");

        // And by hand: January 22:00-24:00, February 00:00-01:30.
        Assert.Equal(
            [("gwangju", "daegu", 32.0, 1), ("suncheon", "gwangju", 16.0, 1), ("gwangyang", "suncheon", 4.0, 1), ("daegu", "gwangju", 4.0, 1)],
            january.Entries.Select(e => (e.Lender, e.Borrower, e.AcceleratorHours, e.Runs)));
        Assert.Equal(
            [("gwangju", "daegu", 16.0, 1), ("gwangyang", "suncheon", 3.0, 1)],
            february.Entries.Select(e => (e.Lender, e.Borrower, e.AcceleratorHours, e.Runs)));
        Assert.Equal(("NPU-FuriosaAI-RNGD", 4 * 0.256), (january.Entries[3].AcceleratorType, january.Entries[3].PetaflopHours));
        Assert.Equal(
            [("gwangju", 32.0, 20.0)],
            gwangju.Regions.Select(r => (r.Region, r.LentAcceleratorHours, r.BorrowedAcceleratorHours)));
    }

    [Theory]
    [InlineData("month=2026-13", HttpStatusCode.BadRequest, "month", "must be a UTC calendar month as YYYY-MM")]
    [InlineData("month=december", HttpStatusCode.BadRequest, "month", "was 'december'")]
    [InlineData("month=", HttpStatusCode.BadRequest, "month", "must be a UTC calendar month")]
    [InlineData("region=busan", HttpStatusCode.NotFound, "region", "unknown region 'busan'")]
    public async Task A_bad_month_or_an_unknown_region_is_refused_naming_the_field(string query, HttpStatusCode status, string field, string message)
    {
        await using var server = await ServerHost.StartAsync();

        using var response = await server.Client.GetAsync("api/ledger?" + query);

        await Problem.AssertAsync(response, status, field, message);
    }

    /// <summary>The statement recomputed from the rows' histories: runs from Started to the next end, away from home, clipped to the month and to now.</summary>
    private static void AssertMatchesRows(LedgerView view, JobList jobs, Megaregion megaregion, DateTimeOffset from, DateTimeOffset now, string? region)
    {
        var to = from.AddMonths(1);
        var ticks = new Dictionary<(string, string, string), (long Ticks, int Runs)>();
        foreach (var job in jobs.Jobs)
        {
            JobEvent? open = null;
            foreach (var e in job.History)
            {
                if (e.Kind == JobEventKinds.Started)
                {
                    open = e;
                }
                else if (open is not null && e.Kind is JobEventKinds.Completed or JobEventKinds.Failed or JobEventKinds.Cancelled or JobEventKinds.Preempted or JobEventKinds.Requeued)
                {
                    Add(job, open, e.At);
                    open = null;
                }
            }

            if (open is not null && job.State == JobState.Running)
            {
                Add(job, open, now);
            }
        }

        var expected = ticks
            .Select(kv =>
            {
                var hours = (double)kv.Value.Ticks / TimeSpan.TicksPerHour;
                var pf = megaregion.Regions.Single(r => r.Id == kv.Key.Item1).Pools.Single(p => p.Type == kv.Key.Item3).PetaflopsPerUnit;
                return new LedgerEntry { Lender = kv.Key.Item1, Borrower = kv.Key.Item2, AcceleratorType = kv.Key.Item3, AcceleratorHours = hours, PetaflopHours = hours * pf, Runs = kv.Value.Runs };
            })
            .OrderBy(e => (e.Lender, e.Borrower, e.AcceleratorType))
            .ToList();
        Assert.Equal(expected, view.Entries.OrderBy(e => (e.Lender, e.Borrower, e.AcceleratorType)));

        var regions = megaregion.Regions.Select(r => r.Id).Where(r => region is null || r == region).ToList();
        Assert.Equal(regions, view.Regions.Select(r => r.Region));
        foreach (var totals in view.Regions)
        {
            // Summed in the statement's own line order, so the doubles add up the same way.
            var lent = view.Entries.Where(e => e.Lender == totals.Region).ToList();
            var borrowed = view.Entries.Where(e => e.Borrower == totals.Region).ToList();
            Assert.Equal(
                (expected.Where(e => e.Lender == totals.Region).Sum(e => e.AcceleratorHours), expected.Where(e => e.Borrower == totals.Region).Sum(e => e.AcceleratorHours)),
                (totals.LentAcceleratorHours, totals.BorrowedAcceleratorHours));
            Assert.Equal((lent.Sum(e => e.PetaflopHours), borrowed.Sum(e => e.PetaflopHours)), (totals.LentPetaflopHours, totals.BorrowedPetaflopHours));
            Assert.Equal(totals.LentPetaflopHours - totals.BorrowedPetaflopHours, totals.BalancePetaflopHours);
        }

        void Add(JobView job, JobEvent start, DateTimeOffset end)
        {
            if (start.Region == job.HomeRegion || (region is not null && start.Region != region && job.HomeRegion != region))
            {
                return;
            }

            var a = start.At > from ? start.At : from;
            var b = end < to ? end : to;
            if (b <= a)
            {
                return;
            }

            var key = (start.Region!, job.HomeRegion, start.AcceleratorType!);
            var (t, n) = ticks.GetValueOrDefault(key);
            ticks[key] = (t + (job.Accelerators.Count * (b - a).Ticks), n + 1);
        }
    }

    private static async Task SubmitAsync(ServerHost server, string id, string home, string[] allowed, int count, string[] types, double hours)
    {
        var request = new JsonObject
        {
            ["id"] = id,
            ["project"] = "p-ledger",
            ["owner"] = "kim",
            ["homeRegion"] = home,
            ["accelerators"] = new JsonObject { ["count"] = count, ["types"] = new JsonArray([.. types.Select(t => (JsonNode)t)]) },
            ["durationHours"] = hours,
            ["allowedRegions"] = new JsonArray([.. allowed.Select(r => (JsonNode)r)]),
        };
        using var response = await server.PostJsonAsync("api/jobs", request.ToJsonString());
        var job = await ServerHost.ReadAsync<JobView>(response);
        Assert.Equal((HttpStatusCode.Created, JobState.Running, allowed[0]), (response.StatusCode, job.State, job.Region));
    }

    private static async Task<LedgerView> GetAsync(ServerHost server, string path)
    {
        using var response = await server.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await ServerHost.ReadAsync<LedgerView>(response);
    }

    private static async Task PollAsync(ServerHost server, string id, JobState state)
    {
        // An end crosses grains (the clock's callback into the region, then the region's notice to the job): the clock's
        // and the outbox's barriers say when both are done.
        var limit = TimeSpan.FromSeconds(10);
        await server.Services.GetRequiredService<ExecutionClock>().WhenIdleAsync().WaitAsync(limit);
        await server.Services.GetRequiredService<NoticeDeliveries>().WhenDeliveredAsync().WaitAsync(limit);
        var job = await ServerHost.ReadAsync<JobView>(await server.Client.GetAsync($"api/jobs/{id}"));
        Assert.True(job.State == state, $"{id} is {job.State}, not {state}");
    }
}

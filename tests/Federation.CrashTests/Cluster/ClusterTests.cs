using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Federation.Contracts;
using Xunit.Abstractions;

namespace Federation.CrashTests.Cluster;

/// <summary>
/// The megaregion as four silo processes, one per region, in one Orleans cluster on PostgreSQL: each region's grain on
/// its own silo, every silo serving the whole API, and a region whose silo dies or hangs marked unreachable while the
/// others go on placing.
/// </summary>
public sealed class ClusterTests(ITestOutputHelper output)
{
    private const string AllUp = "gwangju:up suncheon:up gwangyang:up daegu:up";
    private static readonly TimeSpan Detection = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Each_region_runs_on_its_own_silo_and_a_job_submitted_through_any_silo_is_seen_through_every_other()
    {
        await using var mega = await LocalMegaregion.StartAsync(nameof(Each_region_runs_on_its_own_silo_and_a_job_submitted_through_any_silo_is_seen_through_every_other));
        foreach (var through in LocalMegaregion.Regions)
        {
            await Eventually.HoldsAsync(async ct => await mega.StatusesAsync(through, ct) == AllUp, Detection, $"{through}'s silo sees every region up");
        }

        // Each region's grain is on its own silo, asked through another region's silo; the view lists that silo. A region
        // first called before its own silo was known to the caller was activated away from home; it migrates home within
        // a home check period, so this waits for it rather than reading the first activation.
        var view = await mega.ViewAsync("gwangju");
        for (var i = 0; i < LocalMegaregion.Regions.Length; i++)
        {
            var region = LocalMegaregion.Regions[i];
            var through = LocalMegaregion.Regions[(i + 1) % LocalMegaregion.Regions.Length];
            RegionView? shown = null;
            await Eventually.HoldsAsync(
                async ct =>
                {
                    shown = (await mega.Api(through).GetFromJsonAsync<RegionView>($"api/regions/{region}", Workload.Json, ct))!;
                    return mega.IsSiloOf(region, shown.HostSilo) && !shown.Away;
                },
                Detection,
                $"{region} runs on its own silo (port {mega.Silo(region).SiloPort})");
            Assert.True(mega.IsSiloOf(region, shown!.HostSilo), $"{region} is hosted on {shown.HostSilo}");
            Assert.True(mega.IsSiloOf(region, Assert.Single(view.Regions[i].Silos)));
        }

        // The Orleans dashboard of any silo shows the four silos, named by region.
        await Eventually.HoldsAsync(
            async ct =>
            {
                var counters = System.Text.Json.Nodes.JsonNode.Parse(await mega.Api("daegu").GetStringAsync("dashboard/DashboardCounters", ct))!;
                var active = counters["hosts"]!.AsArray().Where(h => h!["status"]!.GetValue<string>() == "Active").Select(h => h!["siloName"]!.GetValue<string>().Split('-')[0]).Order();
                return string.Join(' ', active) == "daegu gwangju gwangyang suncheon";
            },
            Detection,
            "the dashboard shows the four silos active");

        // A job submitted through each silo, homed in and pinned to another region, is placed there and reads the same
        // through every silo.
        var ids = new List<(string Id, string Region)>();
        for (var i = 0; i < LocalMegaregion.Regions.Length; i++)
        {
            var through = LocalMegaregion.Regions[i];
            var home = LocalMegaregion.Regions[(i + 2) % LocalMegaregion.Regions.Length];
            var type = home == "suncheon" ? "A100" : "H100";
            var id = $"via-{through}";
            using var response = await mega.Api(through).PostAsync("api/jobs", Body(id, home, type, [home]));
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var job = (await response.Content.ReadFromJsonAsync<JobView>(Workload.Json))!;
            Assert.Equal(home, job.Region);
            ids.Add((id, home));
        }

        foreach (var (id, region) in ids)
        {
            foreach (var through in LocalMegaregion.Regions)
            {
                var job = (await mega.Api(through).GetFromJsonAsync<JobView>($"api/jobs/{id}", Workload.Json))!;
                Assert.Equal((id, region, "Submitted"), (job.Id, job.Region, job.History[0].Kind));
            }
        }

        // A token issued through one silo is good on every silo (one signing key, in the cluster's store); revoked through
        // another, it is refused by every silo as soon as the revocation has answered (no waiting, no retry).
        using var issued = await mega.Api("gwangju").PostAsync("api/tokens", new StringContent("""{"subject": "ana", "role": "researcher", "projects": ["p1"]}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
        var answer = System.Text.Json.Nodes.JsonNode.Parse(await issued.Content.ReadAsStringAsync())!;
        var (token, tokenId) = (answer["token"]!.GetValue<string>(), answer["record"]!["id"]!.GetValue<string>());
        foreach (var through in LocalMegaregion.Regions)
        {
            Assert.Equal(HttpStatusCode.OK, await WhoAmIAsync(mega, through, token));
        }

        using (var revoked = await mega.Api("daegu").DeleteAsync($"api/tokens/{tokenId}"))
        {
            Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        }

        foreach (var through in LocalMegaregion.Regions)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await WhoAmIAsync(mega, through, token));
        }
    }

    private static async Task<HttpStatusCode> WhoAmIAsync(LocalMegaregion mega, string through, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/whoami");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var response = await mega.Api(through).SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task A_region_whose_silo_dies_or_hangs_is_marked_unreachable_others_place_its_jobs_and_it_resumes_when_back()
    {
        await using var mega = await LocalMegaregion.StartAsync(nameof(A_region_whose_silo_dies_or_hangs_is_marked_unreachable_others_place_its_jobs_and_it_resumes_when_back));
        await Eventually.HoldsAsync(async ct => await mega.StatusesAsync("gwangju", ct) == AllUp, Detection, "every region up");

        // daegu's silo is killed: within seconds the others mark it unreachable.
        var killed = Stopwatch.StartNew();
        mega.Silo("daegu").Kill("the region's silo dies");
        var marked = await Eventually.HoldsAsync(
            async ct => await mega.StatusesAsync("gwangju", ct) == "gwangju:up suncheon:up gwangyang:up daegu:unreachable", Detection, "daegu marked unreachable", killed);
        output.WriteLine($"kill -9: daegu marked unreachable after {marked.TotalSeconds:F1} s");

        // A job that may run elsewhere runs elsewhere; one pinned to daegu is accepted and waits there, saying why.
        var free = await SubmitAsync(mega, "suncheon", Body("free", "daegu", "H100", []));
        Assert.NotEqual("daegu", free.Region);
        var pinned = await SubmitAsync(mega, "gwangyang", Body("pinned", "daegu", "H100", ["daegu"]));
        Assert.Equal(("daegu", JobState.Queued), (pinned.Region, pinned.State));
        Assert.StartsWith("daegu is unreachable (no silo of daegu is alive) and no other region may run the job", pinned.Reason);
        Assert.Equal("daegu is unreachable (no silo of daegu is alive) and no other region may run the job: it waits in daegu's queue until a silo of daegu returns", pinned.Placement!.Note);

        // daegu's silo returns: its region goes home and starts the pinned job.
        await mega.Silo("daegu").StartAsync(LocalMegaregion.StartTimeout);
        await Eventually.HoldsAsync(async ct => await mega.StatusesAsync("gwangju", ct) == AllUp, Detection, "daegu up again");
        await Eventually.HoldsAsync(
            async ct => (await mega.Api("gwangju").GetFromJsonAsync<JobView>("api/jobs/pinned", Workload.Json, ct))!.State == JobState.Running, Detection, "the pinned job started in daegu");
        var daegu = (await mega.Api("suncheon").GetFromJsonAsync<RegionView>("api/regions/daegu", Workload.Json))!;
        Assert.True(mega.IsSiloOf("daegu", daegu.HostSilo) && !daegu.Away, $"daegu is hosted on {daegu.HostSilo} (away: {daegu.Away})");

        // suncheon's silo hangs (SIGSTOP): marked unreachable too, and its A100 work goes to gwangju meanwhile.
        var stopped = Stopwatch.StartNew();
        mega.Silo("suncheon").Pause("the region's silo hangs");
        var hung = await Eventually.HoldsAsync(
            async ct => await mega.StatusesAsync("gwangju", ct) == "gwangju:up suncheon:unreachable gwangyang:up daegu:up", Detection, "suncheon marked unreachable", stopped);
        output.WriteLine($"SIGSTOP: suncheon marked unreachable after {hung.TotalSeconds:F1} s");
        var a100 = await SubmitAsync(mega, "daegu", Body("a100", "suncheon", "A100", []));
        Assert.Equal("gwangju", a100.Region);

        // Resumed, the silo finds itself declared dead and stops; started again, suncheon is back.
        mega.Silo("suncheon").Resume("the hang ends");
        Assert.True(await mega.Silo("suncheon").WaitForExitAsync(Detection), "a silo declared dead while it hung stops itself when it resumes");
        await mega.Silo("suncheon").StartAsync(LocalMegaregion.StartTimeout);
        await Eventually.HoldsAsync(async ct => await mega.StatusesAsync("daegu", ct) == AllUp, Detection, "suncheon up again");
    }

    private static async Task<JobView> SubmitAsync(LocalMegaregion mega, string through, StringContent body)
    {
        using var response = await mega.Api(through).PostAsync("api/jobs", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST /api/jobs through {through}: {(int)response.StatusCode} {text}");
        return System.Text.Json.JsonSerializer.Deserialize<JobView>(text, Workload.Json)!;
    }

    private static StringContent Body(string id, string home, string type, string[] allowed) =>
        new(
            System.Text.Json.JsonSerializer.Serialize(
                new
                {
                    id,
                    project = "cluster-" + home,
                    owner = "cluster-test",
                    homeRegion = home,
                    accelerators = new { count = 8, types = new[] { type } },
                    durationHours = 1,
                    allowedRegions = allowed,
                },
                Workload.Json),
            Encoding.UTF8,
            "application/json");
}

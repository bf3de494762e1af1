using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Federation.CrashTests;

/// <summary>One job of the workload: its id, the exact body every (re)submission sends, and what it asks for.</summary>
internal sealed record CrashJob(string Id, string Body, string Type, int Count, string HomeRegion, string[] AllowedRegions, double DurationHours);

/// <summary>
/// The jobs a crash run submits, from a seed. Most are homed in gwangju and allowed elsewhere, with their
/// dataset in gwangju, so gwangju saturates, jobs overflow (router) or are moved (rebalancer) and data is
/// in transit when the server dies. Every job asks for exactly one accelerator type, so a region's busy
/// accelerators per pool can be recomputed exactly from the jobs it runs.
/// </summary>
internal static class Workload
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    private static readonly string[] H100Regions = ["gwangju", "gwangyang", "daegu"];
    private static readonly string[] A100Regions = ["gwangju", "suncheon"];

    /// <summary>Short jobs (minutes to an hour of execution time), so that many start and complete during a run.</summary>
    public static List<CrashJob> Short(Random random, string prefix, int count)
    {
        var jobs = new List<CrashJob>(count);
        for (var i = 0; i < count; i++)
        {
            var roll = random.NextDouble();
            var a100 = random.NextDouble() < 0.25;
            var type = a100 ? "A100" : "H100";
            string home;
            string[] allowed;
            if (roll < 0.7)
            {
                // Home gwangju, may overflow.
                home = "gwangju";
                allowed = a100 ? A100Regions : H100Regions;
            }
            else if (roll < 0.85)
            {
                // Pinned to gwangju (data residency): waits there, never moves.
                home = "gwangju";
                allowed = ["gwangju"];
            }
            else
            {
                // Homed elsewhere, any region with the type.
                home = a100 ? "suncheon" : random.NextDouble() < 0.5 ? "gwangyang" : "daegu";
                allowed = [];
            }

            var countAcc = 8 * random.Next(1, 17);
            var hours = Math.Round(0.05 + (random.NextDouble() * 0.9), 3);
            var dataGb = random.NextDouble() < 0.8 ? random.Next(1, 80) * 1000 : 0;
            jobs.Add(Make($"{prefix}-{i:D5}", type, countAcc, home, allowed, hours, dataGb, random.Next(0, 3)));
        }

        return jobs;
    }

    /// <summary>
    /// Jobs for a four-silo cluster at time scale 1: seconds long, homed in every region, most allowed anywhere their type
    /// exists, one in ten pinned to its home (data residency), a few with a small dataset to move. At the chaos test's six a
    /// second they offer about three quarters of each type's accelerators (H100 ~1,360 of 1,896 busy, A100 ~580 of 736):
    /// queues build while a silo is down and drain once it is back, so the end of a run does not depend on how long the
    /// rounds took (an offered load above capacity leaves a backlog that grows with the run).
    /// </summary>
    public static CrashJob ClusterJob(Random random, string id)
    {
        var a100 = random.NextDouble() < 0.3;
        var type = a100 ? "A100" : "H100";
        var homes = a100 ? A100Regions : H100Regions;
        var home = homes[random.Next(homes.Length)];
        string[] allowed = random.NextDouble() < 0.1 ? [home] : [];
        var countAcc = 8 * random.Next(1, 9);
        var hours = Math.Round((3 + (random.NextDouble() * 12)) / 3600, 6);
        var dataGb = random.NextDouble() < 0.2 ? random.Next(1, 5) * 5 : 0;
        return Make(id, type, countAcc, home, allowed, hours, dataGb, random.Next(0, 3));
    }

    /// <summary>Jobs that outlast the test (hundreds of hours), for an accounting check while nothing ends.</summary>
    public static List<CrashJob> Long(Random random, string prefix, int count)
    {
        var jobs = new List<CrashJob>(count);
        for (var i = 0; i < count; i++)
        {
            var a100 = i % 4 == 3;
            var type = a100 ? "A100" : "H100";
            var countAcc = 16 * random.Next(2, 9);
            var dataGb = random.NextDouble() < 0.5 ? random.Next(1, 20) * 1000 : 0;
            jobs.Add(Make($"{prefix}-{i:D4}", type, countAcc, "gwangju", a100 ? A100Regions : H100Regions, 500 + random.Next(0, 500), dataGb, 0));
        }

        return jobs;
    }

    private static CrashJob Make(string id, string type, int count, string home, string[] allowed, double hours, int dataGb, int priority)
    {
        var body = new Dictionary<string, object?>
        {
            ["id"] = id,
            ["project"] = "crash-" + home,
            ["owner"] = "crash-test",
            ["homeRegion"] = home,
            ["accelerators"] = new Dictionary<string, object> { ["count"] = count, ["types"] = new[] { type } },
            ["durationHours"] = hours,
            ["allowedRegions"] = allowed,
            ["priority"] = priority,
        };
        if (dataGb > 0)
        {
            body["dataset"] = new Dictionary<string, object> { ["region"] = "gwangju", ["sizeGb"] = dataGb };
        }

        return new CrashJob(id, JsonSerializer.Serialize(body, Json), type, count, home, allowed, hours);
    }

    public static string Describe(CrashJob job) =>
        string.Create(CultureInfo.InvariantCulture, $"{job.Id} ({job.Count} {job.Type}, {job.DurationHours} h, home {job.HomeRegion})");
}

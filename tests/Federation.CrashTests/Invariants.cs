using System.Globalization;
using System.Text.RegularExpressions;
using Federation.Contracts;

namespace Federation.CrashTests;

/// <summary>
/// The durability invariants, each a function from what the API shows to a list of violations (empty = holds).
/// docs/durability.md states them in words.
/// </summary>
internal static partial class Invariants
{
    /// <summary>
    /// Every submitted job exists exactly once, no job exists that was never submitted, and each is the job
    /// that was sent (type, count, home), placed only where it was allowed.
    /// </summary>
    public static List<string> ExactlyOnce(IReadOnlyDictionary<string, CrashJob> submitted, IReadOnlyCollection<string> acknowledged, List<JobView> listed)
    {
        var violations = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var job in listed)
        {
            if (!seen.Add(job.Id))
            {
                violations.Add($"{job.Id} is listed twice");
            }

            if (!submitted.TryGetValue(job.Id, out var sent))
            {
                violations.Add($"{job.Id} exists but was never submitted");
                continue;
            }

            if (job.Accelerators.Count != sent.Count || job.HomeRegion != sent.HomeRegion || job.Accelerators.Types.Length != 1 || job.Accelerators.Types[0] != sent.Type)
            {
                violations.Add($"{job.Id} is stored with another body than the one sent: {job.Accelerators.Count} {string.Join(",", job.Accelerators.Types)} home {job.HomeRegion}");
            }

            if (job.Region is { } region && sent.AllowedRegions.Length > 0 && !sent.AllowedRegions.Contains(region))
            {
                violations.Add($"{job.Id} is in {region}, outside its allowed regions {string.Join(",", sent.AllowedRegions)}");
            }
        }

        foreach (var id in acknowledged)
        {
            if (!seen.Contains(id))
            {
                violations.Add($"{id} was acknowledged but does not exist (lost)");
            }
        }

        return violations;
    }

    /// <summary>
    /// The audit table holds one <paramref name="action"/> entry for each of <paramref name="jobs"/> and none for any other
    /// job: an entry is written in the transaction of its job's row, so whatever process died, a stored change has its
    /// entry and a change that was not stored has none, and a retry after a cut answer adds none.
    /// </summary>
    public static List<string> AuditedOnce(string action, IEnumerable<JobView> jobs, List<AuditEntry> entries)
    {
        var violations = new List<string>();
        var counts = entries.GroupBy(static e => e.Target, StringComparer.Ordinal).ToDictionary(static g => g.Key, static g => g.Count(), StringComparer.Ordinal);
        var expected = new HashSet<string>(StringComparer.Ordinal);
        foreach (var job in jobs)
        {
            var target = "job/" + job.Id;
            expected.Add(target);
            var count = counts.GetValueOrDefault(target);
            if (count != 1)
            {
                violations.Add($"{job.Id} has {count} '{action}' audit entries, not 1");
            }
        }

        violations.AddRange(counts.Keys.Where(t => !expected.Contains(t)).Select(t => $"{t} has a '{action}' audit entry but no such change is stored"));
        return violations;
    }

    /// <summary>
    /// The history of one job, read as the sequence of its committed transitions:
    /// <list type="bullet">
    /// <item>one <c>Submitted</c>, first;</item>
    /// <item>at most one terminal event (<c>Completed</c>, <c>Failed</c>, <c>Cancelled</c>), and nothing after it;</item>
    /// <item>a placement (<c>Queued</c>, <c>Overflowed</c>, or the <c>Requeued</c> that names the new region) never happens while the
    /// job is running: only queued jobs move;</item>
    /// <item>a <c>Started</c> is in the region the job was last placed in, and a second <c>Started</c> needs a <c>Requeued</c>
    /// between the two (a region that could not hold a running job after a restart released it). A restart does not write a
    /// new <c>Started</c>: a region re-attaches its running jobs, and a job whose start was not committed before the kill is
    /// rebuilt as queued and starts once, for the first time as far as the rows know;</item>
    /// <item><c>Completed</c> or <c>Failed</c> follow a <c>Started</c> in the same region.</item>
    /// </list>
    /// </summary>
    public static List<string> History(JobView job)
    {
        var violations = new List<string>();
        var h = job.History;
        if (h.Length == 0 || h[0].Kind != "Submitted")
        {
            violations.Add($"{job.Id}: history does not begin with Submitted: {Render(job)}");
            return violations;
        }

        string? placedIn = null;
        string? runningIn = null;
        var started = false;
        var terminal = false;
        for (var i = 1; i < h.Length; i++)
        {
            var e = h[i];
            if (terminal)
            {
                violations.Add($"{job.Id}: {e.Kind} after the job ended: {Render(job)}");
                break;
            }

            switch (e.Kind)
            {
                case "Submitted":
                    violations.Add($"{job.Id}: submitted twice: {Render(job)}");
                    break;
                case "Queued" or "Overflowed":
                    if (runningIn is not null)
                    {
                        violations.Add($"{job.Id}: {e.Kind} in {e.Region} while running in {runningIn}: {Render(job)}");
                    }

                    placedIn = e.Region;
                    break;
                case "Requeued":
                    // "released by R" names the region that let it go; the placement that follows names the new one.
                    runningIn = null;
                    placedIn = e.Region;
                    break;
                case "Started":
                    if (runningIn is not null)
                    {
                        violations.Add($"{job.Id}: started again in {e.Region} while running in {runningIn}, no requeue between: {Render(job)}");
                    }

                    if (e.Region != placedIn)
                    {
                        violations.Add($"{job.Id}: started in {e.Region} but placed in {placedIn}: {Render(job)}");
                    }

                    runningIn = e.Region;
                    started = true;
                    break;
                case "Completed" or "Failed":
                    if (!started || runningIn is null)
                    {
                        violations.Add($"{job.Id}: {e.Kind} without a start: {Render(job)}");
                    }
                    else if (e.Region != runningIn)
                    {
                        violations.Add($"{job.Id}: {e.Kind} in {e.Region} but running in {runningIn}: {Render(job)}");
                    }

                    terminal = true;
                    break;
                case "Cancelled":
                    terminal = true;
                    break;
                default:
                    violations.Add($"{job.Id}: unknown event {e.Kind}");
                    break;
            }
        }

        var expected = job.State switch
        {
            JobState.Completed => "Completed",
            JobState.Failed => "Failed",
            JobState.Cancelled => "Cancelled",
            _ => null,
        };
        if (expected is not null && h[^1].Kind != expected && !(job.State == JobState.Failed && h[^1].Kind == "Failed"))
        {
            violations.Add($"{job.Id}: state {job.State} but the last event is {h[^1].Kind}: {Render(job)}");
        }

        if (job.State == JobState.Running && (runningIn is null || runningIn != job.Region))
        {
            violations.Add($"{job.Id}: state Running in {job.Region} but its history says running in {runningIn ?? "no region"}: {Render(job)}");
        }

        if (job.State == JobState.Queued && (runningIn is not null || placedIn != job.Region))
        {
            violations.Add($"{job.Id}: state Queued in {job.Region} but its history says placed in {placedIn}, running in {runningIn ?? "no region"}: {Render(job)}");
        }

        return violations;
    }

    /// <summary>
    /// Each region's own accounting against the job rows that name it: per pool, busy accelerators = the sum
    /// over its running jobs of that type; running and queued counts = its Running and Queued jobs.
    /// </summary>
    public static List<string> Accounting(IReadOnlyList<RegionView> regions, IReadOnlyCollection<JobView> jobs)
    {
        var violations = new List<string>();
        foreach (var region in regions)
        {
            var running = jobs.Where(j => j.State == JobState.Running && j.Region == region.Id).ToList();
            var queued = jobs.Count(j => j.State == JobState.Queued && j.Region == region.Id);
            foreach (var pool in region.Pools)
            {
                var expected = running.Where(j => j.Accelerators.Types.Length == 1 && j.Accelerators.Types[0] == pool.Type).Sum(j => j.Accelerators.Count);
                if (pool.Busy != expected)
                {
                    violations.Add($"{region.Id}/{pool.Type}: {pool.Busy} busy, but its running jobs hold {expected}");
                }
            }

            if (region.RunningJobs != running.Count)
            {
                violations.Add($"{region.Id}: {region.RunningJobs} running, but {running.Count} jobs are Running there");
            }

            if (region.QueuedJobs != queued)
            {
                violations.Add($"{region.Id}: {region.QueuedJobs} queued, but {queued} jobs are Queued there");
            }
        }

        return violations;
    }

    /// <summary>
    /// Evidence in the server log of a run of a job by a region its committed row did not name: a region reported
    /// the end of a run of a job whose row names another region (or none), whenever that run started or ended. A
    /// region hands a job to the executor only once the job has committed it running there (the job answers the
    /// region's start), so such a run is a job run twice (a real backend would have run it). Not evidence: a start the
    /// job refused (the region drops the job unrun), a queued ghost withdrawn by a move, and an admission a region
    /// dropped unexecuted at its confirmation deadline because no committed row named it.
    /// </summary>
    public static List<string> GhostRuns(string logPath)
    {
        var violations = new List<string>();
        foreach (var line in File.ReadLines(logPath))
        {
            var m = StaleEnd().Match(line);
            if (m.Success)
            {
                violations.Add($"a run by a region the row does not name: {m.Value}");
            }
        }

        return violations;
    }

    public static string Render(JobView job) =>
        $"[{job.State} in {job.Region ?? "-"}] " + string.Join(" → ", job.History.Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Kind}@{e.Region ?? "-"}")));

    // Any state and region, a start or none (a job with no row, or one never started, logs blanks there).
    [GeneratedRegex(@"Job (?<job>\S+) ignored an end in (?<region>\S+) at (?<at>\S+): it is (?<state>\w+) in .*")]
    private static partial Regex StaleEnd();
}

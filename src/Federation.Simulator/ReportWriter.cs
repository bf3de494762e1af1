using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Federation.Simulator;

/// <summary>Run parameters echoed into the outputs, so a reader can reproduce them.</summary>
public sealed record RunInfo(string Trace, string Megaregion, long Seed, double LoadScale, string CapacityScale, int Jobs, string Command)
{
    /// <summary>Duration estimate / actual duration.</summary>
    public double EstimateFactor { get; init; } = 1;

    /// <summary>Whether lenders reclaimed lent capacity (<c>--reclaim on</c>).</summary>
    public bool Reclaim { get; init; }
}

/// <summary>Writes summary.json, jobs-&lt;policy&gt;.csv and the self-contained report.html.</summary>
public static class ReportWriter
{
    private static readonly string[] Colors = ["#d62728", "#7f7f7f", "#ff7f0e", "#1f77b4", "#2ca02c", "#000000", "#9467bd", "#8c564b"];

    public static void WriteSummary(Stream stream, Workload workload, RunInfo run, IReadOnlyList<PolicySummary> summaries)
    {
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(summaries);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteStartObject("megaregion");
        w.WriteNumber("totalAccelerators", workload.Megaregion.TotalAccelerators);
        w.WriteStartObject("regions");
        foreach (var r in workload.Megaregion.Regions)
        {
            w.WriteNumber(r.Id, r.TotalAccelerators);
        }

        w.WriteEndObject();
        w.WriteString("capacityMode", workload.CapacityMode);
        w.WriteEndObject();

        w.WriteStartObject("run");
        w.WriteString("trace", run.Trace);
        w.WriteString("megaregion", run.Megaregion);
        w.WriteNumber("seed", run.Seed);
        w.WriteNumber("loadScale", run.LoadScale);
        w.WriteString("capacityScale", run.CapacityScale);
        w.WriteNumber("jobs", run.Jobs);
        w.WriteNumber("estimateFactor", run.EstimateFactor);
        w.WriteString("reclaim", run.Reclaim ? "on" : "off");
        Num(w, "offeredLoadAccelerators", workload.OfferedLoadAccelerators);
        w.WriteNumber("rehomedJobs", workload.RehomedJobs);
        w.WriteNumber("clampedJobs", workload.ClampedJobs);
        w.WriteNumber("residencyJobs", workload.ResidencyJobs);
        w.WriteString("command", run.Command);
        w.WriteEndObject();

        w.WriteStartObject("policies");
        foreach (var s in summaries)
        {
            w.WriteStartObject(s.Name);
            Num(w, "meanWaitS", s.MeanWaitS);
            Num(w, "p50WaitS", s.P50WaitS);
            Num(w, "p95WaitS", s.P95WaitS);
            Num(w, "p99WaitS", s.P99WaitS);
            Num(w, "meanJctS", s.MeanJctS);
            w.WriteStartObject("utilization");
            foreach (var (id, u) in s.Utilization)
            {
                Num(w, id, u);
            }

            w.WriteEndObject();
            w.WriteNumber("overflowJobs", s.OverflowJobs);
            Num(w, "dataMovedTB", s.DataMovedTB);
            w.WriteNumber("violations", s.Violations);
            Num(w, "gapClosure", s.GapClosure);
            w.WriteNumber("unfinishedJobs", s.UnfinishedJobs);
            w.WriteNumber("rebalanceMoves", s.RebalanceMoves);
            w.WriteNumber("preemptions", s.Preemptions);
            w.WriteStartObject("preemptionsByRegion");
            foreach (var (id, n) in s.PreemptionsByRegion)
            {
                w.WriteNumber(id, n);
            }

            w.WriteEndObject();
            w.WriteStartObject("homeRegions");
            foreach (var h in s.HomeRegions)
            {
                w.WriteStartObject(h.Region);
                w.WriteNumber("jobs", h.Jobs);
                Num(w, "meanWaitS", h.MeanWaitS);
                Num(w, "p95WaitS", h.P95WaitS);
                Num(w, "meanWaitVsIsolatedS", h.MeanDiffS);
                Num(w, "meanWaitVsIsolatedPct", h.MeanDiffPct);
                w.WriteEndObject();
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static void WriteJobs(TextWriter w, Workload workload, PolicyResult result)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(result);
        var inv = CultureInfo.InvariantCulture;
        w.WriteLine("job_id,home_region,region,pool_type,gpus,submit_s,start_s,end_s,wait_s,dataset_gb,data_moved_gb,moves,external,preemptions");
        var jobs = workload.Jobs;
        var homes = workload.Megaregion.Regions;
        var regions = result.Megaregion.Regions;
        for (var j = 0; j < jobs.Length; j++)
        {
            var job = jobs[j];
            var r = result.Region[j];
            w.Write(job.Spec.Id);
            w.Write(',');
            w.Write(homes[job.Home].Id);
            w.Write(',');
            if (r < 0)
            {
                w.Write(string.Create(inv, $",,{job.Spec.AcceleratorCount},{job.SubmitS:0.###},,,,{job.Spec.DatasetSizeGb:0.###},{result.DataMovedGb[j]:0.###},{result.Moves[j]},,{result.Preemptions[j]}"));
                w.WriteLine();
                continue;
            }

            w.Write(regions[r].Id);
            w.Write(',');
            w.Write(regions[r].Pools[result.Pool[j]].Type);
            w.Write(string.Create(inv, $",{job.Spec.AcceleratorCount},{job.SubmitS:0.###},{result.StartS[j]:0.###},{result.EndS[j]:0.###},{result.StartS[j] - job.SubmitS + result.SuspendedS[j]:0.###},{job.Spec.DatasetSizeGb:0.###},{result.DataMovedGb[j]:0.###},{result.Moves[j]},{(result.External[j] ? 1 : 0)},{result.Preemptions[j]}"));
            w.WriteLine();
        }
    }

    /// <summary>
    /// The HTML report's one stylesheet, inline so the report is one self-contained file. Constant, so a page that shows
    /// the report under a strict Content-Security-Policy can allow exactly it by its hash (the web console does).
    /// </summary>
    public const string Stylesheet =
        "body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}table{border-collapse:collapse;margin:1em 0}"
        + "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}"
        + "svg{background:#fff;border:1px solid #ddd;margin:0.5em 0}.note{color:#555;font-size:0.9em}h2{margin-top:1.6em}";

    public static void WriteHtml(TextWriter w, Workload workload, RunInfo run, IReadOnlyList<PolicySummary> summaries, IReadOnlyList<PolicyResult> results)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(summaries);
        ArgumentNullException.ThrowIfNull(results);
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Megaregion what-if report</title><style>")
          .Append(Stylesheet)
          .Append("</style></head><body>");
        sb.Append("<h1>Megaregion what-if: policy comparison</h1>");
        sb.Append(inv, $"<p class=\"note\">Trace <code>{E(run.Trace)}</code>, {run.Jobs:N0} jobs; megaregion <code>{E(run.Megaregion)}</code>; seed {run.Seed}; load scale {run.LoadScale}; duration estimates × {run.EstimateFactor}; reclaim {(run.Reclaim ? "on" : "off")}; capacity {E(workload.CapacityMode)}. ");
        sb.Append(inv, $"Total accelerators {workload.Megaregion.TotalAccelerators:N0} (");
        var first = true;
        foreach (var r in workload.Megaregion.Regions)
        {
            sb.Append(inv, $"{(first ? "" : ", ")}{E(r.Id)} {r.TotalAccelerators:N0}");
            first = false;
        }

        sb.Append(inv, $"). Re-homed jobs {workload.RehomedJobs}, clamped jobs {workload.ClampedJobs}, home-only (residency) jobs {workload.ResidencyJobs}.</p>");
        sb.Append(inv, $"<p class=\"note\">Command: <code>{E(run.Command)}</code></p>");

        sb.Append("<h2>Summary</h2><table><tr><th>policy</th><th>mean wait (h)</th><th>p50 (s)</th><th>p95 (h)</th><th>p99 (h)</th><th>mean JCT (h)</th><th>overflow jobs</th><th>data moved (TB)</th><th>violations</th><th>gap closure</th></tr>");
        foreach (var s in summaries)
        {
            sb.Append(inv, $"<tr><td>{E(s.Name)}</td><td>{s.MeanWaitS / 3600:F3}</td><td>{s.P50WaitS:F0}</td><td>{s.P95WaitS / 3600:F2}</td><td>{s.P99WaitS / 3600:F2}</td><td>{s.MeanJctS / 3600:F2}</td><td>{s.OverflowJobs:N0}</td><td>{s.DataMovedTB:F1}</td><td>{s.Violations}</td><td>{(double.IsNaN(s.GapClosure) ? "–" : s.GapClosure.ToString("F3", inv))}</td></tr>");
        }

        sb.Append("</table>");
        sb.Append("<p class=\"note\">Wait = start − submission, including any dataset transfer. Gap closure = (isolated − policy) / (isolated − pooled) on mean wait.</p>");

        AppendHomeRegions(sb, summaries);

        sb.Append("<h2>Queueing delay CDF</h2>");
        AppendCdf(sb, summaries);

        sb.Append("<h2>Utilization over time per region</h2><p class=\"note\">Busy accelerators / accelerators per region, in ")
          .Append(results.Count > 0 ? results[0].BusyAcceleratorS[0].Length.ToString(inv) : "0")
          .Append(" buckets over the trace's submission span.</p>");
        foreach (var r in results)
        {
            AppendUtilization(sb, r);
        }

        sb.Append("<h2>Overflow flows between regions</h2><p class=\"note\">Jobs by home region (row) and the region they ran in (column); arrows between regions are drawn with width proportional to the jobs that moved.</p>");
        for (var i = 0; i < summaries.Count; i++)
        {
            if (results[i].Policy is SimPolicy.Pooled or SimPolicy.Isolated)
            {
                continue;
            }

            AppendFlows(sb, summaries[i], workload);
        }

        sb.Append("</body></html>");
        w.Write(sb.ToString());
    }

    /// <summary>Per home region: mean and p95 wait per policy and the difference against isolated (what lenders pay).</summary>
    private static void AppendHomeRegions(StringBuilder sb, IReadOnlyList<PolicySummary> summaries)
    {
        var inv = CultureInfo.InvariantCulture;
        sb.Append("<h2>Wait by home region</h2><table><tr><th>policy</th><th>home region</th><th>jobs</th><th>mean wait (s)</th><th>p95 (s)</th><th>vs isolated (s)</th><th>vs isolated (%)</th><th>preempted here</th></tr>");
        foreach (var s in summaries)
        {
            foreach (var h in s.HomeRegions)
            {
                var preempted = 0;
                foreach (var (id, n) in s.PreemptionsByRegion)
                {
                    if (id == h.Region)
                    {
                        preempted = n;
                    }
                }

                sb.Append(inv, $"<tr><td>{E(s.Name)}</td><td>{E(h.Region)}</td><td>{h.Jobs:N0}</td><td>{h.MeanWaitS:F0}</td><td>{h.P95WaitS:F0}</td><td>{(double.IsNaN(h.MeanDiffS) ? "–" : h.MeanDiffS.ToString("+0;−0;0", inv))}</td><td>{(double.IsNaN(h.MeanDiffPct) ? "–" : h.MeanDiffPct.ToString("+0.0;−0.0;0.0", inv))}</td><td>{preempted:N0}</td></tr>");
            }
        }

        sb.Append("</table><p class=\"note\">Jobs by the region they were submitted in, wherever they ran. A lender's difference is its own jobs' mean wait minus the same jobs' mean wait under isolated; \"preempted here\" counts lent jobs the region took its accelerators back from.</p>");
    }

    private static void AppendCdf(StringBuilder sb, IReadOnlyList<PolicySummary> summaries)
    {
        var inv = CultureInfo.InvariantCulture;
        const double W = 900, H = 420, L = 60, R = 200, T = 20, B = 50;
        var maxWait = 1.0;
        foreach (var s in summaries)
        {
            if (s.SortedWaitsS.Length > 0)
            {
                maxWait = Math.Max(maxWait, s.SortedWaitsS[^1]);
            }
        }

        var decades = Math.Max(1, (int)Math.Ceiling(Math.Log10(maxWait)));
        double X(double v) => L + ((W - L - R) * Math.Log10(Math.Max(1, v)) / decades);
        double Y(double f) => T + ((H - T - B) * (1 - f));
        sb.Append(inv, $"<svg width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"12\">");
        for (var d = 0; d <= decades; d++)
        {
            var x = X(Math.Pow(10, d));
            sb.Append(inv, $"<line x1=\"{x:F1}\" y1=\"{T}\" x2=\"{x:F1}\" y2=\"{H - B}\" stroke=\"#eee\"/><text x=\"{x:F1}\" y=\"{H - B + 16}\" text-anchor=\"middle\">1e{d}</text>");
        }

        for (var k = 0; k <= 4; k++)
        {
            var y = Y(k / 4.0);
            sb.Append(inv, $"<line x1=\"{L}\" y1=\"{y:F1}\" x2=\"{W - R}\" y2=\"{y:F1}\" stroke=\"#eee\"/><text x=\"{L - 6}\" y=\"{y + 4:F1}\" text-anchor=\"end\">{k / 4.0:F2}</text>");
        }

        sb.Append(inv, $"<text x=\"{(L + W - R) / 2}\" y=\"{H - 10}\" text-anchor=\"middle\">queueing delay (s, log scale; waits under 1 s drawn at 1 s)</text>");
        sb.Append(inv, $"<text x=\"14\" y=\"{(T + H - B) / 2}\" transform=\"rotate(-90 14 {(T + H - B) / 2})\" text-anchor=\"middle\">fraction of jobs</text>");
        for (var i = 0; i < summaries.Count; i++)
        {
            var s = summaries[i];
            var c = Colors[i % Colors.Length];
            var pts = new StringBuilder();
            var n = s.SortedWaitsS.Length;
            const int Steps = 300;
            for (var k = 0; k <= Steps && n > 0; k++)
            {
                var f = k / (double)Steps;
                var v = s.SortedWaitsS[Math.Min(n - 1, (int)(f * (n - 1)))];
                pts.Append(inv, $"{X(v):F1},{Y(f):F1} ");
            }

            sb.Append(inv, $"<polyline fill=\"none\" stroke=\"{c}\" stroke-width=\"2\" points=\"{pts}\"/>");
            sb.Append(inv, $"<line x1=\"{W - R + 15}\" y1=\"{T + 10 + (i * 20)}\" x2=\"{W - R + 40}\" y2=\"{T + 10 + (i * 20)}\" stroke=\"{c}\" stroke-width=\"3\"/><text x=\"{W - R + 46}\" y=\"{T + 14 + (i * 20)}\">{E(s.Name)}</text>");
        }

        sb.Append("</svg>");
    }

    private static void AppendUtilization(StringBuilder sb, PolicyResult r)
    {
        var inv = CultureInfo.InvariantCulture;
        const double W = 900, H = 220, L = 60, R = 200, T = 24, B = 36;
        var buckets = r.BusyAcceleratorS[0].Length;
        var days = buckets * r.BucketS / 86400.0;
        sb.Append(inv, $"<svg width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"12\">");
        sb.Append(inv, $"<text x=\"{L}\" y=\"16\" font-weight=\"bold\">{E(SimPolicies.Name(r.Policy))}</text>");
        for (var k = 0; k <= 4; k++)
        {
            var y = T + ((H - T - B) * (1 - (k / 4.0)));
            sb.Append(inv, $"<line x1=\"{L}\" y1=\"{y:F1}\" x2=\"{W - R}\" y2=\"{y:F1}\" stroke=\"#eee\"/><text x=\"{L - 6}\" y=\"{y + 4:F1}\" text-anchor=\"end\">{k * 25}%</text>");
        }

        sb.Append(inv, $"<text x=\"{(L + W - R) / 2}\" y=\"{H - 6}\" text-anchor=\"middle\">simulated time (0 to {days:F1} days)</text>");
        for (var g = 0; g < r.Megaregion.Regions.Length; g++)
        {
            var cap = (double)r.Megaregion.Regions[g].TotalAccelerators;
            var c = Colors[(g + 3) % Colors.Length];
            var pts = new StringBuilder();
            for (var b = 0; b < buckets; b++)
            {
                var u = Math.Clamp(r.BusyAcceleratorS[g][b] / (cap * r.BucketS), 0, 1);
                var x = L + ((W - L - R) * (b + 0.5) / buckets);
                var y = T + ((H - T - B) * (1 - u));
                pts.Append(inv, $"{x:F1},{y:F1} ");
            }

            sb.Append(inv, $"<polyline fill=\"none\" stroke=\"{c}\" stroke-width=\"1.5\" points=\"{pts}\"/>");
            sb.Append(inv, $"<line x1=\"{W - R + 15}\" y1=\"{T + 10 + (g * 18)}\" x2=\"{W - R + 40}\" y2=\"{T + 10 + (g * 18)}\" stroke=\"{c}\" stroke-width=\"3\"/><text x=\"{W - R + 46}\" y=\"{T + 14 + (g * 18)}\">{E(r.Megaregion.Regions[g].Id)}</text>");
        }

        sb.Append("</svg>");
    }

    private static void AppendFlows(StringBuilder sb, PolicySummary s, Workload workload)
    {
        var inv = CultureInfo.InvariantCulture;
        var regions = workload.Megaregion.Regions;
        var n = regions.Length;
        sb.Append(inv, $"<h3>{E(s.Name)}</h3><table><tr><th>home \\ ran in</th>");
        foreach (var r in regions)
        {
            sb.Append(inv, $"<th>{E(r.Id)}</th>");
        }

        sb.Append("</tr>");
        var max = 1;
        for (var a = 0; a < n; a++)
        {
            sb.Append(inv, $"<tr><td>{E(regions[a].Id)}</td>");
            for (var b = 0; b < n; b++)
            {
                sb.Append(inv, $"<td>{s.Flows[a, b]:N0}</td>");
                if (a != b)
                {
                    max = Math.Max(max, s.Flows[a, b]);
                }
            }

            sb.Append("</tr>");
        }

        sb.Append("</table>");
        const double W = 520, H = 420, Cx = 260, Cy = 210, Rad = 150;
        sb.Append(inv, $"<svg width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"13\">");
        sb.Append("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"4\" markerHeight=\"4\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#1f77b4\"/></marker></defs>");
        for (var a = 0; a < n; a++)
        {
            for (var b = 0; b < n; b++)
            {
                if (a == b || s.Flows[a, b] == 0)
                {
                    continue;
                }

                var (x1, y1) = Node(a, n, Cx, Cy, Rad);
                var (x2, y2) = Node(b, n, Cx, Cy, Rad);

                // Offset each direction sideways so a→b and b→a do not overlap.
                var dx = x2 - x1;
                var dy = y2 - y1;
                var len = Math.Sqrt((dx * dx) + (dy * dy));
                var ox = -dy / len * 6;
                var oy = dx / len * 6;
                var shrink = 34 / len;
                var width = 1 + (10.0 * s.Flows[a, b] / max);
                sb.Append(inv, $"<line x1=\"{x1 + (dx * shrink) + ox:F1}\" y1=\"{y1 + (dy * shrink) + oy:F1}\" x2=\"{x2 - (dx * shrink) + ox:F1}\" y2=\"{y2 - (dy * shrink) + oy:F1}\" stroke=\"#1f77b4\" stroke-opacity=\"0.7\" stroke-width=\"{width:F1}\" marker-end=\"url(#arrow)\"><title>{E(regions[a].Id)} → {E(regions[b].Id)}: {s.Flows[a, b]:N0} jobs</title></line>");
                sb.Append(inv, $"<text x=\"{((x1 + x2) / 2) + (ox * 3):F1}\" y=\"{((y1 + y2) / 2) + (oy * 3):F1}\" text-anchor=\"middle\" fill=\"#1f77b4\">{s.Flows[a, b]:N0}</text>");
            }
        }

        for (var a = 0; a < n; a++)
        {
            var (x, y) = Node(a, n, Cx, Cy, Rad);
            sb.Append(inv, $"<circle cx=\"{x:F1}\" cy=\"{y:F1}\" r=\"30\" fill=\"#f3f3f3\" stroke=\"#555\"/><text x=\"{x:F1}\" y=\"{y + 4:F1}\" text-anchor=\"middle\">{E(regions[a].Id)}</text>");
        }

        sb.Append("</svg>");
    }

    private static (double X, double Y) Node(int i, int n, double cx, double cy, double rad)
    {
        var angle = (2 * Math.PI * i / n) - (Math.PI / 2);
        return (cx + (rad * Math.Cos(angle)), cy + (rad * Math.Sin(angle)));
    }

    private static string E(string s) => WebUtility.HtmlEncode(s);

    private static void Num(Utf8JsonWriter w, string name, double v)
    {
        if (double.IsFinite(v))
        {
            w.WriteNumber(name, Math.Round(v, 6));
        }
        else
        {
            w.WriteNull(name);
        }
    }
}

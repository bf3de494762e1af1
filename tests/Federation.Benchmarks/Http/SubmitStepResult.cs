using System.Globalization;
using System.Text;

namespace Federation.Benchmarks.Http;

/// <summary>Percentiles of latencies in milliseconds (nearest rank).</summary>
internal sealed record LatencySummary(int Count, double P50, double P90, double P99, double P999, double Max)
{
    /// <summary>The summary of <paramref name="ms"/> (sorted in place), or null when it is empty.</summary>
    public static LatencySummary? Of(List<double> ms)
    {
        if (ms.Count == 0)
        {
            return null;
        }

        ms.Sort();
        double At(double q) => ms[Math.Min(ms.Count - 1, Math.Max(0, (int)Math.Ceiling(q * ms.Count) - 1))];
        return new LatencySummary(ms.Count, At(0.50), At(0.90), At(0.99), At(0.999), ms[^1]);
    }

    public static string Format(LatencySummary? s) => s is null
        ? "no successful requests"
        : string.Create(CultureInfo.InvariantCulture, $"p50 {s.P50:F2}  p90 {s.P90:F2}  p99 {s.P99:F2}  p99.9 {s.P999:F2}  max {s.Max:F2}");
}

/// <summary>What one target (server) of a step answered in the measured window.</summary>
internal sealed record TargetResult(Uri Uri, string? Region, int Sent, int Created, LatencySummary? FromSend, SortedDictionary<string, int> Errors);

/// <summary>
/// One fixed-rate step of <c>http-submit</c>: the submissions of its measured window (its warm-up excluded), their
/// latencies, the answers that were not 201 Created by status, the split over the targets, and where the CPU went.
/// </summary>
internal sealed record SubmitStepResult
{
    public required double Rate { get; init; }

    /// <summary>Submissions whose intended send fell in the measured window.</summary>
    public required int Measured { get; init; }

    /// <summary>Of those, answered 201 Created: placed (running or queued in a region) and durably stored.</summary>
    public required int Created { get; init; }

    /// <summary>Submissions of the measured window never sent (the run was cancelled).</summary>
    public required int NotSent { get; init; }

    /// <summary>From the first intended send of the measured window to the last answer.</summary>
    public required double WindowSeconds { get; init; }

    /// <summary>The first intended send of the measured window, UTC.</summary>
    public required DateTime WindowStart { get; init; }

    public required LatencySummary? FromSend { get; init; }

    public required LatencySummary? FromIntended { get; init; }

    /// <summary>The seconds of the window (from its start) holding most of the answers slower than the p99 from send.</summary>
    public required (int Second, int Count, double MaxMs)[] TailSeconds { get; init; }

    /// <summary>Answers other than 201 in the measured window by status ("connection" for a transport error).</summary>
    public required SortedDictionary<string, int> Errors { get; init; }

    /// <summary>The first answer body (or exception message) of each status in <see cref="Errors"/>.</summary>
    public required Dictionary<string, string> FirstErrors { get; init; }

    public required int WarmupFailures { get; init; }

    public required TargetResult[] Targets { get; init; }

    /// <summary>The whole machine's CPU over the window, % of one core; null without <c>/proc</c>.</summary>
    public double? MachineCpu { get; init; }

    /// <summary>The CPU of PostgreSQL's processes over the window, % of one core; null without <c>/proc</c>.</summary>
    public double? PostgresCpu { get; init; }

    /// <summary>Each server process's CPU over the window, % of one core, with its pid.</summary>
    public required (int Pid, double Cpu)[] ServerCpu { get; init; }

    /// <summary>This process's CPU over the window, % of one core.</summary>
    public double GeneratorCpu { get; init; }

    /// <summary>The load generator's own figures (GC, CPU, thread pool) over the window, labelled with what runs in its process.</summary>
    public required string Stalls { get; init; }

    /// <summary>Placements per second: 201 answers over the measured window.</summary>
    public double Achieved => Created / WindowSeconds;

    public int Failed => Measured - Created - NotSent;

    /// <summary>
    /// Whether the step kept up within a p99 target: every submission of the window placed, at 97 % of the rate or
    /// more, with p99 from the intended send (which counts any queueing behind a slow server) at most
    /// <paramref name="p99Ms"/>.
    /// </summary>
    public bool Meets(double p99Ms) =>
        Failed == 0 && NotSent == 0 && Achieved >= 0.97 * Rate && FromIntended is { } l && l.P99 <= p99Ms;

    public string ErrorsText()
    {
        if (Errors.Count == 0)
        {
            return "none";
        }

        var text = new StringBuilder();
        foreach (var (status, count) in Errors)
        {
            text.Append(text.Length == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"{status} x{count}");
        }

        return text.ToString();
    }

    public void Print(TextWriter output)
    {
        var i = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(i, $"requests measured: {Measured}; 201 Created {Created}, failed {Failed}{(NotSent > 0 ? $", not sent {NotSent}" : "")} ({WarmupFailures} failed in the warm-up); achieved {Achieved:F0} placements/s (201 answers per second) of {Rate:F0}/s asked"));
        output.WriteLine($"errors by status: {ErrorsText()}");
        foreach (var (status, body) in FirstErrors)
        {
            output.WriteLine($"  first {status}: {Shorten(body)}");
        }

        output.WriteLine($"latency from send (ms):            {LatencySummary.Format(FromSend)}");
        output.WriteLine($"latency from intended send (ms):   {LatencySummary.Format(FromIntended)}");
        if (TailSeconds.Length > 0)
        {
            var slow = Math.Max(1, Created - (int)Math.Ceiling(0.99 * Created));
            output.WriteLine(string.Create(i, $"answers slower than p99 from send ({slow} or so), most in seconds of the window (from {WindowStart:HH:mm:ss.f} UTC): {string.Join(", ", TailSeconds.Select(t => string.Create(i, $"{t.Second} s: {t.Count} (max {t.MaxMs:F0} ms)")))}"));
        }
        if (Targets.Length > 1)
        {
            output.WriteLine("per target (latency from send, ms):");
            foreach (var t in Targets)
            {
                var latency = t.FromSend is { } l ? string.Create(i, $"p50 {l.P50:F2}  p99 {l.P99:F2}  max {l.Max:F2}") : "no successful requests";
                var errors = t.Errors.Count == 0 ? "none" : string.Join(", ", t.Errors.Select(e => $"{e.Key} x{e.Value}"));
                output.WriteLine(string.Create(i, $"  {t.Uri.Authority,-21}{(t.Region is null ? "" : $" {t.Region,-10}")} sent {t.Sent,7}  201 {t.Created,7} ({t.Created / WindowSeconds,6:F0}/s)  {latency}  errors: {errors}"));
            }
        }

        if (ServerCpu.Length > 0)
        {
            var total = ServerCpu.Sum(s => s.Cpu);
            var each = string.Join(" + ", ServerCpu.Select(s => string.Create(i, $"{s.Cpu:F0} (pid {s.Pid})")));
            output.WriteLine(string.Create(i, $"server processes: CPU {(ServerCpu.Length > 1 ? each + " = " : "")}{total:F0} % of one core, {total * 10_000 * WindowSeconds / Math.Max(1, Measured):F0} us per request"));
        }

        if (MachineCpu is { } machine)
        {
            // Whatever the servers, PostgreSQL and this process did not use went to other processes or the kernel.
            var servers = ServerCpu.Sum(s => s.Cpu);
            var rest = machine - servers - (PostgresCpu ?? 0) - GeneratorCpu;
            output.WriteLine(string.Create(i, $"machine: CPU busy {machine:F0} % of one core ({Environment.ProcessorCount * 100} % = every core): server processes {servers:F0} %, PostgreSQL's processes {PostgresCpu:F0} %, this process {GeneratorCpu:F0} %, everything else {rest:F0} %"));
        }

        output.WriteLine(Stalls);
    }

    private static string Shorten(string text)
    {
        text = text.ReplaceLineEndings(" ");
        return text.Length <= 400 ? text : text[..400] + "…";
    }
}

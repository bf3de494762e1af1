using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Federation.Contracts;
using Federation.Scheduling;

namespace Federation.Server.Api;

/// <summary>
/// A job as the API shows it, rendered from the facts its grain returns (<see cref="JobSnapshot"/>), here and nowhere
/// else: the reason for its placement (every candidate's expected start, transfer and penalty, or what excluded it), the
/// explanation, and the messages of the common history events. Grains keep numbers only
/// (<see cref="PlacementDecision"/>): most placements are never read in words.
/// </summary>
public static class JobViews
{
    /// <summary>Largest builder kept for the next reason on the thread (a reason is ~500 characters).</summary>
    private const int MaxCachedBuilder = 4096;

    // One builder per thread for the reasons it renders (every API answer about a job renders one).
    [ThreadStatic]
    private static StringBuilder? t_builder;

    /// <summary>The job with its words.</summary>
    public static JobView ToView(this JobSnapshot job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var r = job.Request;
        var entries = job.History.IsDefault ? [] : job.History;
        var history = ImmutableArray.CreateBuilder<JobEvent>(entries.Length);
        foreach (var e in entries)
        {
            var message = e.Message ?? Event(r, e, job.Placement);
            if (e.Residency is { } residency)
            {
                // The check that allowed the placement or move, as it was then (the audit reads it here).
                message = $"{message}; {ResidencyRules.Describe(residency.Class, residency.Regions)}";
            }

            history.Add(new JobEvent { At = e.At, Kind = e.Kind, Region = e.Region, Message = message, AcceleratorType = e.AcceleratorType, Residency = e.Residency });
        }

        return new JobView
        {
            Id = job.Id,
            Project = r.Project,
            Owner = r.Owner,
            HomeRegion = r.HomeRegion,
            Accelerators = r.Accelerators,
            DurationHours = r.DurationHours,
            Dataset = r.Dataset,
            AllowedRegions = r.AllowedRegions.IsDefault ? [] : r.AllowedRegions,
            Priority = r.Priority,
            State = job.State,
            Region = job.Region,
            Reason = job.Reason ?? (job.Placement is { } placement ? Reason(r, placement) : ""),
            Placement = job.Placement is { } p ? Explanation(p) : null,
            History = history.MoveToImmutable(),
            SubmittedAt = job.SubmittedAt,
            StartedAt = job.StartedAt,
            EndedAt = job.EndedAt,
            Run = r.Run,
            BackendJobId = job.BackendJobId,
            ExitCode = job.ExitCode,
            BackendReason = job.BackendReason,
        };
    }

    /// <summary>The reason for <paramref name="decision"/> in words.</summary>
    private static string Reason(JobRequest request, PlacementDecision decision)
    {
        var candidates = decision.Candidates.IsDefault ? [] : decision.Candidates;
        var sb = t_builder ?? new StringBuilder(512);
        t_builder = null;
        var chosen = IndexOf(candidates, decision.ChosenRegion);
        if (decision.Note is { } note)
        {
            sb.Append(note).Append(". ");
        }

        if (chosen < 0)
        {
            sb.Append("no region can run the job: ");
        }
        else
        {
            AppendVerdict(sb, request, candidates, chosen);
            sb.Append("Candidates: ");
        }

        sb.Append(chosen >= 0 ? "placed in " : "no feasible region");
        if (chosen >= 0)
        {
            sb.Append(candidates[chosen].Region);
        }

        foreach (var c in candidates)
        {
            Placement.AppendCandidate(
                sb,
                c.Region,
                c.ExcludedBecause,
                c.ExpectedStartDelaySeconds ?? double.NaN,
                c.NotUsedBecause is null ? (c.ExpectedStartDelaySeconds ?? double.PositiveInfinity) + c.PenaltySeconds : double.PositiveInfinity,
                c.TransferSeconds,
                c.PenaltySeconds);
        }

        foreach (var c in candidates)
        {
            if (c.NotUsedBecause is { } why && c.ExcludedBecause is null)
            {
                sb.Append("; ").Append(c.Region).Append(" not used (").Append(why).Append(')');
            }
        }

        var reason = sb.ToString();
        if (sb.Capacity <= MaxCachedBuilder)
        {
            t_builder = sb.Clear();
        }

        return reason;
    }

    /// <summary>The decision as the API shows it: one <see cref="CandidateRegion"/> per region.</summary>
    private static PlacementExplanation Explanation(PlacementDecision decision)
    {
        var source = decision.Candidates.IsDefault ? [] : decision.Candidates;
        var candidates = ImmutableArray.CreateBuilder<CandidateRegion>(source.Length);
        foreach (var c in source)
        {
            candidates.Add(new CandidateRegion
            {
                Region = c.Region,
                Eligible = c.Eligible,
                ExcludedBecause = c.ExcludedBecause ?? c.NotUsedBecause ?? (c.Eligible ? null : "not feasible"),
                ExpectedStartDelaySeconds = c.ExpectedStartDelaySeconds,
                TransferSeconds = double.IsInfinity(c.TransferSeconds) ? -1 : c.TransferSeconds,
                PenaltySeconds = c.PenaltySeconds,
                Score = c.Score,
            });
        }

        return new PlacementExplanation
        {
            Policy = decision.Policy,
            ChosenRegion = decision.ChosenRegion,
            Candidates = candidates.MoveToImmutable(),
            Note = decision.Note,
        };
    }

    /// <summary>The message of an event kept without one (see <see cref="JobHistoryEntry.Message"/>).</summary>
    private static string Event(JobRequest request, JobHistoryEntry e, PlacementDecision? decision) => e.Kind switch
    {
        JobEventKinds.Submitted => $"submitted by {request.Owner} for project {request.Project}",
        JobEventKinds.Overflowed => $"overflow from {request.HomeRegion} to {e.Region}{Transfer(e.TransferSeconds)}",
        JobEventKinds.Queued or JobEventKinds.Requeued => $"queued in {e.Region}{Transfer(e.TransferSeconds)}",
        JobEventKinds.Started => $"started in {e.Region}",
        JobEventKinds.Failed when decision is not null => Reason(request, decision),
        _ => e.Kind.ToLowerInvariant(),
    };

    private static string Transfer(double seconds) =>
        seconds > 0 ? string.Create(CultureInfo.InvariantCulture, $", {seconds:F1} s of data transfer") : "";

    /// <summary>"placed in R: expected start in N s, ... " or "overflow from H to R: expected start in N s there vs M s in H, ... ".</summary>
    private static void AppendVerdict(StringBuilder sb, JobRequest request, ImmutableArray<RegionScore> candidates, int chosen)
    {
        var s = candidates[chosen];
        var home = IndexOf(candidates, request.HomeRegion);
        var start = s.ExpectedStartDelaySeconds ?? double.PositiveInfinity;
        if (chosen != home && home >= 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"overflow from {request.HomeRegion} to {s.Region}: expected start in {start:F0} s there");
            var homeScore = candidates[home];
            if (homeScore.ExcludedBecause is { } excluded)
            {
                sb.Append(", ").Append(request.HomeRegion).Append(" excluded (").Append(excluded).Append(')');
            }
            else if (homeScore.ExpectedStartDelaySeconds is { } homeStart)
            {
                sb.Append(CultureInfo.InvariantCulture, $" vs {homeStart:F0} s in {request.HomeRegion}");
            }

            AppendTransfer(sb, request, s.TransferSeconds, ", no data to move. ");
        }
        else
        {
            sb.Append(CultureInfo.InvariantCulture, $"placed in {s.Region}: expected start in {start:F0} s");
            AppendTransfer(sb, request, s.TransferSeconds, ". ");
        }
    }

    private static void AppendTransfer(StringBuilder sb, JobRequest request, double transferS, string none)
    {
        if (transferS > 0)
        {
            var dataset = request.Dataset;
            var from = string.IsNullOrEmpty(dataset?.Region) ? request.HomeRegion : dataset.Region;
            sb.Append(CultureInfo.InvariantCulture, $", counting {transferS:F1} s to move {dataset?.SizeGb ?? 0:0.##} GB of data from {from}. ");
        }
        else
        {
            sb.Append(none);
        }
    }

    private static int IndexOf(ImmutableArray<RegionScore> candidates, string? region)
    {
        if (region is null)
        {
            return -1;
        }

        for (var i = 0; i < candidates.Length; i++)
        {
            if (string.Equals(candidates[i].Region, region, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}

using System.Collections.Immutable;
using System.Globalization;

namespace Federation.Scheduling;

/// <summary>
/// One allocation of a project (issue 16): accelerator-hours of one class (an accelerator type, or
/// <see cref="AllocationRules.AnyClass"/>) for one term (short, mid, long), usable from <paramref name="From"/> until
/// <paramref name="Until"/>. <paramref name="ReturnedHours"/> the project gave back; they can no longer be used.
/// </summary>
public sealed record AllocationGrant(string Term, string Class, double AcceleratorHours, DateTimeOffset From, DateTimeOffset Until, double ReturnedHours)
{
    /// <summary>Whether the period holds <paramref name="at"/> (from inclusive, until exclusive).</summary>
    public bool IsCurrent(DateTimeOffset at) => From <= at && at < Until;
}

/// <summary>One stretch of a project's job running: <paramref name="Count"/> accelerators of <paramref name="Type"/>.</summary>
public readonly record struct RunSpan(string JobId, string Type, int Count, DateTimeOffset Start, DateTimeOffset End);

/// <summary>What a job's project allocation says of it when it is placed.</summary>
public enum AllocationStanding
{
    /// <summary>The project has no allocation at all (and allocations are not required): scheduled as before allocations.</summary>
    Unmanaged,

    /// <summary>The project has hours left in a current allocation that covers the job.</summary>
    Allocated,

    /// <summary>The project has allocations, but none current that covers the job has hours left: spare capacity only.</summary>
    OverAllocation,
}

/// <summary>
/// How runs are charged to allocations, and what a project's allocations make of a job. Pure, so the project grain, the
/// API and the tests compute the same thing.
/// <list type="bullet">
/// <item>A run is cut at every allocation's period boundary; the pieces are charged in time order (then by job id), each
/// to the allocations whose period holds it and whose class covers its type (the type's own class first, then
/// <c>any</c>; short, then mid, then long), each up to the hours it has left (granted − returned − used). What no
/// allocation takes is unallocated usage.</item>
/// <item>An allocation of a type covers a job that accepts only that type; <c>any</c> covers every job.</item>
/// </list>
/// </summary>
public static class AllocationCharging
{
    /// <summary>The used hours of each grant (same order as <paramref name="grants"/>) and the unallocated hours.</summary>
    public static double[] Charge(IReadOnlyList<AllocationGrant> grants, IReadOnlyList<RunSpan> runs, out double unallocatedHours)
    {
        ArgumentNullException.ThrowIfNull(grants);
        ArgumentNullException.ThrowIfNull(runs);
        var used = new double[grants.Count];
        unallocatedHours = 0;
        var cuts = new SortedSet<DateTimeOffset>();
        foreach (var g in grants)
        {
            cuts.Add(g.From);
            cuts.Add(g.Until);
        }

        var pieces = new List<RunSpan>(runs.Count);
        foreach (var r in runs)
        {
            if (r.End <= r.Start || r.Count <= 0)
            {
                continue;
            }

            var start = r.Start;
            foreach (var cut in cuts.GetViewBetween(r.Start, r.End))
            {
                if (cut > start && cut < r.End)
                {
                    pieces.Add(r with { Start = start, End = cut });
                    start = cut;
                }
            }

            pieces.Add(r with { Start = start, End = r.End });
        }

        pieces.Sort(static (a, b) =>
        {
            var c = a.Start.CompareTo(b.Start);
            return c != 0 ? c : string.CompareOrdinal(a.JobId, b.JobId);
        });

        var order = new List<int>(grants.Count);
        foreach (var piece in pieces)
        {
            var hours = (double)((Int128)piece.Count * (piece.End - piece.Start).Ticks) / TimeSpan.TicksPerHour;
            Order(grants, piece.Type, null, order);
            foreach (var i in order)
            {
                if (hours <= 0)
                {
                    break;
                }

                var g = grants[i];
                if (!(g.From <= piece.Start && piece.End <= g.Until))
                {
                    continue;
                }

                var charge = Math.Min(hours, Left(g, used[i]));
                if (charge > 0)
                {
                    used[i] += charge;
                    hours -= charge;
                }
            }

            unallocatedHours += hours;
        }

        return used;
    }

    /// <summary>Hours of <paramref name="grant"/> still usable once <paramref name="used"/> are charged to it.</summary>
    public static double Left(AllocationGrant grant, double used)
    {
        ArgumentNullException.ThrowIfNull(grant);
        return Math.Max(0, grant.AcceleratorHours - grant.ReturnedHours - used);
    }

    /// <summary>
    /// The standing of a job accepting <paramref name="jobTypes"/> (empty: any type) at <paramref name="now"/>, and why in
    /// words ("over allocation: project kr-llm has 0 of 500 short-term H100 hours left").
    /// </summary>
    public static AllocationStanding StandingOf(
        string project, IReadOnlyList<AllocationGrant> grants, IReadOnlyList<double> used, ImmutableArray<string> jobTypes, DateTimeOffset now, bool requireAllocation, out string reason)
    {
        ArgumentNullException.ThrowIfNull(grants);
        ArgumentNullException.ThrowIfNull(used);
        if (grants.Count == 0)
        {
            if (requireAllocation)
            {
                reason = $"over allocation: project {project} has no allocation, and allocations are required";
                return AllocationStanding.OverAllocation;
            }

            reason = $"unmanaged: project {project} has no allocation";
            return AllocationStanding.Unmanaged;
        }

        // In charge order, without a list (a placement decides this): the job's only type, then 'any'; short, mid, long.
        var only = jobTypes.IsDefaultOrEmpty || !AllSame(jobTypes) ? null : jobTypes[0];
        var cited = -1;
        for (var c = 0; c < 2; c++)
        {
            var cls = c == 0 ? only : AllocationRules.AnyClass;
            if (cls is null)
            {
                continue;
            }

            foreach (var term in AllocationRules.Terms)
            {
                for (var i = 0; i < grants.Count; i++)
                {
                    var g = grants[i];
                    if (!string.Equals(g.Class, cls, StringComparison.Ordinal) || !string.Equals(g.Term, term, StringComparison.Ordinal) || !g.IsCurrent(now))
                    {
                        continue;
                    }

                    var left = Left(g, used[i]);
                    if (left > 0)
                    {
                        reason = $"allocated: project {project} has {Hours(left)} of {Hours(g.AcceleratorHours)} {g.Term}-term {ClassWords(g.Class)} hours left";
                        return AllocationStanding.Allocated;
                    }

                    if (cited < 0)
                    {
                        cited = i;
                    }
                }
            }
        }

        if (cited >= 0)
        {
            var g = grants[cited];
            reason = $"over allocation: project {project} has {Hours(Left(g, used[cited]))} of {Hours(g.AcceleratorHours)} {g.Term}-term {ClassWords(g.Class)} hours left";
        }
        else
        {
            reason = $"over allocation: project {project} has no current allocation for {(only is null ? "a job of any type" : only)}";
        }

        return AllocationStanding.OverAllocation;
    }

    /// <summary>
    /// The grants that may be charged for <paramref name="type"/> (null: a job of several or any types, which only
    /// <paramref name="onlyClass"/> covers), in charge order: the type's own class, then <c>any</c>; short, mid, long.
    /// </summary>
    private static void Order(IReadOnlyList<AllocationGrant> grants, string? type, string? onlyClass, List<int> into)
    {
        into.Clear();
        foreach (var cls in (ReadOnlySpan<string?>)[type, AllocationRules.AnyClass])
        {
            if (cls is null || (onlyClass is not null && !string.Equals(cls, onlyClass, StringComparison.Ordinal)))
            {
                continue;
            }

            foreach (var term in AllocationRules.Terms)
            {
                for (var i = 0; i < grants.Count; i++)
                {
                    if (string.Equals(grants[i].Class, cls, StringComparison.Ordinal) && string.Equals(grants[i].Term, term, StringComparison.Ordinal))
                    {
                        into.Add(i);
                    }
                }
            }

            if (string.Equals(cls, AllocationRules.AnyClass, StringComparison.Ordinal))
            {
                break;
            }
        }
    }

    private static bool AllSame(ImmutableArray<string> types)
    {
        foreach (var t in types)
        {
            if (!string.Equals(t, types[0], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static string ClassWords(string cls) => string.Equals(cls, AllocationRules.AnyClass, StringComparison.Ordinal) ? "accelerator" : cls;

    private static string Hours(double h) => h.ToString("0.###", CultureInfo.InvariantCulture);
}

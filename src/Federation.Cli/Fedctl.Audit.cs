using System.CommandLine;
using System.Globalization;
using Federation.Cli.Output;
using Federation.Contracts;

namespace Federation.Cli;

public static partial class Fedctl
{
    private static Command AuditCommand(CommandContext context)
    {
        var actor = new Option<string>("--actor") { Description = "Only changes made by this subject (or 'system')." };
        var region = new Option<string>("--region", "-r") { Description = "Only changes concerning this region (an operator's default: their only region)." };
        var target = new Option<string>("--target", "-t") { Description = "Only changes to this target, kind/id: job/00123, region/gwangju, project/p1, token/tok-…, residency/kr-only." };
        var action = new Option<string>("--action", "-a") { Description = "Only this action: job.submit, job.cancel, job.move, region.offer, region.drain, token.issue, token.revoke, residency.set, residency.delete, project.allocation, project.priority, project.return." };
        var limit = new Option<int?>("--limit", "-n") { Description = "Entries per page (1 to 1000; default 100)." };
        var before = new Option<long?>("--before") { Description = "Continue before this sequence (the previous page's 'next' line)." };
        var command = new Command("audit", "The audit table, newest first: who changed what, in which role, from where, and the target before and after.") { actor, region, target, action, limit, before };
        command.SetAction((parse, ct) => context.CallAsync(parse, async (client, json) =>
        {
            var query = new List<string>();
            AddQuery(query, "actor", parse.GetValue(actor));
            AddQuery(query, "region", parse.GetValue(region));
            AddQuery(query, "target", parse.GetValue(target));
            AddQuery(query, "action", parse.GetValue(action));
            AddQuery(query, "limit", parse.GetValue(limit)?.ToString(CultureInfo.InvariantCulture));
            AddQuery(query, "before", parse.GetValue(before)?.ToString(CultureInfo.InvariantCulture));
            var response = await client.GetAsync(WithQuery("api/audit", query), ct);
            if (json)
            {
                await context.Out.WriteLineAsync(Pretty(response.Body));
                return ExitOk;
            }

            var page = response.As<AuditPageView>();
            var o = context.Out;
            if (page.Entries.IsDefaultOrEmpty)
            {
                await o.WriteLineAsync("No audit entries match.");
                return ExitOk;
            }

            var table = new Table("SEQ", "AT", "ACTOR", "ROLE", "ACTION", "TARGET", "REGION", "FROM", "CHANGE");
            foreach (var e in page.Entries)
            {
                table.Add(e.Sequence.ToString(CultureInfo.InvariantCulture), Time(e.At), e.Actor, e.Role, e.Action, e.Target, e.Region ?? "-", e.Origin ?? "-", Change(e));
            }

            table.Write(o);
            if (page.NextBefore is { } next)
            {
                await o.WriteLineAsync($"next: fedctl audit --before {next.ToString(CultureInfo.InvariantCulture)}");
            }

            return ExitOk;
        }));
        return command;
    }

    /// <summary>An entry's change in one line: before → after, and why.</summary>
    private static string Change(AuditEntry entry)
    {
        var change = (entry.Before, entry.After) switch
        {
            (null, null) => "",
            (null, { } after) => after,
            ({ } before, null) => before + " -> (gone)",
            ({ } before, { } after) => before + " -> " + after,
        };
        return entry.Detail is null ? change : change.Length == 0 ? entry.Detail : change + " (" + entry.Detail + ")";
    }
}

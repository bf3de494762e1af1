using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Federation.Cli.Output;
using Federation.Contracts;

namespace Federation.Cli;

public static partial class Fedctl
{
    private static Command ProjectsCommand(CommandContext context)
    {
        var command = new Command("projects", "List the projects given an allocation: hours granted, used, returned and left, and their standing.");
        command.SetAction((parse, ct) => context.CallAsync(parse, async (client, json) =>
        {
            var response = await client.GetAsync("api/projects", ct);
            if (json)
            {
                await context.Out.WriteLineAsync(Pretty(response.Body));
                return ExitOk;
            }

            var table = new Table("PROJECT", "STANDING", "GRANTED", "USED", "RETURNED", "LEFT", "UNALLOCATED");
            foreach (var p in response.As<List<ProjectView>>())
            {
                table.Add(p.Id, p.Standing, Hours(p.Allocations.Sum(a => a.AcceleratorHours)), Hours(p.Allocations.Sum(a => a.UsedAcceleratorHours)),
                    Hours(p.Allocations.Sum(a => a.ReturnedAcceleratorHours)), Hours(p.Allocations.Sum(a => a.LeftAcceleratorHours)), Hours(p.UnallocatedAcceleratorHours));
            }

            table.Write(context.Out);
            return ExitOk;
        }));
        return command;
    }

    private static Command ProjectCommand(CommandContext context)
    {
        var id = new Argument<string>("id") { Description = "The project." };
        var show = new Command("show", "Show a project: its allocations per term and class, usage to now, returns and standing.") { id };
        show.SetAction((parse, ct) => context.CallAsync(parse, async (client, json) =>
        {
            await WriteProjectAsync(context, await client.GetAsync(ProjectPath(parse.GetValue(id)!), ct), json);
            return ExitOk;
        }));

        var allocateId = new Argument<string>("id") { Description = "The project." };
        var term = new Option<string>("--term") { Description = "short, mid or long.", Required = true };
        var cls = new Option<string>("--class") { Description = "An accelerator type (e.g. H100), or any.", DefaultValueFactory = _ => "any" };
        var hours = new Option<double>("--hours") { Description = "Accelerator-hours granted.", Required = true };
        var from = new Option<DateTimeOffset>("--from") { Description = "The term's first instant (ISO 8601).", Required = true };
        var until = new Option<DateTimeOffset>("--until") { Description = "The term's end (ISO 8601, exclusive).", Required = true };
        var region = new Option<string?>("--region") { Description = "The region whose hardware backs the allocation (returned hours become spare capacity there)." };
        var allocate = new Command("allocate", "Set or replace a project's allocation of one term and class.") { allocateId, term, cls, hours, from, until, region };
        allocate.SetAction((parse, ct) => context.CallAsync(parse, async (client, json) =>
        {
            var body = new JsonObject
            {
                ["acceleratorHours"] = parse.GetValue(hours),
                ["from"] = JsonValue.Create(parse.GetValue(from)),
                ["until"] = JsonValue.Create(parse.GetValue(until)),
                ["region"] = parse.GetValue(region),
            };
            var path = $"{ProjectPath(parse.GetValue(allocateId)!)}/allocations/{Uri.EscapeDataString(parse.GetValue(term)!)}/{Uri.EscapeDataString(parse.GetValue(cls)!)}";
            await WriteProjectAsync(context, await client.PutAsync(path, body, ct), json);
            return ExitOk;
        }));

        var returnId = new Argument<string>("id") { Description = "The project." };
        var returnTerm = new Option<string>("--term") { Description = "short, mid or long.", Required = true };
        var returnClass = new Option<string>("--class") { Description = "The allocation's class: an accelerator type, or any.", DefaultValueFactory = _ => "any" };
        var returnHours = new Option<double>("--hours") { Description = "Unused accelerator-hours to give back.", Required = true };
        var giveBack = new Command("return", "Give back unused hours of a project's allocation: they become spare capacity for the rest of the term.") { returnId, returnTerm, returnClass, returnHours };
        giveBack.SetAction((parse, ct) => context.CallAsync(parse, async (client, json) =>
        {
            var body = new JsonObject
            {
                ["term"] = parse.GetValue(returnTerm),
                ["class"] = parse.GetValue(returnClass),
                ["acceleratorHours"] = parse.GetValue(returnHours),
            };
            await WriteProjectAsync(context, await client.PostAsync(ProjectPath(parse.GetValue(returnId)!) + "/returns", body, ct), json);
            return ExitOk;
        }));

        var priorityId = new Argument<string>("id") { Description = "The project." };
        var priorityValue = new Argument<int>("priority") { Description = "From -1000 to 1000, higher runs first: the priority the project's jobs take when submitted without one." };
        var priority = new Command("priority", "Set a project's priority class (coordinators): its jobs submitted from then on take it.") { priorityId, priorityValue };
        priority.SetAction((parse, ct) => context.CallAsync(parse, async (client, json) =>
        {
            var body = new JsonObject { ["priority"] = parse.GetValue(priorityValue) };
            await WriteProjectAsync(context, await client.PutAsync(ProjectPath(parse.GetValue(priorityId)!) + "/priority", body, ct), json);
            return ExitOk;
        }));

        return new Command("project", "One project's allocations by term: show, allocate, return unused hours, set its priority class.") { show, allocate, giveBack, priority };
    }

    private static string ProjectPath(string id) => "api/projects/" + Uri.EscapeDataString(id);

    private static async Task WriteProjectAsync(CommandContext context, ApiResponse response, bool json)
    {
        if (json)
        {
            await context.Out.WriteLineAsync(Pretty(response.Body));
            return;
        }

        var p = response.As<ProjectView>();
        var o = context.Out;
        await o.WriteLineAsync($"Project:      {p.Id} (version {p.Version})");
        await o.WriteLineAsync($"Standing:     {p.StandingReason}");
        await o.WriteLineAsync($"Priority:     {p.Priority.ToString(CultureInfo.InvariantCulture)} (its jobs submitted without a priority take it)");
        await o.WriteLineAsync($"Used:         {Hours(p.UsedAcceleratorHours)} accelerator-hours to {Time(p.UsageAsOf)}, {Hours(p.UnallocatedAcceleratorHours)} of them unallocated");
        await o.WriteLineAsync();
        if (p.Allocations.IsDefaultOrEmpty)
        {
            await o.WriteLineAsync("No allocations.");
        }
        else
        {
            var table = new Table("TERM", "CLASS", "FROM", "UNTIL", "GRANTED", "USED", "RETURNED", "LEFT", "REGION", "CURRENT");
            foreach (var a in p.Allocations)
            {
                table.Add(a.Term, a.Class, Time(a.From), Time(a.Until), Hours(a.AcceleratorHours), Hours(a.UsedAcceleratorHours),
                    Hours(a.ReturnedAcceleratorHours), Hours(a.LeftAcceleratorHours), a.Region ?? "-", a.Current ? "yes" : "no");
            }

            table.Write(o);
        }

        if (!p.Returns.IsDefaultOrEmpty)
        {
            await o.WriteLineAsync();
            var returns = new Table("RETURNED AT", "TERM", "CLASS", "HOURS", "REGION", "ACCELERATORS LENT", "UNTIL");
            foreach (var r in p.Returns)
            {
                returns.Add(Time(r.At), r.Term, r.Class, Hours(r.AcceleratorHours), r.Region ?? "-", r.Accelerators.ToString(CultureInfo.InvariantCulture), Time(r.Until));
            }

            returns.Write(o);
        }
    }
}

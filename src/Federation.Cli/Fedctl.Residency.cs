using System.CommandLine;
using System.Text.Json.Nodes;
using Federation.Cli.Output;
using Federation.Contracts;

namespace Federation.Cli;

public static partial class Fedctl
{
    /// <summary><c>fedctl residency list|show|set|delete</c>: the data residency classes (setting and deleting is a coordinator's act).</summary>
    private static Command ResidencyCommand(CommandContext context)
    {
        var list = new Command("list", "Every residency class and the regions it allows.");
        list.SetAction((parse, ct) => context.CallAsync(parse, async (client, json) =>
        {
            var response = await client.GetAsync("api/residency", ct);
            if (json)
            {
                await context.Out.WriteLineAsync(Pretty(response.Body));
                return ExitOk;
            }

            var policy = response.As<ResidencyPolicyView>();
            if (policy.Classes.IsDefaultOrEmpty)
            {
                await context.Out.WriteLineAsync("No residency class is defined (fedctl residency set CLASS --region R ...).");
                return ExitOk;
            }

            var table = new Table("CLASS", "REGIONS", "VERSION");
            foreach (var c in policy.Classes)
            {
                table.Add(c.Name, string.Join(", ", c.Regions), c.Version.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            table.Write(context.Out);
            return ExitOk;
        }));

        var showName = ClassArgument();
        var show = new Command("show", "One residency class.") { showName };
        show.SetAction((parse, ct) => context.CallAsync(parse, async (client, json) =>
        {
            await WriteClassAsync(context, await client.GetAsync(ClassPath(parse.GetValue(showName)!), ct), json, "");
            return ExitOk;
        }));

        var setName = ClassArgument();
        var regions = new Option<string[]>("--region", "-r") { Description = "A region the class allows (repeat; at least one).", AllowMultipleArgumentsPerToken = false };
        var set = new Command("set", "Create or replace a residency class. Queued jobs of the class in regions it no longer allows are placed again within it; running jobs keep running.") { setName, regions };
        set.SetAction((parse, ct) => context.CallAsync(parse, async (client, json) =>
        {
            var body = new JsonObject { ["regions"] = new JsonArray((parse.GetValue(regions) ?? []).Select(static r => (JsonNode?)JsonValue.Create(r)).ToArray()) };
            var response = await client.PutAsync(ClassPath(parse.GetValue(setName)!), body, ct);
            await WriteClassAsync(context, response, json, response.Status == System.Net.HttpStatusCode.Created ? "Created " : "Set ");
            return ExitOk;
        }));

        var deleteName = ClassArgument();
        var delete = new Command("delete", "Delete a residency class no unfinished job carries.") { deleteName };
        delete.SetAction((parse, ct) => context.CallAsync(parse, async (client, json) =>
        {
            await WriteClassAsync(context, await client.DeleteAsync(ClassPath(parse.GetValue(deleteName)!), ct), json, "Deleted ");
            return ExitOk;
        }));

        return new Command("residency", "Data residency classes: the regions a job whose dataset carries one may run in.") { list, show, set, delete };
    }

    private static Argument<string> ClassArgument() => new("class") { Description = "The class name (lower-case letters, digits and '-'), e.g. kr-health." };

    private static string ClassPath(string name) => "api/residency/" + Uri.EscapeDataString(name);

    private static async Task WriteClassAsync(CommandContext context, ApiResponse response, bool json, string verb)
    {
        if (json)
        {
            await context.Out.WriteLineAsync(Pretty(response.Body));
            return;
        }

        var c = response.As<ResidencyClassView>();
        await context.Out.WriteLineAsync($"{verb}{(verb.Length == 0 ? "Residency" : "residency")} class {c.Name}: allows {string.Join(", ", c.Regions)} (version {c.Version})");
    }
}

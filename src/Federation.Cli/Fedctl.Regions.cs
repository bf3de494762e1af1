using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Federation.Cli.Output;
using Federation.Contracts;

namespace Federation.Cli;

public static partial class Fedctl
{
    private static Command RegionsCommand(CommandContext context)
    {
        var command = new Command("regions", "List the regions: load, queue, offer and drain state.");
        command.SetAction((parse, ct) => context.CallAsync(parse, async (client, json) =>
        {
            var response = await client.GetAsync("api/regions", ct);
            if (json)
            {
                await context.Out.WriteLineAsync(Pretty(response.Body));
                return ExitOk;
            }

            var table = new Table("ID", "NAME", "BUSY", "UTIL", "RUNNING", "QUEUED", "QUEUED DEMAND", "OFFER", "DRAINING");
            foreach (var r in response.As<List<RegionView>>())
            {
                table.Add(r.Id, r.Name, $"{r.Pools.Sum(p => p.Busy)}/{r.Pools.Sum(p => p.Count)}", Percent(r.Utilization),
                    r.RunningJobs.ToString(CultureInfo.InvariantCulture), r.QueuedJobs.ToString(CultureInfo.InvariantCulture),
                    r.QueuedDemand.ToString(CultureInfo.InvariantCulture), Offer(r.Offer), r.Draining ? "yes" : "no");
            }

            table.Write(context.Out);
            return ExitOk;
        }));
        return command;
    }

    private static Command RegionCommand(CommandContext context)
    {
        var id = new Argument<string>("id") { Description = "gwangju, suncheon, gwangyang or daegu." };
        var command = new Command("region", "Show one region: its pools, load, offer and drain state.") { id };
        command.SetAction((parse, ct) => context.CallAsync(parse, async (client, json) =>
        {
            var response = await client.GetAsync("api/regions/" + Uri.EscapeDataString(parse.GetValue(id)!), ct);
            await WriteRegionAsync(context, response, json);
            return ExitOk;
        }));
        return command;
    }

    private static Command OfferCommand(CommandContext context)
    {
        var region = new Argument<string>("region") { Description = "The region whose offer is set." };
        var types = new Option<string[]>("--type", "-t") { Description = "TYPE=COUNT accelerators lent to other regions' jobs (repeat per type; none = offer nothing)." };
        var from = new Option<DateTimeOffset?>("--from") { Description = "Start of the offer's window (ISO 8601; default open)." };
        var until = new Option<DateTimeOffset?>("--until") { Description = "End of the offer's window (ISO 8601; default open)." };
        var preemptible = new Option<bool>("--preemptible") { Description = "Other regions' jobs may be preempted when the window ends." };
        var set = new Command("set", "Replace a region's spare-capacity offer.") { region, types, from, until, preemptible };
        set.SetAction((parse, ct) => context.CallAsync(parse, async (client, json) =>
        {
            var accelerators = new JsonArray();
            foreach (var spec in parse.GetValue(types) ?? [])
            {
                var eq = spec.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0 || !int.TryParse(spec[(eq + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                {
                    throw new UsageException($"--type must be TYPE=COUNT (e.g. H100=64), not '{spec}'");
                }

                accelerators.Add(new JsonObject { ["type"] = spec[..eq], ["count"] = n });
            }

            var body = new JsonObject
            {
                ["accelerators"] = accelerators,
                ["from"] = parse.GetValue(from) is { } f ? JsonValue.Create(f) : null,
                ["until"] = parse.GetValue(until) is { } u ? JsonValue.Create(u) : null,
                ["preemptible"] = parse.GetValue(preemptible),
            };
            var response = await client.PutAsync("api/regions/" + Uri.EscapeDataString(parse.GetValue(region)!) + "/offer", body, ct);
            await WriteRegionAsync(context, response, json);
            return ExitOk;
        }));
        return new Command("offer", "A region's spare-capacity offer to jobs from other regions.") { set };
    }

    private static Command DrainCommand(CommandContext context)
    {
        var region = new Argument<string>("region") { Description = "The region to drain." };
        var undo = new Option<bool>("--undo") { Description = "Return the region to service." };
        var keep = new Option<bool>("--keep-queued") { Description = "Leave queued jobs waiting for the region instead of placing them elsewhere." };
        var command = new Command("drain", "Drain a region: nothing new starts or is admitted there; running jobs finish.") { region, undo, keep };
        command.SetAction((parse, ct) => context.CallAsync(parse, async (client, json) =>
        {
            var body = new JsonObject { ["drain"] = !parse.GetValue(undo), ["requeueQueued"] = !parse.GetValue(keep) };
            var response = await client.PostAsync("api/regions/" + Uri.EscapeDataString(parse.GetValue(region)!) + "/drain", body, ct);
            await WriteRegionAsync(context, response, json);
            return ExitOk;
        }));
        return command;
    }

    private static Command MegaregionCommand(CommandContext context)
    {
        var command = new Command("megaregion", "The whole megaregion: supply, demand and overflow flows between regions.");
        command.SetAction((parse, ct) => context.CallAsync(parse, async (client, json) =>
        {
            var response = await client.GetAsync("api/megaregion", ct);
            if (json)
            {
                await context.Out.WriteLineAsync(Pretty(response.Body));
                return ExitOk;
            }

            var view = response.As<MegaregionView>();
            var o = context.Out;
            await o.WriteLineAsync($"Megaregion: {view.TotalBusy}/{view.TotalCapacity} accelerators busy ({Percent(view.Utilization)}), queued demand {view.TotalQueuedDemand}");
            await o.WriteLineAsync();
            var regions = new Table("REGION", "STATUS", "CAPACITY", "BUSY", "EXTERNAL", "UTIL", "QUEUED JOBS", "QUEUED DEMAND", "OFFERED", "DRAINING", "HOSTED ON");
            foreach (var r in view.Regions)
            {
                regions.Add(r.Id, r.Status, Int(r.Capacity), Int(r.Busy), Int(r.ExternalBusy), Percent(r.Utilization), Int(r.QueuedJobs),
                    r.QueuedDemand.ToString(CultureInfo.InvariantCulture), Int(r.Offered), r.Draining ? "yes" : "no", HostedOn(r.HostSilo, r.Away));
            }

            regions.Write(o);
            await o.WriteLineAsync();
            if (view.Flows.Length == 0)
            {
                await o.WriteLineAsync("Overflow flows: none yet");
                return ExitOk;
            }

            await o.WriteLineAsync("Overflow flows:");
            var flows = new Table("FROM", "TO", "JOBS", "DATA MOVED");
            foreach (var f in view.Flows)
            {
                flows.Add(f.From, f.To, f.Jobs.ToString(CultureInfo.InvariantCulture), Number(f.DataMovedGb) + " GB");
            }

            flows.Write(o);
            return ExitOk;
        }));
        return command;
    }

    /// <summary>The silo a region's grain runs on, as <c>host:port</c>, marked when it is away from the region's own silos.</summary>
    private static string HostedOn(string? silo, bool away)
    {
        if (string.IsNullOrEmpty(silo))
        {
            return "-";
        }

        // host:port@generation; the generation tells restarts apart, not where.
        var at = silo.LastIndexOf('@');
        var address = at > 0 ? silo[..at] : silo;
        return away ? address + " (away)" : address;
    }

    private static async Task WriteRegionAsync(CommandContext context, ApiResponse response, bool json)
    {
        if (json)
        {
            await context.Out.WriteLineAsync(Pretty(response.Body));
            return;
        }

        var r = response.As<RegionView>();
        var o = context.Out;
        await o.WriteLineAsync($"Region:       {r.Id} - {r.Name}{(r.Illustrative ? " (illustrative figures)" : "")}");
        await o.WriteLineAsync($"Utilization:  {Percent(r.Utilization)}; {r.RunningJobs} running, {r.QueuedJobs} queued ({r.QueuedDemand} accelerators)");
        await o.WriteLineAsync($"Draining:     {(r.Draining ? "yes" : "no")}");
        await o.WriteLineAsync($"Hosted on:    {HostedOn(r.HostSilo, r.Away)}{(r.Away ? ": no silo of the region is alive; it queues jobs and starts none until one returns" : "")}");
        await o.WriteLineAsync($"Offer:        {Offer(r.Offer)}{Window(r.Offer)}{(r.Offer.Preemptible ? $", preemptible ({Number(r.Offer.ReclaimGraceSeconds ?? 60)} s grace)" : "")}");
        await o.WriteLineAsync($"Preemptions:  {r.Preemptions.ToString(CultureInfo.InvariantCulture)} (other regions' jobs it took its lent accelerators back from)");
        await o.WriteLineAsync($"Compute:      {Number(r.TotalPetaflops)} PF, storage {Number(r.StoragePb)} PB");
        await o.WriteLineAsync();
        var pools = new Table("TYPE", "COUNT", "BUSY", "EXTERNAL", "MEMORY", "PF/UNIT");
        foreach (var p in r.Pools)
        {
            pools.Add(p.Type, Int(p.Count), Int(p.Busy), Int(p.ExternalBusy), $"{p.MemoryGb} GB", p.PetaflopsPerUnit.ToString("0.####", CultureInfo.InvariantCulture));
        }

        pools.Write(o);
    }

    private static string Offer(OfferView offer) =>
        offer.Accelerators.IsDefaultOrEmpty ? "none" : string.Join(", ", offer.Accelerators.Select(a => $"{a.Type}={a.Count}"));

    private static string Window(OfferView offer) => (offer.From, offer.Until) switch
    {
        (null, null) => "",
        var (f, u) => $" from {f?.ToString("u", CultureInfo.InvariantCulture) ?? "now"} until {u?.ToString("u", CultureInfo.InvariantCulture) ?? "open end"}",
    };

    private static string Percent(double share) => (share * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);
}

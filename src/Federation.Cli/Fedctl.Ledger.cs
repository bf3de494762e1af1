using System.CommandLine;
using System.Globalization;
using Federation.Cli.Output;
using Federation.Contracts;

namespace Federation.Cli;

public static partial class Fedctl
{
    private static Command LedgerCommand(CommandContext context)
    {
        var month = new Option<string>("--month", "-m") { Description = "UTC calendar month, YYYY-MM (default: the server's current month)." };
        var region = new Option<string>("--region", "-r") { Description = "Only what this region lent or borrowed, and its totals." };
        var command = new Command("ledger", "The credit ledger for a month: accelerator-hours and PF-hours each region lent to other regions' jobs, and each region's balance.") { month, region };
        command.SetAction((parse, ct) => context.CallAsync(parse, async (client, json) =>
        {
            var query = new List<string>();
            AddQuery(query, "month", parse.GetValue(month));
            AddQuery(query, "region", parse.GetValue(region));
            var response = await client.GetAsync(WithQuery("api/ledger", query), ct);
            if (json)
            {
                await context.Out.WriteLineAsync(Pretty(response.Body));
                return ExitOk;
            }

            var view = response.As<LedgerView>();
            var o = context.Out;
            await o.WriteLineAsync($"Ledger {view.Month}{(view.Region is null ? "" : " for " + view.Region)}, as of {Time(view.AsOf)} (runs still going count to then)");
            await o.WriteLineAsync();
            if (view.Entries.IsDefaultOrEmpty)
            {
                await o.WriteLineAsync("No accelerator-hours were lent between regions this month.");
            }
            else
            {
                var lines = new Table("LENDER", "BORROWER", "TYPE", "ACCEL-HOURS", "PF-HOURS", "RUNS");
                foreach (var e in view.Entries)
                {
                    lines.Add(e.Lender, e.Borrower, e.AcceleratorType, Hours(e.AcceleratorHours), Hours(e.PetaflopHours), Int(e.Runs));
                }

                lines.Write(o);
            }

            await o.WriteLineAsync();
            var totals = new Table("REGION", "LENT ACCEL-HOURS", "BORROWED ACCEL-HOURS", "LENT PF-HOURS", "BORROWED PF-HOURS", "BALANCE PF-HOURS");
            foreach (var r in view.Regions)
            {
                totals.Add(r.Region, Hours(r.LentAcceleratorHours), Hours(r.BorrowedAcceleratorHours), Hours(r.LentPetaflopHours),
                    Hours(r.BorrowedPetaflopHours), Hours(r.BalancePetaflopHours));
            }

            totals.Write(o);
            return ExitOk;
        }));
        return command;
    }

    /// <summary>Hours to three decimals (a PF-hour of a 0.0195 PF accelerator is visible), without trailing zeros.</summary>
    private static string Hours(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}

using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Federation.Cli.Output;
using Federation.Contracts;

namespace Federation.Cli;

public static partial class Fedctl
{
    private static Command SubmitCommand(CommandContext context)
    {
        var file = new Option<FileInfo>("--file", "-f") { Description = "A job request as JSON; flags given as well override its fields." };
        var id = new Option<string>("--id") { Description = "Client id: submitting the same id and body again is harmless (idempotent)." };
        var project = new Option<string>("--project", "-p") { Description = "Project the job is charged to." };
        var owner = new Option<string>("--owner") { Description = "Who submits it." };
        var home = new Option<string>("--home") { Description = "Home region: gwangju, suncheon, gwangyang or daegu." };
        var count = new Option<int?>("--accelerators", "-n") { Description = "Number of accelerators (a gang: all in one region)." };
        var types = new Option<string[]>("--type", "-t") { Description = "Acceptable accelerator type (repeat for several; none = any).", AllowMultipleArgumentsPerToken = false };
        var memory = new Option<int?>("--min-memory") { Description = "Minimum memory per accelerator, GB." };
        var hours = new Option<double?>("--hours") { Description = "Estimated duration, hours." };
        var datasetRegion = new Option<string>("--dataset-region") { Description = "Region where the input data lives." };
        var datasetGb = new Option<double?>("--dataset-gb") { Description = "Size of the input data, GB." };
        var residency = new Option<string>("--residency") { Description = "The dataset's residency class (fedctl residency list): the job runs only in regions the class allows." };
        var allowed = new Option<string[]>("--allowed") { Description = "A region the job may run in (repeat; none = any)." };
        var priority = new Option<int?>("--priority") { Description = "Higher runs first." };
        var script = new Option<FileInfo>("--script") { Description = "The batch script the job runs (its first line #!/bin/bash or another interpreter); --hours is its time limit." };
        var image = new Option<string>("--image") { Description = "A container image to run the script in (Slurm's --container)." };
        var environment = new Option<string[]>("--env", "-e") { Description = "NAME=VALUE for the script's environment (repeat).", AllowMultipleArgumentsPerToken = false };
        var workdir = new Option<string>("--workdir") { Description = "The directory the script runs in (absolute)." };
        var checkpointSignal = new Option<string>("--checkpoint-signal") { Description = "The signal the script traps to write a checkpoint and exit when lent accelerators are taken back (USR1, TERM, ...)." };
        var command = new Command("submit", "Submit a job; it is placed where it starts soonest once data movement is counted.")
        {
            file, id, project, owner, home, count, types, memory, hours, datasetRegion, datasetGb, residency, allowed, priority, script, image, environment, workdir, checkpointSignal,
        };
        command.SetAction((parse, ct) => context.CallAsync(parse, async (client, json) =>
        {
            var body = ReadFile(parse.GetValue(file));
            Set(body, "id", parse.GetValue(id));
            Set(body, "project", parse.GetValue(project));
            Set(body, "owner", parse.GetValue(owner));
            Set(body, "homeRegion", parse.GetValue(home));
            Set(body, "durationHours", parse.GetValue(hours));
            Set(body, "priority", parse.GetValue(priority));
            if (parse.GetValue(count) is not null || parse.GetValue(types) is { Length: > 0 } || parse.GetValue(memory) is not null)
            {
                var a = body["accelerators"] as JsonObject ?? [];
                body["accelerators"] = a;
                Set(a, "count", parse.GetValue(count));
                Set(a, "minMemoryGb", parse.GetValue(memory));
                if (parse.GetValue(types) is { Length: > 0 } t)
                {
                    a["types"] = new JsonArray(t.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray());
                }
            }

            if (parse.GetValue(datasetRegion) is not null || parse.GetValue(datasetGb) is not null || parse.GetValue(residency) is not null)
            {
                var d = body["dataset"] as JsonObject ?? [];
                body["dataset"] = d;
                Set(d, "region", parse.GetValue(datasetRegion));
                Set(d, "sizeGb", parse.GetValue(datasetGb));
                Set(d, "residency", parse.GetValue(residency));
            }

            if (parse.GetValue(allowed) is { Length: > 0 } regions)
            {
                body["allowedRegions"] = new JsonArray(regions.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray());
            }

            SetRun(body, parse.GetValue(script), parse.GetValue(image), parse.GetValue(environment), parse.GetValue(workdir), parse.GetValue(checkpointSignal));
            var response = await client.PostAsync("api/jobs", body, ct);
            if (json)
            {
                await context.Out.WriteLineAsync(Pretty(response.Body));
                return ExitOk;
            }

            var job = response.As<JobView>();
            await context.Out.WriteLineAsync(response.Status == HttpStatusCode.Created
                ? $"Submitted {job.Id}: {Where(job)}"
                : $"Already submitted (same id and body): {job.Id}: {Where(job)}");
            await context.Out.WriteLineAsync($"Reason: {job.Reason}");
            return ExitOk;
        }));
        return command;
    }

    private static Command JobsCommand(CommandContext context)
    {
        var state = new Option<string>("--state") { Description = "Queued, Running, Completed, Failed or Cancelled." };
        var region = new Option<string>("--region", "-r") { Description = "Region the job is queued or running in, or ran in." };
        var project = new Option<string>("--project", "-p") { Description = "Project." };
        var owner = new Option<string>("--owner") { Description = "Who submitted the job." };
        var limit = new Option<int?>("--limit") { Description = "At most this many jobs (1-1000, default 100)." };
        var newest = new Option<bool>("--newest") { Description = "Newest submission first (default: by job id)." };
        var command = new Command("jobs", "List jobs, filtered by state, region, project and owner.") { state, region, project, owner, limit, newest };
        command.SetAction((parse, ct) => context.CallAsync(parse, async (client, json) =>
        {
            var query = new List<string>();
            AddQuery(query, "state", parse.GetValue(state));
            AddQuery(query, "region", parse.GetValue(region));
            AddQuery(query, "project", parse.GetValue(project));
            AddQuery(query, "owner", parse.GetValue(owner));
            AddQuery(query, "limit", parse.GetValue(limit)?.ToString(CultureInfo.InvariantCulture));
            AddQuery(query, "order", parse.GetValue(newest) ? "newest" : null);
            var response = await client.GetAsync(WithQuery("api/jobs", query), ct);
            if (json)
            {
                await context.Out.WriteLineAsync(Pretty(response.Body));
                return ExitOk;
            }

            var list = response.As<JobList>();
            var table = new Table("ID", "STATE", "REGION", "HOME", "ACCELERATORS", "HOURS", "PROJECT", "OWNER");
            foreach (var job in list.Jobs)
            {
                table.Add(job.Id, job.State.ToString(), job.Region, job.HomeRegion, Accelerators(job.Accelerators), Number(job.DurationHours), job.Project, job.Owner);
            }

            table.Write(context.Out);
            await context.Out.WriteLineAsync($"{list.Jobs.Length} of {list.Total} job(s)");
            return ExitOk;
        }));
        return command;
    }

    private static Command JobCommand(CommandContext context)
    {
        var id = new Argument<string>("id") { Description = "The job's id." };
        var command = new Command("job", "Show a job: where it is, why, and what happened to it.") { id };
        command.SetAction((parse, ct) => context.CallAsync(parse, async (client, json) =>
        {
            var response = await client.GetAsync("api/jobs/" + Uri.EscapeDataString(parse.GetValue(id)!), ct);
            await WriteJobAsync(context, response, json);
            return ExitOk;
        }));
        return command;
    }

    private static Command CancelCommand(CommandContext context)
    {
        var id = new Argument<string>("id") { Description = "The job's id." };
        var reason = new Option<string>("--reason") { Description = "Why, for the job's history." };
        var command = new Command("cancel", "Cancel a queued or running job.") { id, reason };
        command.SetAction((parse, ct) => context.CallAsync(parse, async (client, json) =>
        {
            var path = "api/jobs/" + Uri.EscapeDataString(parse.GetValue(id)!);
            if (parse.GetValue(reason) is { } r)
            {
                path += "?reason=" + Uri.EscapeDataString(r);
            }

            var response = await client.DeleteAsync(path, ct);
            await WriteJobAsync(context, response, json);
            return ExitOk;
        }));
        return command;
    }

    private static async Task WriteJobAsync(CommandContext context, ApiResponse response, bool json)
    {
        if (json)
        {
            await context.Out.WriteLineAsync(Pretty(response.Body));
            return;
        }

        var job = response.As<JobView>();
        var o = context.Out;
        await o.WriteLineAsync($"Job:          {job.Id}");
        await o.WriteLineAsync($"State:        {job.State}{(job.Region is null ? "" : " in " + job.Region)}");
        await o.WriteLineAsync($"Project:      {job.Project} (owner {Dash(job.Owner)})");
        await o.WriteLineAsync($"Home:         {job.HomeRegion}");
        await o.WriteLineAsync($"Accelerators: {Accelerators(job.Accelerators)}{(job.Accelerators.MinMemoryGb > 0 ? $", >= {job.Accelerators.MinMemoryGb} GB each" : "")}");
        await o.WriteLineAsync($"Duration:     {Number(job.DurationHours)} h, priority {job.Priority}");
        await o.WriteLineAsync($"Dataset:      {(job.Dataset is { } d ? $"{Number(d.SizeGb)} GB in {d.Region}{(d.Residency is { } residencyClass ? $", residency class {residencyClass}" : "")}" : "none")}");
        await o.WriteLineAsync($"Submitted:    {Time(job.SubmittedAt)}{(job.StartedAt is { } s ? ", started " + Time(s) : "")}{(job.EndedAt is { } ended ? ", ended " + Time(ended) : "")}");
        await o.WriteLineAsync($"Reason:       {job.Reason}");
        if (job.Run is { } run)
        {
            var lines = run.Script.TrimEnd('\n').Split('\n').Length;
            await o.WriteLineAsync($"Runs:         a script of {lines} line(s){(run.Image is { } image ? $" in {image}" : "")}{(run.WorkingDirectory is { } dir ? $" in {dir}" : "")}{(run.Environment is { Count: > 0 } env ? $", {env.Count} environment variable(s)" : "")}{(run.CheckpointSignal is { } signal ? $", checkpoints on {signal}" : "")}");
        }

        var preemptions = job.History.Where(static e => e.Kind == JobEventKinds.Preempted).ToList();
        if (preemptions.Count > 0)
        {
            var last = preemptions[^1];
            await o.WriteLineAsync($"Preempted:    {preemptions.Count} time(s), last in {last.Region} at {Time(last.At)} (the history says why)");
        }

        if (job.BackendJobId is not null || job.ExitCode is not null || job.BackendReason is not null)
        {
            await o.WriteLineAsync($"Backend:      {(job.BackendJobId is { } backend ? "job " + backend : "not submitted")}{(job.ExitCode is { } code ? $", exit code {code}" : "")}{(job.BackendReason is { } why ? $", {why}" : "")}");
        }
        if (job.Placement is { Candidates.Length: > 0 } placement)
        {
            await o.WriteLineAsync();
            await o.WriteLineAsync($"Placement ({placement.Policy}):");
            var candidates = new Table("REGION", "ELIGIBLE", "EXPECTED START", "TRANSFER", "PENALTY", "SCORE", "NOTE");
            foreach (var c in placement.Candidates)
            {
                candidates.Add(c.Region + (c.Region == placement.ChosenRegion ? " *" : ""), c.Eligible ? "yes" : "no",
                    c.ExpectedStartDelaySeconds is { } delay ? Seconds(delay) : null, Seconds(c.TransferSeconds), Seconds(c.PenaltySeconds),
                    c.Score is { } score ? Number(score) : null, c.ExcludedBecause);
            }

            candidates.Write(o);
        }

        if (job.History.Length > 0)
        {
            await o.WriteLineAsync();
            await o.WriteLineAsync("History:");
            var history = new Table("AT", "EVENT", "REGION", "MESSAGE");
            foreach (var e in job.History)
            {
                history.Add(Time(e.At), e.Kind, e.Region, e.Message);
            }

            history.Write(o);
        }
    }

    /// <summary>Sets <c>run</c> from <c>--script</c>, <c>--image</c>, <c>--env</c>, <c>--workdir</c> and <c>--checkpoint-signal</c> (over what <c>--file</c> gave).</summary>
    private static void SetRun(JsonObject body, FileInfo? script, string? image, string[]? environment, string? workdir, string? checkpointSignal)
    {
        if (script is null && image is null && environment is not { Length: > 0 } && workdir is null && checkpointSignal is null)
        {
            return;
        }

        var run = body["run"] as JsonObject ?? [];
        body["run"] = run;
        if (script is not null)
        {
            try
            {
                run["script"] = File.ReadAllText(script.FullName);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"cannot read --script {script.FullName}: {e.Message}");
            }
        }

        Set(run, "image", image);
        Set(run, "workingDirectory", workdir);
        Set(run, "checkpointSignal", checkpointSignal);
        if (environment is { Length: > 0 })
        {
            var env = run["environment"] as JsonObject ?? [];
            run["environment"] = env;
            foreach (var pair in environment)
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    throw new UsageException($"--env must be NAME=VALUE, not '{pair}'");
                }

                env[pair[..eq]] = pair[(eq + 1)..];
            }
        }
    }

    private static JsonObject ReadFile(FileInfo? file)
    {
        if (file is null)
        {
            return [];
        }

        string text;
        try
        {
            text = File.ReadAllText(file.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read --file {file.FullName}: {e.Message}");
        }

        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw new UsageException($"--file {file.Name} must hold a JSON object");
        }
        catch (JsonException e)
        {
            throw new UsageException($"--file {file.Name} is not valid JSON: {e.Message}");
        }
    }

    private static void Set<T>(JsonObject target, string name, T? value)
    {
        if (value is not null)
        {
            target[name] = JsonValue.Create(value);
        }
    }

    private static void AddQuery(List<string> query, string name, string? value)
    {
        if (value is not null)
        {
            query.Add($"{name}={Uri.EscapeDataString(value)}");
        }
    }

    /// <summary>The path with the query <see cref="AddQuery"/> built, if any.</summary>
    private static string WithQuery(string path, List<string> query) => query.Count == 0 ? path : path + "?" + string.Join('&', query);

    private static string Where(JobView job) => job.Region is null ? job.State.ToString() : $"{job.State} in {job.Region}";

    private static string Accelerators(AcceleratorRequest a) => $"{a.Count} x {(a.Types.IsDefaultOrEmpty ? "any" : string.Join('|', a.Types))}";

    internal static string Number(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Dash(string value) => value.Length == 0 ? "-" : value;

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    internal static string Seconds(double seconds) => seconds switch
    {
        < 1 when seconds > 0 => seconds.ToString("0.###", CultureInfo.InvariantCulture) + " s",
        < 120 => seconds.ToString("0.#", CultureInfo.InvariantCulture) + " s",
        < 7200 => (seconds / 60).ToString("0.#", CultureInfo.InvariantCulture) + " min",
        _ => (seconds / 3600).ToString("0.#", CultureInfo.InvariantCulture) + " h",
    };
}

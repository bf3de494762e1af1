using System.CommandLine;
using System.Text.Json;
using Federation.Simulator;

namespace Federation.Cli;

/// <summary>
/// <c>fedctl</c>: the REST API's operations for researchers, regional operators and the national
/// coordinator, as readable tables or (<c>--json</c>) the server's JSON. Exit codes: 0 ok, 1 the server
/// answered an error, 2 usage error, 3 the server is unreachable.
/// </summary>
public static partial class Fedctl
{
    public const int ExitOk = 0;
    public const int ExitServerError = 1;
    public const int ExitUsage = 2;
    public const int ExitUnreachable = 3;

    /// <summary>Default of <c>--server</c>, unless the environment variable <see cref="ServerVariable"/> is set.</summary>
    public const string DefaultServer = "http://127.0.0.1:5080";

    /// <summary>Environment variable that overrides the default <c>--server</c>.</summary>
    public const string ServerVariable = "FEDCTL_SERVER";

    /// <summary>Runs one command line; <paramref name="handler"/> replaces the HTTP stack (tests).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (args.Length > 0 && args[0] == "simulate")
        {
            // The one offline command: the simulator parses its own arguments, so both print the same.
            return await SimulatorApp.RunAsync(args[1..], stdout, stderr, cancellationToken);
        }

        var context = new CommandContext(stdout, stderr, handler);
        var root = BuildRoot(context);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await stderr.WriteLineAsync($"fedctl: {error.Message}");
            }

            await stderr.WriteLineAsync("Run 'fedctl --help' for usage.");
            return ExitUsage;
        }

        return await parse.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false }, cancellationToken);
    }

    internal static RootCommand BuildRoot(CommandContext context)
    {
        var root = new RootCommand("fedctl: submit and follow jobs, run regions and watch the megaregion through the Federation REST API.");
        root.Options.Add(context.Server);
        root.Options.Add(context.Json);
        root.Subcommands.Add(SubmitCommand(context));
        root.Subcommands.Add(JobsCommand(context));
        root.Subcommands.Add(JobCommand(context));
        root.Subcommands.Add(CancelCommand(context));
        root.Subcommands.Add(RegionsCommand(context));
        root.Subcommands.Add(RegionCommand(context));
        root.Subcommands.Add(OfferCommand(context));
        root.Subcommands.Add(DrainCommand(context));
        root.Subcommands.Add(MegaregionCommand(context));
        root.Subcommands.Add(LedgerCommand(context));
        root.Subcommands.Add(ProjectsCommand(context));
        root.Subcommands.Add(ProjectCommand(context));
        root.Subcommands.Add(ResidencyCommand(context));
        var simulate = new Command("simulate", "Replay a job trace across the megaregion and compare placement policies (offline; run 'fedctl simulate --help').");
        simulate.TreatUnmatchedTokensAsErrors = false;
        root.Subcommands.Add(simulate);
        return root;
    }

    /// <summary>What every command shares: the writers, the global options and the way errors become exit codes.</summary>
    internal sealed class CommandContext
    {
        private readonly HttpMessageHandler? _handler;

        public CommandContext(TextWriter stdout, TextWriter stderr, HttpMessageHandler? handler)
        {
            Out = stdout;
            Error = stderr;
            _handler = handler;
        }

        public TextWriter Out { get; }

        public TextWriter Error { get; }

        public Option<string> Server { get; } = new("--server", "-s")
        {
            Description = $"The Federation server's URL (default {DefaultServer}, or ${ServerVariable}).",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } s ? s : DefaultServer,
            Recursive = true,
        };

        public Option<bool> Json { get; } = new("--json")
        {
            Description = "Print the server's JSON instead of a table.",
            Recursive = true,
        };

        /// <summary>Runs an API call with the client, mapping failures to exit codes and messages on stderr.</summary>
        public async Task<int> CallAsync(ParseResult parse, Func<FederationClient, bool, Task<int>> call)
        {
            var server = parse.GetValue(Server)!;
            if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                await Error.WriteLineAsync($"fedctl: --server must be an http(s) URL, not '{server}'");
                return ExitUsage;
            }

            using var client = new FederationClient(server, _handler);
            var json = parse.GetValue(Json);
            try
            {
                return await call(client, json);
            }
            catch (ServerUnreachableException e)
            {
                await Error.WriteLineAsync($"fedctl: {e.Message}");
                await Error.WriteLineAsync("Is the server running? Start it with: dotnet run --project src/Federation.Server");
                return ExitUnreachable;
            }
            catch (ApiProblemException e)
            {
                if (json)
                {
                    await Out.WriteLineAsync(Pretty(e.Body));
                }

                await Error.WriteLineAsync($"fedctl: the server answered {e.Status} {e.Title}");
                if (e.Errors.Count == 0 && e.Detail is not null)
                {
                    await Error.WriteLineAsync($"  {e.Detail}");
                }

                foreach (var (field, messages) in e.Errors)
                {
                    foreach (var message in messages)
                    {
                        await Error.WriteLineAsync($"  {field}: {message}");
                    }
                }

                return ExitServerError;
            }
            catch (UsageException e)
            {
                await Error.WriteLineAsync($"fedctl: {e.Message}");
                return ExitUsage;
            }
        }
    }

    /// <summary>A command line that parsed but makes no sense (a bad <c>--type</c>, an unreadable <c>--file</c>).</summary>
    internal sealed class UsageException(string message) : Exception(message);

    /// <summary>The server's JSON, indented.</summary>
    internal static string Pretty(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return JsonSerializer.Serialize(doc.RootElement, PrettyOptions);
        }
        catch (JsonException)
        {
            return json;
        }
    }

    private static readonly JsonSerializerOptions PrettyOptions = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}

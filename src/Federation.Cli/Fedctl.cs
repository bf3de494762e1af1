using System.CommandLine;
using System.Text.Json;
using Federation.Simulator;

namespace Federation.Cli;

/// <summary>
/// <c>fedctl</c>: the REST API's operations for researchers, regional operators and the national
/// coordinator, as readable tables or (<c>--json</c>) the server's JSON. Every call carries a bearer token:
/// <c>--token</c>, else <c>$FEDCTL_TOKEN</c>, else the one <c>fedctl login</c> stored for that server. Exit codes:
/// 0 ok, 1 the server answered an error (a refused token or role too), 2 usage error, 3 the server is unreachable.
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

    /// <summary>Environment variable holding the token when no <c>--token</c> is given.</summary>
    public const string TokenVariable = "FEDCTL_TOKEN";

    /// <summary>
    /// Runs one command line; <paramref name="handler"/> replaces the HTTP stack, <paramref name="environment"/> the
    /// process's stdin and environment variables (tests).
    /// </summary>
    public static async Task<int> RunAsync(
        string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken, HttpMessageHandler? handler = null, FedctlEnvironment? environment = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (args.Length > 0 && args[0] == "simulate")
        {
            // The one offline command: the simulator parses its own arguments, so both print the same.
            return await SimulatorApp.RunAsync(args[1..], stdout, stderr, cancellationToken);
        }

        var context = new CommandContext(stdout, stderr, handler, environment ?? FedctlEnvironment.FromProcess());
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
        var root = new RootCommand(
            "fedctl: submit and follow jobs, run regions and watch the megaregion through the Federation REST API. "
            + $"Every command sends a bearer token: --token, else ${TokenVariable}, else the one 'fedctl login' stored for the server "
            + $"(in ${CredentialStore.ConfigDirectoryVariable}, else $XDG_CONFIG_HOME/fedctl, else ~/.config/fedctl: {CredentialStore.FileName}).");
        root.Options.Add(context.Server);
        root.Options.Add(context.Token);
        root.Options.Add(context.Json);
        root.Subcommands.Add(LoginCommand(context));
        root.Subcommands.Add(LogoutCommand(context));
        root.Subcommands.Add(WhoAmICommand(context));
        root.Subcommands.Add(TokenCommand(context));
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
        root.Subcommands.Add(AuditCommand(context));
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

        public CommandContext(TextWriter stdout, TextWriter stderr, HttpMessageHandler? handler, FedctlEnvironment environment)
        {
            Out = stdout;
            Error = stderr;
            _handler = handler;
            Environment = environment;
            Credentials = CredentialStore.For(environment);
            Server = new("--server", "-s")
            {
                Description = $"The Federation server's URL (default {DefaultServer}, or ${ServerVariable}).",
                DefaultValueFactory = _ => environment.Variable(ServerVariable) ?? DefaultServer,
                Recursive = true,
            };
        }

        public TextWriter Out { get; }

        public TextWriter Error { get; }

        public FedctlEnvironment Environment { get; }

        /// <summary>Where <c>fedctl login</c> stores tokens.</summary>
        public CredentialStore Credentials { get; }

        public Option<string> Server { get; }

        public Option<string> Token { get; } = new("--token")
        {
            Description = $"The bearer token to send (default ${TokenVariable}, else the one 'fedctl login' stored for --server).",
            Recursive = true,
        };

        public Option<bool> Json { get; } = new("--json")
        {
            Description = "Print the server's JSON instead of a table.",
            Recursive = true,
        };

        /// <summary>
        /// The token a call sends: <c>--token</c>, else <c>$FEDCTL_TOKEN</c>, else the one stored for
        /// <paramref name="server"/>; with none, the call goes without one (the server says why it refuses).
        /// </summary>
        public Credential CredentialOf(ParseResult parse, string server)
        {
            if (parse.GetValue(Token) is { } option)
            {
                return new(Checked(option, "--token"), "--token", "the token given with --token was refused: pass a valid one, or leave --token out and sign in with 'fedctl login'");
            }

            if (Environment.Variable(TokenVariable) is { } variable)
            {
                return new(Checked(variable, "$" + TokenVariable), "$" + TokenVariable, $"the token in ${TokenVariable} was refused: set a valid one, or unset it and sign in with 'fedctl login'");
            }

            if (Credentials.TokenFor(server) is { } stored)
            {
                return new(Checked(stored, Credentials.Path), Credentials.Path, $"the token stored in {Credentials.Path} for {CredentialStore.Normalize(server)} was refused: sign in again with 'fedctl login'");
            }

            return new(null, "nowhere", $"no token was given (--token, ${TokenVariable}, or one stored by 'fedctl login' for {CredentialStore.Normalize(server)}): sign in with 'fedctl login'");
        }

        /// <summary>A token as sent: without surrounding white space (a pasted newline), else refused before it is sent.</summary>
        public static string Checked(string token, string source)
        {
            var trimmed = token.Trim();
            if (trimmed.Length == 0 || trimmed.Any(static c => char.IsWhiteSpace(c) || char.IsControl(c)))
            {
                throw new UsageException($"the token from {source} is empty or has spaces or control characters inside");
            }

            return trimmed;
        }

        /// <summary>Runs an API call with the client, mapping failures to exit codes and messages on stderr.</summary>
        public Task<int> CallAsync(ParseResult parse, Func<FederationClient, bool, Task<int>> call) =>
            CallAsync(parse, credentialOf: null, (client, json, _) => call(client, json));

        /// <summary>
        /// Runs an API call with the token from <paramref name="credentialOf"/> (given the server's URL), or when null from
        /// the usual sources (<see cref="CredentialOf"/>), mapping failures to exit codes and messages on stderr.
        /// </summary>
        public async Task<int> CallAsync(
            ParseResult parse, Func<string, Task<Credential>>? credentialOf, Func<FederationClient, bool, Credential, Task<int>> call)
        {
            var server = parse.GetValue(Server)!;
            if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                await Error.WriteLineAsync($"fedctl: --server must be an http(s) URL, not '{server}'");
                return ExitUsage;
            }

            var json = parse.GetValue(Json);
            Credential? credential = null;
            try
            {
                credential = credentialOf is null ? CredentialOf(parse, server) : await credentialOf(server);
                using var client = new FederationClient(server, credential.Token, _handler);
                return await call(client, json, credential);
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

                if (e.Status == 401 && credential is not null)
                {
                    await Error.WriteLineAsync($"fedctl: {credential.Refused}");
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

    /// <summary>
    /// The token a command sends and where it came from, and what to tell the user when the server refuses it (a 401).
    /// </summary>
    internal sealed record Credential(string? Token, string Source, string Refused);

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

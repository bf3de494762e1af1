using System.Collections.Immutable;
using System.CommandLine;
using System.Text.Json.Nodes;
using Federation.Cli.Output;
using Federation.Contracts;

namespace Federation.Cli;

public static partial class Fedctl
{
    /// <summary><c>fedctl login</c>: checks a token with the server (<c>GET /api/whoami</c>), then stores it for that server.</summary>
    private static Command LoginCommand(CommandContext context)
    {
        var command = new Command(
            "login",
            $"Sign in to --server: check a token (--token, else one line read from stdin) and store it for that server in the credentials file ({CredentialStore.FileName}, readable by you alone). Nothing is stored when the server refuses it.");
        command.SetAction((parse, ct) => context.CallAsync(parse, _ => LoginCredentialAsync(context, parse, ct), async (client, json, credential) =>
        {
            var response = await client.GetAsync("api/whoami", ct);
            var caller = response.As<WhoAmIAnswer>();
            var server = CredentialStore.Normalize(parse.GetValue(context.Server)!);
            context.Credentials.Store(server, credential.Token!);
            if (json)
            {
                await context.Out.WriteLineAsync(Pretty(response.Body));
                return ExitOk;
            }

            await context.Out.WriteLineAsync($"Signed in to {server} as {Describe(caller.Subject, caller.Role, caller.Regions, caller.Projects)}");
            await context.Out.WriteLineAsync($"The token is stored in {context.Credentials.Path}");
            return ExitOk;
        }));
        return command;
    }

    /// <summary>The token to sign in with: <c>--token</c>, else the first line of stdin (never <c>$FEDCTL_TOKEN</c>: login stores what it is given).</summary>
    private static async Task<Credential> LoginCredentialAsync(CommandContext context, ParseResult parse, CancellationToken cancellationToken)
    {
        if (parse.GetValue(context.Token) is { } given)
        {
            return new(CommandContext.Checked(given, "--token"), "--token", "the token given with --token was refused; nothing was stored");
        }

        if (context.Environment.InputIsTerminal)
        {
            await context.Error.WriteAsync("Token: ");
        }

        var line = await context.Environment.Input.ReadLineAsync(cancellationToken);
        if (string.IsNullOrWhiteSpace(line))
        {
            throw new UsageException("no token to sign in with: pass --token <token> or write it on stdin");
        }

        return new(CommandContext.Checked(line, "stdin"), "stdin", "the token read from stdin was refused; nothing was stored");
    }

    /// <summary><c>fedctl logout</c>: forgets the stored token of the server (the server is not called).</summary>
    private static Command LogoutCommand(CommandContext context)
    {
        var command = new Command(
            "logout",
            "Forget the token 'fedctl login' stored for --server. The token itself stays valid until it expires or is revoked (fedctl token revoke).");
        command.SetAction((parse, ct) => context.CallAsync(parse, static _ => Task.FromResult(new Credential(null, "nowhere", "")), async (_, _, _) =>
        {
            var server = CredentialStore.Normalize(parse.GetValue(context.Server)!);
            await context.Out.WriteLineAsync(context.Credentials.Remove(server)
                ? $"Signed out of {server}: its token is removed from {context.Credentials.Path}"
                : $"Not signed in to {server}: {context.Credentials.Path} holds no token for it");
            return ExitOk;
        }));
        return command;
    }

    /// <summary><c>fedctl whoami</c>: the caller as the server sees the token, and where fedctl took the token from.</summary>
    private static Command WhoAmICommand(CommandContext context)
    {
        var command = new Command("whoami", "Who the server takes you for: the token's subject, role, projects or regions, and where fedctl took the token from.");
        command.SetAction((parse, ct) => context.CallAsync(parse, credentialOf: null, async (client, json, credential) =>
        {
            var response = await client.GetAsync("api/whoami", ct);
            if (json)
            {
                await context.Out.WriteLineAsync(Pretty(response.Body));
                return ExitOk;
            }

            var caller = response.As<WhoAmIAnswer>();
            var token = caller.TokenId is { } id ? "token " + id : "the server's bootstrap token";
            await context.Out.WriteLineAsync(
                $"{Describe(caller.Subject, caller.Role, caller.Regions, caller.Projects)} on {CredentialStore.Normalize(parse.GetValue(context.Server)!)}, {token} (from {credential.Source})");
            return ExitOk;
        }));
        return command;
    }

    /// <summary><c>fedctl token create|list|revoke</c>: a coordinator's tokens for researchers, operators and coordinators.</summary>
    private static Command TokenCommand(CommandContext context)
    {
        var subject = new Option<string>("--subject") { Description = "Who holds the token (a person or a service account): the owner of the jobs it submits.", Required = true };
        var role = new Option<string>("--role") { Description = "researcher (of --project), operator (of --region) or coordinator.", Required = true };
        role.AcceptOnlyFromAmong("researcher", "operator", "coordinator");
        var projects = new Option<string[]>("--project", "-p") { Description = "A project a researcher's token names (repeat; at least one for a researcher).", AllowMultipleArgumentsPerToken = false };
        var regions = new Option<string[]>("--region", "-r") { Description = "A region an operator's token names (repeat; at least one for an operator).", AllowMultipleArgumentsPerToken = false };
        var expires = new Option<double?>("--expires-in-hours") { Description = "Hours until it expires (default: the server's Federation:Auth:TokenLifetime, 30 days)." };
        var create = new Command(
            "create",
            "Issue a token (coordinators). Prints the token alone on stdout (shown this once: pass it to its holder) and what it is on stderr; --json prints the whole answer.")
        {
            subject, role, projects, regions, expires,
        };
        create.SetAction((parse, ct) => context.CallAsync(parse, async (client, json) =>
        {
            var body = new JsonObject
            {
                ["subject"] = parse.GetValue(subject),
                ["role"] = parse.GetValue(role),
                ["projects"] = StringArray(parse.GetValue(projects)),
                ["regions"] = StringArray(parse.GetValue(regions)),
            };
            Set(body, "expiresInHours", parse.GetValue(expires));
            var response = await client.PostAsync("api/tokens", body, ct);
            if (json)
            {
                await context.Out.WriteLineAsync(Pretty(response.Body));
                return ExitOk;
            }

            var issued = response.As<IssuedTokenAnswer>();
            var r = issued.Record;
            await context.Out.WriteLineAsync(issued.Token);
            await context.Error.WriteLineAsync($"Issued {r.Id} to {Describe(r.Subject, r.Role, r.Regions, r.Projects)}, expires {Time(r.ExpiresAt)}; the token above is shown this once");
            return ExitOk;
        }));

        var list = new Command("list", "Every token issued, newest first, with its scope and whether and by whom it was revoked (coordinators).");
        list.SetAction((parse, ct) => context.CallAsync(parse, async (client, json) =>
        {
            var response = await client.GetAsync("api/tokens", ct);
            if (json)
            {
                await context.Out.WriteLineAsync(Pretty(response.Body));
                return ExitOk;
            }

            var table = new Table("ID", "SUBJECT", "ROLE", "SCOPE", "ISSUED", "EXPIRES", "REVOKED");
            foreach (var t in response.As<TokenList>().Tokens)
            {
                table.Add(t.Id, t.Subject, RoleName(t.Role), Scope(t.Role, t.Regions, t.Projects), Time(t.IssuedAt), Time(t.ExpiresAt),
                    t.RevokedAt is { } at ? $"{Time(at)} by {t.RevokedBy}" : null);
            }

            table.Write(context.Out);
            return ExitOk;
        }));

        var id = new Argument<string>("id") { Description = "The token's id (tok-…, from fedctl token list or fedctl whoami)." };
        var revoke = new Command("revoke", "Revoke a token (coordinators, or the token's own holder): every server refuses it from then on.") { id };
        revoke.SetAction((parse, ct) => context.CallAsync(parse, async (client, json) =>
        {
            var response = await client.DeleteAsync("api/tokens/" + Uri.EscapeDataString(parse.GetValue(id)!), ct);
            if (json)
            {
                await context.Out.WriteLineAsync(Pretty(response.Body));
                return ExitOk;
            }

            var r = response.As<TokenRecord>();
            await context.Out.WriteLineAsync($"Revoked {r.Id} of {Describe(r.Subject, r.Role, r.Regions, r.Projects)} at {Time(r.RevokedAt!.Value)} by {r.RevokedBy}");
            return ExitOk;
        }));

        return new Command("token", "Bearer tokens: a coordinator issues, lists and revokes them; anyone may revoke their own.") { create, list, revoke };
    }

    private static JsonArray StringArray(string[]? values) => new((values ?? []).Select(static v => (JsonNode?)JsonValue.Create(v)).ToArray());

    private static string RoleName(Role role) => role switch
    {
        Role.Researcher => "researcher",
        Role.Operator => "operator",
        _ => "coordinator",
    };

    /// <summary>A researcher's projects or an operator's regions; null (a dash) for a coordinator, whose scope is everything.</summary>
    private static string? Scope(Role role, ImmutableArray<string> regions, ImmutableArray<string> projects) => role switch
    {
        Role.Researcher => string.Join(", ", projects),
        Role.Operator => string.Join(", ", regions),
        _ => null,
    };

    /// <summary>A token's holder in words, as the server words them: "alice (researcher of p1, p2)", "admin (coordinator)".</summary>
    private static string Describe(string subject, Role role, ImmutableArray<string> regions, ImmutableArray<string> projects) =>
        $"{subject} ({RoleName(role)}{(Scope(role, regions, projects) is { } scope ? " of " + scope : "")})";

    /// <summary>The answer of <c>GET /api/whoami</c>.</summary>
    private sealed record WhoAmIAnswer(string Subject, Role Role, ImmutableArray<string> Regions, ImmutableArray<string> Projects, string? TokenId);

    /// <summary>The answer of <c>POST /api/tokens</c>: the token (shown this once) and its record.</summary>
    private sealed record IssuedTokenAnswer(string Token, TokenRecord Record);
}

using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Federation.TestKit;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Federation.Cli.Tests;

/// <summary>fedctl's tokens: where they come from, login and logout, whoami, token create/list/revoke, and 401s and 403s.</summary>
public sealed class FedctlAuthTests : IClassFixture<ServerFixture>, IDisposable
{
    private const string Unauthorized = "fedctl: the server answered 401 A valid bearer token is required.\n";
    private const string Forbidden = "fedctl: the server answered 403 The caller's role does not allow this.\n";
    private const string SendAToken = "send a token as Authorization: Bearer <token> (fedctl login stores one; the server printed a first coordinator token at its first start)";

    private readonly ServerFixture _server;

    /// <summary>The coordinator's runs: the bootstrap token in <c>$FEDCTL_TOKEN</c>.</summary>
    private readonly FedctlHome _coordinator = new();

    public FedctlAuthTests(ServerFixture server)
    {
        _server = server;
        _coordinator.Variables[Fedctl.TokenVariable] = TestTokens.Bootstrap;
    }

    public void Dispose() => _coordinator.Dispose();

    [Fact]
    public async Task Login_stores_the_token_for_the_owner_alone_later_commands_use_it_and_logout_forgets_it()
    {
        using var home = new FedctlHome();

        var login = await home.RunAsync("login", "--token", TestTokens.Bootstrap, "--server", _server.Url);

        Assert.Equal((0, $"Signed in to {_server.Url} as bootstrap (coordinator)\nThe token is stored in {home.CredentialsPath}\n", ""), (login.ExitCode, login.Out, login.Error));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(home.CredentialsPath));
        }

        var stored = JsonNode.Parse(await File.ReadAllTextAsync(home.CredentialsPath))!["servers"]!.AsArray().Single()!;
        Assert.Equal((_server.Url, TestTokens.Bootstrap), (stored["server"]!.GetValue<string>(), stored["token"]!.GetValue<string>()));

        var whoami = await home.RunAsync("whoami", "--server", _server.Url);
        var regions = await home.RunAsync("regions", "--server", _server.Url);
        Assert.Equal((0, $"bootstrap (coordinator) on {_server.Url}, the server's bootstrap token (from {home.CredentialsPath})\n", ""), (whoami.ExitCode, whoami.Out, whoami.Error));
        Assert.Equal((0, ""), (regions.ExitCode, regions.Error));
        Assert.Equal(5, regions.OutLines.Length);

        var logout = await home.RunAsync("logout", "--server", _server.Url);
        var again = await home.RunAsync("logout", "--server", _server.Url);
        var after = await home.RunAsync("whoami", "--server", _server.Url);

        Assert.Equal((0, $"Signed out of {_server.Url}: its token is removed from {home.CredentialsPath}\n"), (logout.ExitCode, logout.Out));
        Assert.False(File.Exists(home.CredentialsPath));
        Assert.Equal((0, $"Not signed in to {_server.Url}: {home.CredentialsPath} holds no token for it\n"), (again.ExitCode, again.Out));
        Assert.Equal(1, after.ExitCode);
        Assert.Equal("", after.Out);
        Assert.Equal(
            Unauthorized + $"  Authorization: no token; {SendAToken}\n"
            + $"fedctl: no token was given (--token, $FEDCTL_TOKEN, or one stored by 'fedctl login' for {_server.Url}): sign in with 'fedctl login'\n",
            after.Error);
    }

    [Fact]
    public async Task Login_reads_the_token_from_stdin_and_a_bad_one_fails_storing_nothing()
    {
        using var home = new FedctlHome();

        var forged = await home.RunWithInputAsync(ForgedToken() + "\n", "login", "--server", _server.Url);
        var empty = await home.RunWithInputAsync("", "login", "--server", _server.Url);

        Assert.Equal((1, ""), (forged.ExitCode, forged.Out));
        Assert.Equal(
            Unauthorized + $"  Authorization: the token is not signed by this server; {SendAToken}\n"
            + "fedctl: the token read from stdin was refused; nothing was stored\n",
            forged.Error);
        Assert.Equal((2, "", "fedctl: no token to sign in with: pass --token <token> or write it on stdin\n"), (empty.ExitCode, empty.Out, empty.Error));
        Assert.False(File.Exists(home.CredentialsPath));

        var good = await home.RunWithInputAsync(TestTokens.Bootstrap + "\n", "login", "--server", _server.Url);
        Assert.Equal((0, $"Signed in to {_server.Url} as bootstrap (coordinator)\nThe token is stored in {home.CredentialsPath}\n"), (good.ExitCode, good.Out));

        // A refused login keeps the token stored before.
        var refused = await home.RunAsync("login", "--token", "not-a-token-of-this-server", "--server", _server.Url);
        Assert.Equal(1, refused.ExitCode);
        Assert.EndsWith("fedctl: the token given with --token was refused; nothing was stored\n", refused.Error, StringComparison.Ordinal);
        Assert.Equal(0, (await home.RunAsync("whoami", "--server", _server.Url)).ExitCode);
    }

    [Fact]
    public async Task A_researchers_token_submits_for_its_project_and_is_refused_another_naming_project()
    {
        var create = await CoordinatorAsync("token", "create", "--subject", "alice", "--role", "researcher", "--project", "p-alice");

        Assert.Equal(0, create.ExitCode);
        var alice = Assert.Single(create.OutLines);
        var issued = Regex.Match(create.Error, "^Issued (tok-[^ ]+) to alice \\(researcher of p-alice\\), expires \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}Z; the token above is shown this once\n$");
        Assert.True(issued.Success, create.Error);
        var id = issued.Groups[1].Value;

        using var home = new FedctlHome();
        var own = await home.RunAsync("submit", "--id", "alice-1", "--project", "p-alice", "--home", "gwangju", "-n", "1", "--hours", "1", "--token", alice, "--server", _server.Url);
        var other = await home.RunAsync("submit", "--id", "alice-2", "--project", "p-bob", "--home", "gwangju", "-n", "1", "--hours", "1", "--token", alice, "--server", _server.Url);
        var jobs = await home.RunAsync("jobs", "--json", "--token", alice, "--server", _server.Url);
        var tokens = await home.RunAsync("token", "list", "--token", alice, "--server", _server.Url);
        var whoami = await home.RunAsync("whoami", "--token", alice, "--server", _server.Url);

        Assert.Equal((0, ""), (own.ExitCode, own.Error));
        Assert.Matches("^Submitted alice-1: (Queued|Running) in gwangju$", own.OutLines[0]);
        Assert.Equal((1, "", Forbidden + "  project: alice (researcher of p-alice) may not submit for project 'p-bob'\n"), (other.ExitCode, other.Out, other.Error));
        var listed = JsonNode.Parse(jobs.Out)!["jobs"]!.AsArray().Single()!;
        Assert.Equal(("alice-1", "alice"), (listed["id"]!.GetValue<string>(), listed["owner"]!.GetValue<string>()));
        Assert.Equal((1, Forbidden + "  Authorization: alice (researcher of p-alice) may not GET /api/tokens: it needs the coordinator role\n"), (tokens.ExitCode, tokens.Error));
        Assert.Equal($"alice (researcher of p-alice) on {_server.Url}, token {id} (from --token)\n", whoami.Out);

        var list = await CoordinatorAsync("token", "list");
        Assert.Equal((0, ""), (list.ExitCode, list.Error));
        Assert.Matches("^ID +SUBJECT +ROLE +SCOPE +ISSUED +EXPIRES +REVOKED$", list.OutLines[0]);
        Assert.Contains(list.OutLines, l => Regex.IsMatch(l, $"^{id} +alice +researcher +p-alice +\\d{{4}}-\\d{{2}}-\\d{{2}} [0-9:]+Z +\\d{{4}}-\\d{{2}}-\\d{{2}} [0-9:]+Z +-$"));
    }

    [Fact]
    public async Task Token_create_prints_the_whole_answer_with_json_and_a_bad_request_names_the_field()
    {
        var json = await CoordinatorAsync("token", "create", "--subject", "ops-1", "--role", "operator", "-r", "daegu", "--expires-in-hours", "2", "--json");
        var noProject = await CoordinatorAsync("token", "create", "--subject", "carol", "--role", "researcher");
        var badRole = await CoordinatorAsync("token", "create", "--subject", "carol", "--role", "admin");

        Assert.Equal((0, ""), (json.ExitCode, json.Error));
        var answer = JsonNode.Parse(json.Out)!;
        Assert.StartsWith("ey", answer["token"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(("ops-1", "operator", "daegu", "bootstrap"), (
            answer["record"]!["subject"]!.GetValue<string>(),
            answer["record"]!["role"]!.GetValue<string>(),
            answer["record"]!["regions"]!.AsArray().Single()!.GetValue<string>(),
            answer["record"]!["issuedBy"]!.GetValue<string>()));
        // The server reads its clock once for the expiry and once more for the issue time, a moment later.
        Assert.InRange(
            answer["record"]!["expiresAt"]!.GetValue<DateTimeOffset>() - answer["record"]!["issuedAt"]!.GetValue<DateTimeOffset>(),
            TimeSpan.FromHours(2) - TimeSpan.FromSeconds(1),
            TimeSpan.FromHours(2));
        Assert.Equal((1, "", "fedctl: the server answered 400 The request is invalid.\n  projects: a researcher's token names at least one project\n"), (noProject.ExitCode, noProject.Out, noProject.Error));
        Assert.Equal(2, badRole.ExitCode);
        Assert.StartsWith("fedctl: ", badRole.Error, StringComparison.Ordinal);
        Assert.Contains("admin", badRole.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_revoked_token_is_refused_at_the_next_command_with_the_401_message()
    {
        var create = await CoordinatorAsync("token", "create", "--subject", "bob", "--role", "operator", "--region", "daegu");
        var bob = Assert.Single(create.OutLines);
        var id = Regex.Match(create.Error, "^Issued (tok-[^ ]+) ").Groups[1].Value;
        using var home = new FedctlHome();
        home.Variables[Fedctl.TokenVariable] = bob;
        var before = await home.RunAsync("whoami", "--server", _server.Url);
        Assert.Equal((0, $"bob (operator of daegu) on {_server.Url}, token {id} (from $FEDCTL_TOKEN)\n"), (before.ExitCode, before.Out));

        var revoke = await CoordinatorAsync("token", "revoke", id);
        var after = await home.RunAsync("region", "daegu", "--server", _server.Url);
        var list = await CoordinatorAsync("token", "list");

        Assert.Equal(0, revoke.ExitCode);
        Assert.Matches($"^Revoked {id} of bob \\(operator of daegu\\) at \\d{{4}}-\\d{{2}}-\\d{{2}} [0-9:]+Z by bootstrap\n$", revoke.Out);
        Assert.Equal((1, ""), (after.ExitCode, after.Out));
        Assert.Equal(
            Unauthorized + $"  Authorization: token {id} was revoked; {SendAToken}\n"
            + "fedctl: the token in $FEDCTL_TOKEN was refused: set a valid one, or unset it and sign in with 'fedctl login'\n",
            after.Error);
        Assert.Contains(list.OutLines, l => Regex.IsMatch(l, $"^{id} +bob +operator +daegu +.* \\d{{4}}-\\d{{2}}-\\d{{2}} [0-9:]+Z by bootstrap$"));

        var missing = await CoordinatorAsync("token", "revoke", "tok-none");
        Assert.Equal((1, "fedctl: the server answered 404 Not found.\n  id: no token has id 'tok-none'\n"), (missing.ExitCode, missing.Error));
    }

    [Fact]
    public async Task A_holder_revokes_their_own_token()
    {
        var create = await CoordinatorAsync("token", "create", "--subject", "dana", "--role", "researcher", "-p", "p-dana");
        var dana = Assert.Single(create.OutLines);
        var id = Regex.Match(create.Error, "^Issued (tok-[^ ]+) ").Groups[1].Value;
        using var home = new FedctlHome();

        var revoke = await home.RunAsync("token", "revoke", id, "--token", dana, "--server", _server.Url);
        var after = await home.RunAsync("whoami", "--token", dana, "--server", _server.Url);

        Assert.Matches($"^Revoked {id} of dana \\(researcher of p-dana\\) at .* by dana\n$", revoke.Out);
        Assert.Equal(
            Unauthorized + $"  Authorization: token {id} was revoked; {SendAToken}\n"
            + "fedctl: the token given with --token was refused: pass a valid one, or leave --token out and sign in with 'fedctl login'\n",
            after.Error);
    }

    [Fact]
    public async Task The_token_option_beats_the_variable_which_beats_the_file_and_a_file_for_another_server_is_not_used()
    {
        var alice = Assert.Single((await CoordinatorAsync("token", "create", "--subject", "erin", "--role", "researcher", "-p", "p-erin")).OutLines);
        var bob = Assert.Single((await CoordinatorAsync("token", "create", "--subject", "fred", "--role", "operator", "-r", "gwangju")).OutLines);
        using var home = new FedctlHome();
        Assert.Equal(0, (await home.RunAsync("login", "--token", TestTokens.Bootstrap, "--server", _server.Url)).ExitCode);
        home.Variables[Fedctl.TokenVariable] = alice;

        var option = await home.RunAsync("whoami", "--token", bob, "--server", _server.Url);
        var variable = await home.RunAsync("whoami", "--server", _server.Url);
        home.Variables.Remove(Fedctl.TokenVariable);
        var file = await home.RunAsync("whoami", "--server", _server.Url);

        Assert.Matches($"^fred \\(operator of gwangju\\) on {Regex.Escape(_server.Url)}, token tok-[^ ]+ \\(from --token\\)\n$", option.Out);
        Assert.Matches($"^erin \\(researcher of p-erin\\) on {Regex.Escape(_server.Url)}, token tok-[^ ]+ \\(from \\$FEDCTL_TOKEN\\)\n$", variable.Out);
        Assert.Equal($"bootstrap (coordinator) on {_server.Url}, the server's bootstrap token (from {home.CredentialsPath})\n", file.Out);

        using var elsewhere = new FedctlHome();
        new CredentialStore(elsewhere.CredentialsPath).Store("http://127.0.0.1:1", TestTokens.Bootstrap);
        var other = await elsewhere.RunAsync("whoami", "--server", _server.Url);
        Assert.Equal(1, other.ExitCode);
        Assert.EndsWith($"fedctl: no token was given (--token, $FEDCTL_TOKEN, or one stored by 'fedctl login' for {_server.Url}): sign in with 'fedctl login'\n", other.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_lists_the_token_commands_and_where_the_token_comes_from()
    {
        var run = await FedctlRun.RunAsync("--help");

        Assert.Equal(0, run.ExitCode);
        // The help wraps to the terminal's width.
        Assert.Contains("--token, else $FEDCTL_TOKEN, else the one 'fedctl login' stored for the server", Regex.Replace(run.Out, "\\s+", " "), StringComparison.Ordinal);
        foreach (var command in new[] { "login", "logout", "whoami", "token", "--token" })
        {
            Assert.Matches($"(?m)^  {command} ", run.Out);
        }
    }

    private Task<FedctlRun> CoordinatorAsync(params string[] args) => _coordinator.RunAsync([.. args, "--server", _server.Url]);

    /// <summary>A well-formed token of the server's issuer and audience, signed with another key.</summary>
    private static string ForgedToken() => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = "megaregion-federation",
        Audience = "megaregion-federation",
        Claims = new Dictionary<string, object> { ["sub"] = "mallory", ["role"] = "coordinator", ["jti"] = "tok-forged" },
        Expires = DateTime.UtcNow.AddHours(1),
        SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)), SecurityAlgorithms.HmacSha256),
    });
}

/// <summary>Where the credentials file is: <c>$FEDCTL_CONFIG_DIR</c>, else <c>$XDG_CONFIG_HOME/fedctl</c>, else <c>~/.config/fedctl</c>.</summary>
public sealed class CredentialStoreTests
{
    [Theory]
    [InlineData("/tmp/mine", "/xdg", "/home/u", "/tmp/mine/credentials.json")]
    [InlineData(null, "/xdg", "/home/u", "/xdg/fedctl/credentials.json")]
    [InlineData(null, "relative/xdg", "/home/u", "/home/u/.config/fedctl/credentials.json")]
    [InlineData(null, null, "/home/u", "/home/u/.config/fedctl/credentials.json")]
    public void The_file_is_found_from_the_environment(string? configDirectory, string? xdg, string home, string expected)
    {
        var variables = new Dictionary<string, string?> { ["FEDCTL_CONFIG_DIR"] = configDirectory, ["XDG_CONFIG_HOME"] = xdg, ["HOME"] = home };

        var store = CredentialStore.For(new FedctlEnvironment(TextReader.Null, inputIsTerminal: false, name => variables.GetValueOrDefault(name)));

        Assert.Equal(expected, store.Path);
    }

    [Theory]
    [InlineData("http://LocalHost:80/", "http://localhost")]
    [InlineData("https://fed.example:5443/base/", "https://fed.example:5443/base")]
    [InlineData("http://127.0.0.1:5080", "http://127.0.0.1:5080")]
    public void Servers_are_keyed_by_their_normal_form(string server, string expected) => Assert.Equal(expected, CredentialStore.Normalize(server));
}

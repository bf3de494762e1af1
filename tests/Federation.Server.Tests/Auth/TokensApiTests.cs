using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Json.Nodes;
using Federation.Server.Auth;
using Federation.TestKit;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Federation.Server.Tests.Auth;

/// <summary>Tokens as a coordinator issues, lists and revokes them, and what the server refuses of a token.</summary>
public sealed class TokensApiTests : IAsyncLifetime
{
    private ServerHost _server = null!;

    public async Task InitializeAsync() => _server = await ServerHost.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task An_issued_token_names_its_holder_until_it_is_revoked_and_is_refused_at_once_after()
    {
        var (token, id) = await IssueAsync("""{"subject": "cho", "role": "operator", "regions": ["gwangju", "daegu", "gwangju"], "expiresInHours": 2}""");
        using var holder = _server.NewClient(token);

        var me = JsonNode.Parse(await holder.GetStringAsync("api/whoami"))!;
        Assert.Equal("cho", me["subject"]!.GetValue<string>());
        Assert.Equal("operator", me["role"]!.GetValue<string>());
        Assert.Equal(["daegu", "gwangju"], me["regions"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Equal(id, me["tokenId"]!.GetValue<string>());

        // The registry lists it (never the token itself), with who issued it and for how long.
        var listed = JsonNode.Parse(await _server.Client.GetStringAsync("api/tokens"))!["tokens"]!.AsArray().Single(t => t!["id"]!.GetValue<string>() == id)!;
        Assert.Equal("bootstrap", listed["issuedBy"]!.GetValue<string>());
        Assert.Equal(TimeSpan.FromHours(2), listed["expiresAt"]!.GetValue<DateTimeOffset>() - listed["issuedAt"]!.GetValue<DateTimeOffset>());
        Assert.DoesNotContain(token, listed.ToJsonString(), StringComparison.Ordinal);

        using var revoked = await _server.Client.DeleteAsync($"api/tokens/{id}");
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.Equal("bootstrap", JsonNode.Parse(await revoked.Content.ReadAsStringAsync())!["revokedBy"]!.GetValue<string>());

        using var refused = await holder.GetAsync("api/whoami");
        await AssertUnauthorizedAsync(refused, $"token {id} was revoked");
    }

    [Fact]
    public async Task A_holder_revokes_their_own_token_and_no_one_elses()
    {
        var (token, id) = await IssueAsync("""{"subject": "ana", "role": "researcher", "projects": ["p"]}""");
        var (_, otherId) = await IssueAsync("""{"subject": "ben", "role": "researcher", "projects": ["p"]}""");
        using var holder = _server.NewClient(token);

        using var notTheirs = await holder.DeleteAsync($"api/tokens/{otherId}");
        Assert.Equal(HttpStatusCode.NotFound, notTheirs.StatusCode);
        Assert.Null(JsonNode.Parse(await _server.Client.GetStringAsync("api/tokens"))!["tokens"]!.AsArray().Single(t => t!["id"]!.GetValue<string>() == otherId)!["revokedAt"]);

        using var own = await holder.DeleteAsync($"api/tokens/{id}");
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal("ana", JsonNode.Parse(await own.Content.ReadAsStringAsync())!["revokedBy"]!.GetValue<string>());
        using var after = await holder.GetAsync("api/whoami");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Theory]
    [InlineData("""{"subject": "", "role": "coordinator"}""", "subject")]
    [InlineData("""{"subject": "a\u0007b", "role": "coordinator"}""", "subject")]
    [InlineData("""{"subject": "ana", "role": "admin"}""", "role")]
    [InlineData("""{"subject": "ana", "role": "researcher"}""", "projects")]
    [InlineData("""{"subject": "ana", "role": "operator", "regions": ["busan"]}""", "regions[0]")]
    [InlineData("""{"subject": "ana", "role": "coordinator", "projects": ["p"]}""", "projects")]
    [InlineData("""{"subject": "ana", "role": "researcher", "projects": ["p"], "expiresInHours": 0}""", "expiresInHours")]
    [InlineData("""{"subject": "ana", "role": "researcher", "projects": ["p"], "expiresInHours": 9000}""", "expiresInHours")]
    [InlineData("""{"subject": "ana", "role": "researcher", "projects": ["p"], "scope": "all"}""", "scope")]
    public async Task A_bad_token_request_names_the_field_and_issues_nothing(string body, string field)
    {
        var before = JsonNode.Parse(await _server.Client.GetStringAsync("api/tokens"))!["tokens"]!.AsArray().Count;
        using var response = await _server.PostJsonAsync("api/tokens", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.NotNull(problem["errors"]![field]);
        Assert.Equal(before, JsonNode.Parse(await _server.Client.GetStringAsync("api/tokens"))!["tokens"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_token_that_is_expired_forged_or_not_a_bearer_token_is_refused_saying_why()
    {
        var key = new SymmetricSecurityKey(Encoding.UTF8.GetBytes("another-key-of-32-bytes-or-more-0123456789"));
        var forged = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = AuthOptions.LocalIssuer,
            Audience = AuthOptions.LocalIssuer,
            Claims = new Dictionary<string, object> { ["sub"] = "mallory", ["role"] = "coordinator" },
            Expires = DateTime.UtcNow.AddHours(1),
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        });
        using (var response = await _server.NewClient(forged).GetAsync("api/whoami"))
        {
            await AssertUnauthorizedAsync(response, "the token is not signed by this server");
        }

        // An expired token of this server's: signed with its own key, expired a minute ago.
        var tokens = _server.Services.GetRequiredService<TokenService>();
        var expired = tokens.Sign(new Contracts.TokenRecord { Id = "tok-old", Subject = "old", Role = Contracts.Role.Coordinator, IssuedAt = DateTimeOffset.UtcNow.AddHours(-2), ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(-1) });
        using (var response = await _server.NewClient(expired).GetAsync("api/whoami"))
        {
            await AssertUnauthorizedAsync(response, "the token has expired");
        }

        using var basic = new HttpRequestMessage(HttpMethod.Get, "api/whoami");
        basic.Headers.Authorization = new AuthenticationHeaderValue("Basic", "YWRtaW46YWRtaW4=");
        using (var response = await _server.NewClient().SendAsync(basic))
        {
            await AssertUnauthorizedAsync(response, "the token is not a bearer token");
        }

        using (var response = await _server.NewClient().GetAsync("api/regions"))
        {
            await AssertUnauthorizedAsync(response, "no token");
        }
    }

    [Fact]
    public async Task The_live_feed_takes_its_token_from_the_query_and_no_other_endpoint_does()
    {
        using var anonymous = _server.NewClient();
        using (var live = await anonymous.GetAsync($"api/live?access_token={TestTokens.Bootstrap}", HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }

        using var regions = await anonymous.GetAsync($"api/regions?access_token={TestTokens.Bootstrap}");
        Assert.Equal(HttpStatusCode.Unauthorized, regions.StatusCode);
    }

    [Fact]
    public async Task Metrics_and_the_dashboard_answer_another_host_only_with_a_coordinators_token()
    {
        var authorization = _server.Services.GetRequiredService<IAuthorizationService>();
        var remote = new DefaultHttpContext();
        remote.Connection.RemoteIpAddress = IPAddress.Parse("10.1.2.3");
        var local = new DefaultHttpContext();
        local.Connection.RemoteIpAddress = IPAddress.Loopback;

        async Task<bool> AllowedAsync(HttpContext context, ClaimsPrincipal user) =>
            (await authorization.AuthorizeAsync(user, context, AuthSetup.CoordinatorOrLoopbackPolicy)).Succeeded;

        var anonymous = new ClaimsPrincipal(new ClaimsIdentity());
        var researcher = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "ana"), new Claim("role", "researcher"), new Claim("project", "p")], "test", "sub", "role"));
        var coordinator = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", "kim"), new Claim("role", "coordinator")], "test", "sub", "role"));
        Assert.Equal(new[] { false, false, true }, new[] { await AllowedAsync(remote, anonymous), await AllowedAsync(remote, researcher), await AllowedAsync(remote, coordinator) });
        Assert.Equal(new[] { true, true, true }, new[] { await AllowedAsync(local, anonymous), await AllowedAsync(local, researcher), await AllowedAsync(local, coordinator) });
    }

    [Theory]
    [InlineData("--Federation:Auth:BootstrapToken=short", "Federation:Auth:BootstrapToken must be at least 32 characters")]
    [InlineData("--Federation:Auth:TokenLifetime=00:00:00", "Federation:Auth:TokenLifetime must be more than 0")]
    [InlineData("--Federation:Auth:Authority=http://issuer.example", "Federation:Auth:Authority must be https")]
    [InlineData("--Federation:Auth:Authority=not a url", "Federation:Auth:Authority must be an absolute http(s) URL")]
    public void A_bad_auth_setting_stops_the_server_naming_it(string setting, string message)
    {
        var builder = FederationServer.CreateBuilder(["--storage", "memory", setting]);
        var options = builder.Services.BuildServiceProvider().GetRequiredService<IOptions<AuthOptions>>();
        var e = Assert.Throws<OptionsValidationException>(() => options.Value);
        Assert.Contains(e.Failures, f => f.StartsWith(message, StringComparison.Ordinal));
    }

    private async Task<(string Token, string Id)> IssueAsync(string request)
    {
        using var response = await _server.PostJsonAsync("api/tokens", request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var issued = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return (issued["token"]!.GetValue<string>(), issued["record"]!["id"]!.GetValue<string>());
    }

    private static async Task AssertUnauthorizedAsync(HttpResponseMessage response, string why)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var message = Assert.Single(problem["errors"]!["Authorization"]!.AsArray())!.GetValue<string>();
        Assert.StartsWith(why, message, StringComparison.Ordinal);
    }
}

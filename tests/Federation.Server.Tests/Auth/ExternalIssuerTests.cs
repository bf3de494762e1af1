using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Federation.TestKit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Federation.Server.Tests.Auth;

/// <summary>
/// With <c>Federation:Auth:Authority</c> set, tokens come from an OpenID Connect issuer: here one on loopback serving its
/// discovery document and its RSA key, as Keycloak or an institution's identity provider would.
/// </summary>
public sealed class ExternalIssuerTests : IAsyncLifetime
{
    private const string Audience = "federation-api";
    private readonly RsaSecurityKey _key = new(RSA.Create(2048)) { KeyId = "issuer-key-1" };
    private WebApplication _issuer = null!;
    private string _authority = "";
    private ServerHost _server = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _issuer = builder.Build();
        _issuer.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = _authority,
            ["jwks_uri"] = _authority + "/jwks",
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
        }));
        _issuer.MapGet("/jwks", () =>
        {
            var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_key.Rsa.ExportParameters(false)) { KeyId = _key.KeyId });
            return Results.Json(new { keys = new[] { new { kty = jwk.Kty, kid = jwk.Kid, use = "sig", alg = "RS256", n = jwk.N, e = jwk.E } } });
        });
        await _issuer.StartAsync();
        _authority = _issuer.Urls.Single();
        _server = await ServerHost.StartAsync(null, $"--Federation:Auth:Authority={_authority}", "--Federation:Auth:RequireHttpsMetadata=false", $"--Federation:Auth:Audience={Audience}");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _issuer.DisposeAsync();
    }

    [Fact]
    public async Task The_issuers_token_names_the_caller_and_their_role_and_scope()
    {
        var token = Sign(new Dictionary<string, object> { ["sub"] = "ana@uni.example", ["role"] = "researcher", ["project"] = new[] { "p1", "p2" }, ["jti"] = "ext-1" });
        var me = JsonNode.Parse(await _server.NewClient(token).GetStringAsync("api/whoami"))!;
        Assert.Equal("ana@uni.example", me["subject"]!.GetValue<string>());
        Assert.Equal("researcher", me["role"]!.GetValue<string>());
        Assert.Equal(["p1", "p2"], me["projects"]!.AsArray().Select(p => p!.GetValue<string>()));
    }

    [Fact]
    public async Task A_token_without_a_role_of_another_audience_or_another_key_is_refused()
    {
        using (var noRole = await _server.NewClient(Sign(new Dictionary<string, object> { ["sub"] = "ana" })).GetAsync("api/whoami"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, noRole.StatusCode);
            Assert.Contains("names no subject or no role", await noRole.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var otherAudience = await _server.NewClient(Sign(new Dictionary<string, object> { ["sub"] = "ana", ["role"] = "coordinator" }, audience: "another-api")).GetAsync("api/whoami"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, otherAudience.StatusCode);
        }

        var stranger = new RsaSecurityKey(RSA.Create(2048)) { KeyId = "issuer-key-1" };
        using var forged = await _server.NewClient(Sign(new Dictionary<string, object> { ["sub"] = "mallory", ["role"] = "coordinator" }, key: stranger)).GetAsync("api/whoami");
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
    }

    [Fact]
    public async Task The_server_issues_no_tokens_of_its_own_and_the_bootstrap_token_still_works()
    {
        using var issue = await _server.PostJsonAsync("api/tokens", """{"subject": "ana", "role": "coordinator"}""");
        Assert.Equal(HttpStatusCode.Conflict, issue.StatusCode);
        Assert.NotNull(JsonNode.Parse(await issue.Content.ReadAsStringAsync())!["errors"]!["Authorization"]);
        Assert.Equal("bootstrap", JsonNode.Parse(await _server.Client.GetStringAsync("api/whoami"))!["subject"]!.GetValue<string>());
    }

    private string Sign(Dictionary<string, object> claims, string audience = Audience, RsaSecurityKey? key = null) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _authority,
            Audience = audience,
            Claims = claims,
            Expires = DateTime.UtcNow.AddHours(1),
            SigningCredentials = new SigningCredentials(key ?? _key, SecurityAlgorithms.RsaSha256),
        });
}

using System.Net;
using Federation.Contracts;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Microsoft.OpenApi;

namespace Federation.Server.Auth;

/// <summary>
/// Bearer tokens on every endpoint: JwtBearer validates the server's own tokens (or an external issuer's), the bootstrap
/// token is taken before it, and every endpoint requires an authenticated caller unless it says otherwise
/// (<c>/health</c>, the OpenAPI document; the console's files are static and hold no data). Roles are checked by the
/// coordinator policy on the policy endpoints and by <see cref="Access"/> in the others.
/// </summary>
public static class AuthSetup
{
    /// <summary>Coordinators only.</summary>
    public const string CoordinatorPolicy = "coordinator";

    /// <summary>Coordinators, or any connection from the server's own machine (<c>/metrics</c> for a local Prometheus, the dashboard).</summary>
    public const string CoordinatorOrLoopbackPolicy = "coordinator-or-loopback";

    /// <summary>The live feed's path: a browser's EventSource cannot send a header, so its token may come as <c>?access_token=</c>.</summary>
    public const string LivePath = "/api/live";

    private const string FailureKey = "federation.auth.failure";

    public static IServiceCollection AddFederationAuth(this IServiceCollection services)
    {
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        services.AddSingleton<TokenService>();
        services.AddHostedService<TokenStartup>();
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).Configure<TokenService, IOptions<AuthOptions>>(Configure);
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().RequireClaim(Caller.Claims.Role).Build())
            .AddPolicy(CoordinatorPolicy, static p => p.RequireAuthenticatedUser().RequireRole("coordinator"))
            .AddPolicy(CoordinatorOrLoopbackPolicy, static p => p.RequireAssertion(static context =>
                context.User.IsInRole("coordinator") || (context.Resource is HttpContext http && IsLoopback(http))));
        return services;
    }

    /// <summary>Whether the request came over loopback (the server's own machine).</summary>
    public static bool IsLoopback(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } address && IPAddress.IsLoopback(address);

    /// <summary>Why a request was refused, for its problem details: 401 names the token's fault, 403 the caller and what it lacks.</summary>
    public static string Refusal(HttpContext context, int status)
    {
        if (status == StatusCodes.Status401Unauthorized)
        {
            var why = context.Items.TryGetValue(FailureKey, out var failure) && failure is string text ? text + "; " : "";
            return why + "send a token as Authorization: Bearer <token> (fedctl login stores one; the server printed a first coordinator token at its first start)";
        }

        return Caller.TryOf(context.User) is { } caller
            ? $"{caller.Describe()} may not {context.Request.Method} {context.Request.Path}: it needs the coordinator role"
            : $"{context.Request.Method} {context.Request.Path} needs a coordinator's token (or a connection from the server's own machine)";
    }

    /// <summary>The OpenAPI document's security scheme: a bearer token (a JWT) on the API (/health answers without one, with less).</summary>
    internal static void DescribeBearer(OpenApiDocument document)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>(StringComparer.Ordinal);
        document.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "A token from POST /api/tokens (fedctl token create), the first coordinator token the server printed, the configured bootstrap token, or the configured OpenID Connect issuer.",
        };
        document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] }];
    }

    private static void Configure(JwtBearerOptions o, TokenService tokens, IOptions<AuthOptions> auth)
    {
        var options = auth.Value;
        o.MapInboundClaims = false;
        o.RequireHttpsMetadata = options.RequireHttpsMetadata;
        if (options.External)
        {
            o.Authority = options.Authority;
            o.Audience = options.Audience;
            o.TokenValidationParameters.NameClaimType = "sub";
        }
        else
        {
            o.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = AuthOptions.LocalIssuer,
                ValidAudience = AuthOptions.LocalIssuer,
                ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                IssuerSigningKeyResolver = (_, _, _, _) => tokens.Key is { } key ? [key] : [],
                RequireExpirationTime = true,
                LifetimeValidator = (notBefore, expires, _, _) => tokens.ValidLifetime(notBefore, expires),
                NameClaimType = Caller.Claims.Subject,
                RoleClaimType = Caller.Claims.Role,
            };
        }

        o.Events = new JwtBearerEvents
        {
            OnMessageReceived = context =>
            {
                // The token is in the header; on the live feed's path also in the query (a browser's EventSource sends
                // no headers). The bootstrap token is no JWT: it is taken here, wherever it came from.
                var header = context.Request.Headers.Authorization.ToString();
                string? token = null;
                if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
                {
                    token = header["Bearer ".Length..].Trim();
                }
                else if (header.Length == 0 && context.Request.Path.Equals(LivePath, StringComparison.Ordinal)
                    && context.Request.Query["access_token"].ToString() is { Length: > 0 } query)
                {
                    token = query;
                    context.Token = query;
                }

                if (token is not null && tokens.IsBootstrap(token))
                {
                    context.Principal = TokenService.BootstrapPrincipal;
                    context.Success();
                }

                return Task.CompletedTask;
            },
            OnTokenValidated = context =>
            {
                var principal = context.Principal!;
                if (options.External)
                {
                    principal = new System.Security.Claims.ClaimsPrincipal(tokens.MapExternal(principal));
                    context.Principal = principal;
                }

                if (Caller.TryOf(principal) is not { } caller)
                {
                    context.Fail("the token names no subject or no role (researcher, operator or coordinator)");
                }
                else if (caller.TokenId is { } id && tokens.IsRevoked(id))
                {
                    context.Fail($"token {id} was revoked");
                }
                else if (caller.Role == Role.Operator && caller.Regions.Count == 0)
                {
                    context.Fail("an operator's token must name a region");
                }
                else if (caller.Role == Role.Researcher && caller.Projects.Count == 0)
                {
                    context.Fail("a researcher's token must name a project");
                }

                return Task.CompletedTask;
            },
            OnChallenge = context =>
            {
                context.HttpContext.Items[FailureKey] = context.AuthenticateFailure switch
                {
                    null => context.Request.Headers.Authorization.Count == 0 ? "no token" : "the token is not a bearer token",
                    SecurityTokenExpiredException or SecurityTokenInvalidLifetimeException => "the token has expired (or is not valid yet)",
                    SecurityTokenSignatureKeyNotFoundException when tokens.Key is null && !options.External => "the server has not loaded its signing key yet (its token registry cannot be reached); try again shortly",
                    SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "the token is not signed by this server",
                    SecurityTokenMalformedException => "the token is not a well-formed JWT",
                    SecurityTokenInvalidIssuerException or SecurityTokenInvalidAudienceException => "the token was issued for another service",
                    var failure => failure.Message,
                };
                return Task.CompletedTask;
            },
        };
    }
}

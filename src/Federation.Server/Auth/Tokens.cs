using System.Collections.Immutable;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Federation.Contracts;
using Federation.Grains.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Federation.Server.Auth;

/// <summary>
/// The server's own tokens: signs them with the registry's key (HMAC-SHA256, loaded once the silo runs) and says which
/// are revoked. Each silo keeps the revoked ids in memory: the registry tells every silo of a revocation before the
/// revocation answers (this class is the silo's <see cref="ITokenObserver"/>), and the silo also reads them every
/// <see cref="AuthOptions.RevocationRefresh"/> in case it missed one.
/// </summary>
public sealed class TokenService : ITokenObserver
{
    private readonly GrainReferences _grains;
    private readonly IOptions<AuthOptions> _options;
    private readonly TimeProvider _time;
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private volatile SymmetricSecurityKey? _key;
    private volatile Revocations _revoked = new();
    private byte[]? _bootstrap;

    public TokenService(GrainReferences grains, IOptions<AuthOptions> options, TimeProvider time)
    {
        _grains = grains;
        _options = options;
        _time = time;
        if (options.Value.BootstrapToken is { Length: > 0 } bootstrap)
        {
            _bootstrap = Encoding.UTF8.GetBytes(bootstrap);
        }
    }

    /// <summary>The key, once <see cref="StartAsync"/> loaded it; tokens are refused before.</summary>
    public SecurityKey? Key => _key;

    /// <summary>The principal of the bootstrap token.</summary>
    public static ClaimsPrincipal BootstrapPrincipal { get; } = new(new ClaimsIdentity(
        [new Claim(Caller.Claims.Subject, "bootstrap"), new Claim(Caller.Claims.Role, "coordinator")],
        "Bootstrap",
        Caller.Claims.Subject,
        Caller.Claims.Role));

    /// <summary>Loads the key (creating it on the first start ever: then true) and the revocations.</summary>
    public async Task<bool> StartAsync()
    {
        var key = await _grains.Tokens.GetKeyAsync();
        _key = new SymmetricSecurityKey([.. key.Key]) { KeyId = "federation" };
        await RefreshAsync();
        return key.Created;
    }

    /// <summary>Reads the revocations from the registry (keeps the newer of those and what this silo was told).</summary>
    public async Task RefreshAsync() => Take(await _grains.Tokens.GetRevocationsAsync());

    public Task RevokedAsync(Revocations revocations)
    {
        Take(revocations);
        return Task.CompletedTask;
    }

    /// <summary>What a revocation through this silo answered: taken here at once, whatever the registry's calls to silos did.</summary>
    public void Take(Revocations revocations)
    {
        ArgumentNullException.ThrowIfNull(revocations);
        Revocations current;
        do
        {
            current = _revoked;
            if (revocations.Version < current.Version)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _revoked, revocations, current) != current);
    }

    public bool IsRevoked(string tokenId) => _revoked.Ids.Contains(tokenId);

    /// <summary>Whether <paramref name="token"/> is the configured bootstrap token (compared in fixed time).</summary>
    public bool IsBootstrap(string token)
    {
        if (_bootstrap is not { } expected)
        {
            return false;
        }

        var given = Encoding.UTF8.GetBytes(token);
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }

    /// <summary>The signed token of a record the registry stored.</summary>
    public string Sign(TokenRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var key = _key ?? throw new InvalidOperationException("the signing key is not loaded yet");
        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            [Caller.Claims.Subject] = record.Subject,
            [Caller.Claims.Role] = Caller.Name(record.Role),
            [Caller.Claims.TokenId] = record.Id,
        };
        if (record.Regions.Length > 0)
        {
            claims[Caller.Claims.Region] = record.Regions.ToArray();
        }

        if (record.Projects.Length > 0)
        {
            claims[Caller.Claims.Project] = record.Projects.ToArray();
        }

        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = AuthOptions.LocalIssuer,
            Audience = AuthOptions.LocalIssuer,
            Claims = claims,
            IssuedAt = record.IssuedAt.UtcDateTime,
            NotBefore = record.IssuedAt.UtcDateTime,
            Expires = record.ExpiresAt.UtcDateTime,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>Whether a token's lifetime holds now, on the server's clock (the one its tokens were issued on).</summary>
    public bool ValidLifetime(DateTime? notBefore, DateTime? expires)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        return expires is { } e && now < e && (notBefore is not { } nb || nb <= now.AddMinutes(5));
    }

    /// <summary>The lifetime of a requested token: its own, else the configured default.</summary>
    public TimeSpan LifetimeOf(TokenRequest request) =>
        request.ExpiresInHours is { } hours ? TimeSpan.FromHours(hours) : _options.Value.TokenLifetime;

    /// <summary>The first coordinator token, printed once (at the first start, when the key was created).</summary>
    public async Task<string> IssueFirstAsync()
    {
        var request = new TokenRequest { Subject = "admin", Role = Role.Coordinator };
        var record = await _grains.Tokens.IssueAsync(request, "server", LifetimeOf(request));
        return Sign(record);
    }

    /// <summary>The role claims of an external issuer's token mapped onto <see cref="Caller.Claims"/> (a token with no valid role stays unauthenticated for the API).</summary>
    public ClaimsIdentity MapExternal(ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var o = _options.Value;
        var claims = new List<Claim>();
        if (principal.FindFirst("sub")?.Value is { } sub)
        {
            claims.Add(new Claim(Caller.Claims.Subject, sub));
        }

        if (principal.FindFirst(o.RoleClaim)?.Value is { } role)
        {
            claims.Add(new Claim(Caller.Claims.Role, role));
        }

        claims.AddRange(principal.FindAll(o.RegionClaim).Select(static c => new Claim(Caller.Claims.Region, c.Value)));
        claims.AddRange(principal.FindAll(o.ProjectClaim).Select(static c => new Claim(Caller.Claims.Project, c.Value)));
        if (principal.FindFirst("jti")?.Value is { } jti)
        {
            claims.Add(new Claim(Caller.Claims.TokenId, jti));
        }

        return new ClaimsIdentity(claims, "External", Caller.Claims.Subject, Caller.Claims.Role);
    }

    internal static ImmutableArray<string> Distinct(ImmutableArray<string> values) =>
        values.IsDefault ? [] : [.. values.Distinct(StringComparer.Ordinal)];
}

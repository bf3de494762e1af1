using Microsoft.Extensions.Options;

namespace Federation.Server.Auth;

/// <summary>
/// Who may call the server, bound from <c>Federation:Auth</c>. By default the server issues its own bearer tokens, signed
/// with a key it creates at its first start and keeps with its state (the data directory's grain store, or PostgreSQL
/// for a cluster), and prints a first coordinator token then. With <see cref="Authority"/> set, tokens come from that
/// OpenID Connect issuer instead.
/// </summary>
public sealed class AuthOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Federation:Auth";

    /// <summary>The issuer and audience of the server's own tokens.</summary>
    public const string LocalIssuer = "megaregion-federation";

    /// <summary>Shortest accepted <see cref="BootstrapToken"/>.</summary>
    public const int MinBootstrapTokenLength = 32;

    /// <summary>Default of <see cref="TokenLifetime"/>.</summary>
    public static readonly TimeSpan DefaultTokenLifetime = TimeSpan.FromDays(30);

    /// <summary>Longest token a coordinator may issue.</summary>
    public static readonly TimeSpan MaxTokenLifetime = TimeSpan.FromDays(366);

    /// <summary>
    /// A coordinator token fixed at start, for automation (CI, scripts that start a server): a secret of at least
    /// <see cref="MinBootstrapTokenLength"/> characters, sent as <c>Authorization: Bearer …</c>. It names the subject
    /// <c>bootstrap</c>, never expires and cannot be revoked (remove it from the configuration and restart).
    /// </summary>
    public string? BootstrapToken { get; set; }

    /// <summary>How long a token issued without an expiry lasts.</summary>
    public TimeSpan TokenLifetime { get; set; } = DefaultTokenLifetime;

    /// <summary>An external OpenID Connect issuer (its discovery document is at <c>{Authority}/.well-known/openid-configuration</c>).</summary>
    public string? Authority { get; set; }

    /// <summary>The audience an external issuer's tokens must carry.</summary>
    public string Audience { get; set; } = LocalIssuer;

    /// <summary>Whether an external issuer must be reached over HTTPS (turn off only for an issuer on loopback).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>The claim that carries the role (<c>researcher</c>, <c>operator</c>, <c>coordinator</c>).</summary>
    public string RoleClaim { get; set; } = "role";

    /// <summary>The claim (one or several) naming an operator's regions.</summary>
    public string RegionClaim { get; set; } = "region";

    /// <summary>The claim (one or several) naming a researcher's projects.</summary>
    public string ProjectClaim { get; set; } = "project";

    /// <summary>How often a silo reads the revocations besides being told of each (a silo that missed one).</summary>
    public TimeSpan RevocationRefresh { get; set; } = TimeSpan.FromSeconds(5);

    public bool External => !string.IsNullOrWhiteSpace(Authority);
}

/// <summary>Validates <see cref="AuthOptions"/>; each message names the setting.</summary>
public sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string Prefix = AuthOptions.SectionName + ":";
        var failures = new List<string>();
        if (options.BootstrapToken is { } bootstrap && (bootstrap.Length < AuthOptions.MinBootstrapTokenLength || bootstrap.Any(static c => char.IsWhiteSpace(c) || char.IsControl(c))))
        {
            failures.Add($"{Prefix}{nameof(AuthOptions.BootstrapToken)} must be at least {AuthOptions.MinBootstrapTokenLength} characters with no spaces or control characters (it is a secret: generate one, e.g. openssl rand -hex 32).");
        }

        if (options.TokenLifetime <= TimeSpan.Zero || options.TokenLifetime > AuthOptions.MaxTokenLifetime)
        {
            failures.Add($"{Prefix}{nameof(AuthOptions.TokenLifetime)} must be more than 0 and at most {AuthOptions.MaxTokenLifetime.TotalDays} days, was {options.TokenLifetime}.");
        }

        if (options.External)
        {
            if (!Uri.TryCreate(options.Authority, UriKind.Absolute, out var authority) || (authority.Scheme != Uri.UriSchemeHttps && authority.Scheme != Uri.UriSchemeHttp))
            {
                failures.Add($"{Prefix}{nameof(AuthOptions.Authority)} must be an absolute http(s) URL, was '{options.Authority}'.");
            }
            else if (options.RequireHttpsMetadata && authority.Scheme != Uri.UriSchemeHttps)
            {
                failures.Add($"{Prefix}{nameof(AuthOptions.Authority)} must be https (or set {Prefix}{nameof(AuthOptions.RequireHttpsMetadata)}=false for an issuer on loopback), was '{options.Authority}'.");
            }

            if (string.IsNullOrWhiteSpace(options.Audience))
            {
                failures.Add($"{Prefix}{nameof(AuthOptions.Audience)} must name the audience the issuer's tokens carry.");
            }
        }

        foreach (var (key, value) in new[] { (nameof(AuthOptions.RoleClaim), options.RoleClaim), (nameof(AuthOptions.RegionClaim), options.RegionClaim), (nameof(AuthOptions.ProjectClaim), options.ProjectClaim) })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                failures.Add($"{Prefix}{key} must name a claim.");
            }
        }

        if (options.RevocationRefresh <= TimeSpan.Zero || options.RevocationRefresh > TimeSpan.FromMinutes(5))
        {
            failures.Add($"{Prefix}{nameof(AuthOptions.RevocationRefresh)} must be more than 0 and at most 5 minutes, was {options.RevocationRefresh}.");
        }

        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}

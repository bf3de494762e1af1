using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Orleans.Concurrency;

namespace Federation.Contracts;

/// <summary>The three kinds of users, and what each may do (docs/security.md has the whole matrix).</summary>
[GenerateSerializer, Alias("federation.Role")]
[JsonConverter(typeof(JsonStringEnumConverter<Role>))]
public enum Role
{
    /// <summary>Submits, sees and cancels the jobs of the projects they belong to.</summary>
    [JsonStringEnumMemberName("researcher")]
    Researcher = 0,

    /// <summary>Runs a regional center: changes its region's offer and drain, sees the jobs that run there.</summary>
    [JsonStringEnumMemberName("operator")]
    Operator = 1,

    /// <summary>Sees everything, sets policy (allocations, residency), issues and revokes tokens.</summary>
    [JsonStringEnumMemberName("coordinator")]
    Coordinator = 2,
}

/// <summary>The body of <c>POST /api/tokens</c>: whom the token names and what it lets them do.</summary>
[GenerateSerializer, Immutable, Alias("federation.TokenRequest")]
public sealed record TokenRequest
{
    /// <summary>Who holds it (a person or a service account): the owner of the jobs it submits.</summary>
    [Id(0)]
    public string Subject { get; init; } = "";

    [Id(1)]
    public Role Role { get; init; }

    /// <summary>An operator's regions (at least one); empty for the other roles.</summary>
    [Id(2)]
    public ImmutableArray<string> Regions { get; init; } = [];

    /// <summary>A researcher's projects (at least one); empty for the other roles.</summary>
    [Id(3)]
    public ImmutableArray<string> Projects { get; init; } = [];

    /// <summary>Hours until it expires; null takes the server's <c>Federation:Auth:TokenLifetime</c>.</summary>
    [Id(4)]
    public double? ExpiresInHours { get; init; }
}

/// <summary>An issued token as the registry keeps it (never the token itself, which only its holder has).</summary>
[GenerateSerializer, Immutable, Alias("federation.TokenRecord")]
public sealed record TokenRecord
{
    /// <summary>The token's id (its <c>jti</c>): what revokes it.</summary>
    [Id(0)]
    public string Id { get; init; } = "";

    [Id(1)]
    public string Subject { get; init; } = "";

    [Id(2)]
    public Role Role { get; init; }

    [Id(3)]
    public ImmutableArray<string> Regions { get; init; } = [];

    [Id(4)]
    public ImmutableArray<string> Projects { get; init; } = [];

    [Id(5)]
    public DateTimeOffset IssuedAt { get; init; }

    [Id(6)]
    public DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Who issued it: a coordinator's subject, or <c>server</c> for the first coordinator token.</summary>
    [Id(7)]
    public string IssuedBy { get; init; } = "";

    [Id(8)]
    public DateTimeOffset? RevokedAt { get; init; }

    [Id(9)]
    public string? RevokedBy { get; init; }
}

/// <summary>The tokens the registry knows, newest first.</summary>
[GenerateSerializer, Immutable, Alias("federation.TokenList")]
public sealed record TokenList
{
    [Id(0)]
    public ImmutableArray<TokenRecord> Tokens { get; init; } = [];
}

/// <summary>The ids of revoked tokens that have not expired yet, and the registry's version of that set.</summary>
[GenerateSerializer, Immutable, Alias("federation.Revocations")]
public sealed record Revocations
{
    [Id(0)]
    public long Version { get; init; }

    [Id(1)]
    public ImmutableArray<string> Ids { get; init; } = [];
}

/// <summary>The signing key of the server's own tokens, and whether this call created it (the first start).</summary>
[GenerateSerializer, Immutable, Alias("federation.SigningKey")]
public sealed record SigningKey
{
    [Id(0)]
    public ImmutableArray<byte> Key { get; init; } = [];

    [Id(1)]
    public bool Created { get; init; }
}

/// <summary>Told by the token registry when a token is revoked: one per silo, so a revocation holds on every silo at once.</summary>
[Alias("federation.ITokenObserver")]
public interface ITokenObserver : IGrainObserver
{
    [Alias("Revoked")]
    Task RevokedAsync(Revocations revocations);
}

/// <summary>
/// The token registry ["tokens"]: the key the server signs its tokens with, every token issued, and which are revoked.
/// Issuing records a token before it is handed out; revoking is stored, then told to every silo before it answers.
/// </summary>
[Alias("federation.ITokenRegistryGrain")]
public interface ITokenRegistryGrain : IGrainWithStringKey
{
    /// <summary>The one registry's key.</summary>
    const string Key = "tokens";

    /// <summary>The signing key, created (and stored) on the first call ever.</summary>
    [Alias("GetKey")]
    Task<SigningKey> GetKeyAsync();

    /// <summary>Records a token for <paramref name="request"/> (already checked), valid for <paramref name="lifetime"/> from now, and returns its record.</summary>
    [Alias("Issue")]
    Task<TokenRecord> IssueAsync(TokenRequest request, string issuedBy, TimeSpan lifetime);

    /// <summary>Revokes a token; null when the registry has no token with that id. Revoking twice keeps the first.</summary>
    [Alias("Revoke")]
    Task<TokenRecord?> RevokeAsync(string id, string revokedBy);

    [Alias("Get")]
    Task<TokenRecord?> GetAsync(string id);

    [Alias("List")]
    Task<TokenList> ListAsync();

    [Alias("GetRevocations")]
    Task<Revocations> GetRevocationsAsync();

    /// <summary>A silo's observer; it subscribes again within <c>ObserverLease</c> to stay told.</summary>
    [Alias("Subscribe")]
    Task SubscribeAsync(ITokenObserver observer);
}

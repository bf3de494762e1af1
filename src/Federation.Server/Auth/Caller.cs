using System.Collections.Immutable;
using System.Security.Claims;
using Federation.Contracts;

namespace Federation.Server.Auth;

/// <summary>
/// Who is calling, from the request's validated token: the subject (the owner of the jobs they submit), the role, an
/// operator's regions and a researcher's projects. The claims are the server's own tokens' (<see cref="Claims"/>); an
/// external issuer's are mapped onto the same names when the token is validated.
/// </summary>
public sealed record Caller(string Subject, Role Role, ImmutableHashSet<string> Regions, ImmutableHashSet<string> Projects, string? TokenId)
{
    /// <summary>The claim names of a validated principal.</summary>
    public static class Claims
    {
        public const string Subject = "sub";
        public const string Role = "role";
        public const string Region = "region";
        public const string Project = "project";
        public const string TokenId = "jti";
    }

    public bool IsCoordinator => Role == Role.Coordinator;

    /// <summary>The caller of an authenticated request (every endpoint but the anonymous ones is).</summary>
    public static Caller Of(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return TryOf(user) ?? throw new InvalidOperationException("the request has no validated caller (the endpoint must require authorization)");
    }

    /// <summary>The caller, or null for an anonymous request.</summary>
    public static Caller? TryOf(ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user.Identity is not { IsAuthenticated: true } || user.FindFirst(Claims.Subject)?.Value is not { Length: > 0 } subject
            || !TryParseRole(user.FindFirst(Claims.Role)?.Value, out var role))
        {
            return null;
        }

        return new Caller(
            subject,
            role,
            [.. user.FindAll(Claims.Region).Select(static c => c.Value)],
            [.. user.FindAll(Claims.Project).Select(static c => c.Value)],
            user.FindFirst(Claims.TokenId)?.Value);
    }

    public static bool TryParseRole(string? value, out Role role)
    {
        switch (value)
        {
            case "researcher": role = Role.Researcher; return true;
            case "operator": role = Role.Operator; return true;
            case "coordinator": role = Role.Coordinator; return true;
            default: role = default; return false;
        }
    }

    public static string Name(Role role) => role switch
    {
        Role.Researcher => "researcher",
        Role.Operator => "operator",
        _ => "coordinator",
    };

    /// <summary>The caller in words, for refusals and the records of what they did: "alice (researcher of p1, p2)".</summary>
    public string Describe() => Role switch
    {
        Role.Researcher => $"{Subject} (researcher of {string.Join(", ", Projects.Order(StringComparer.Ordinal))})",
        Role.Operator => $"{Subject} (operator of {string.Join(", ", Regions.Order(StringComparer.Ordinal))})",
        _ => $"{Subject} (coordinator)",
    };
}

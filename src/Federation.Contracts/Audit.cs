using System.Collections.Immutable;
using Orleans.Concurrency;

namespace Federation.Contracts;

/// <summary>
/// One entry of the audit table (<c>GET /api/audit</c>): who changed what, in which role, when and from where, with the
/// target's state before and after (JSON text) and why.
/// </summary>
[GenerateSerializer, Immutable, Alias("federation.AuditEntry")]
public sealed record AuditEntry
{
    /// <summary>Unique id of the entry (made when the change is made; the table keeps one entry per id).</summary>
    [Id(0)]
    public string Id { get; init; } = "";

    /// <summary>When the change was made (UTC).</summary>
    [Id(1)]
    public DateTimeOffset At { get; init; }

    /// <summary>Who made it: the caller's subject, or <c>system</c> for the federation's own changes (a rebalance, a failover).</summary>
    [Id(2)]
    public string Actor { get; init; } = "";

    /// <summary><c>researcher</c>, <c>operator</c>, <c>coordinator</c> or <c>system</c>.</summary>
    [Id(3)]
    public string Role { get; init; } = "";

    /// <summary>What was done: <c>job.submit</c>, <c>job.cancel</c>, <c>job.move</c>, <c>region.offer</c>, <c>region.drain</c>, <c>token.issue</c>, ...</summary>
    [Id(4)]
    public string Action { get; init; } = "";

    /// <summary>What it was done to, <c>kind/id</c>: <c>job/00123</c>, <c>region/gwangju</c>, <c>project/p1</c>.</summary>
    [Id(5)]
    public string Target { get; init; } = "";

    /// <summary>The region the change concerns (what an operator's reading is limited to), or null.</summary>
    [Id(6)]
    public string? Region { get; init; }

    /// <summary>The target's state before the change, as JSON; null when it did not exist.</summary>
    [Id(7)]
    public string? Before { get; init; }

    /// <summary>The target's state after the change, as JSON; null when it no longer exists.</summary>
    [Id(8)]
    public string? After { get; init; }

    /// <summary>Where the request came from (the client's address); null for the federation's own changes.</summary>
    [Id(9)]
    public string? Origin { get; init; }

    /// <summary>Why, in words: a cancel's reason, the residency check that allowed a move.</summary>
    [Id(10)]
    public string? Detail { get; init; }

    /// <summary>The entry's position in the table (ascending in the order entries were stored); 0 before it is stored.</summary>
    [Id(11)]
    public long Sequence { get; init; }
}

/// <summary>A page of <c>GET /api/audit</c>, newest first; <see cref="NextBefore"/> continues it (null at the end).</summary>
[GenerateSerializer, Immutable, Alias("federation.AuditPageView")]
public sealed record AuditPageView([property: Id(0)] ImmutableArray<AuditEntry> Entries, [property: Id(1)] long? NextBefore);

/// <summary>
/// Who is making the calls of the current request, carried with every grain call it makes (Orleans'
/// <see cref="Orleans.Runtime.RequestContext"/>), so the grain that makes a change writes its audit entry with the
/// caller's name, role and address. Calls made by the federation itself (timers, the rebalancer) carry none:
/// <see cref="Current"/> is then <see cref="System"/>.
/// </summary>
public sealed record AuditActor(string Name, string Role, string? Origin)
{
    private const string NameKey = "federation.actor";
    private const string RoleKey = "federation.actor.role";
    private const string OriginKey = "federation.actor.origin";

    /// <summary>The federation's own changes.</summary>
    public static readonly AuditActor System = new("system", "system", null);

    /// <summary>The actor of the current call: the one the request set, or <see cref="System"/>.</summary>
    public static AuditActor Current =>
        Orleans.Runtime.RequestContext.Get(NameKey) is string name && Orleans.Runtime.RequestContext.Get(RoleKey) is string role
            ? new AuditActor(name, role, Orleans.Runtime.RequestContext.Get(OriginKey) as string)
            : System;

    /// <summary>Makes this the actor of every grain call the current request makes from here on.</summary>
    public void MakeCurrent()
    {
        Orleans.Runtime.RequestContext.Set(NameKey, Name);
        Orleans.Runtime.RequestContext.Set(RoleKey, Role);
        if (Origin is not null)
        {
            Orleans.Runtime.RequestContext.Set(OriginKey, Origin);
        }
    }
}

using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Orleans.Concurrency;

namespace Federation.Contracts;

/// <summary>
/// The residency check that allowed a placement or a move: the class of the job's dataset and the regions it allowed at
/// that moment (a class may be changed later; the job's history keeps what held then).
/// </summary>
[GenerateSerializer, Immutable, Alias("federation.ResidencyCheck")]
public sealed record ResidencyCheck
{
    [Id(0)]
    public string Class { get; init; } = "";

    [Id(1)]
    public ImmutableArray<string> Regions { get; init; } = [];
}

/// <summary>The body of <c>PUT /api/residency/{class}</c>: the regions the class allows.</summary>
[GenerateSerializer, Immutable, Alias("federation.ResidencyClassRequest")]
public sealed record ResidencyClassRequest
{
    [Id(0)]
    public ImmutableArray<string> Regions { get; init; } = [];
}

/// <summary>A residency class: the regions a job whose dataset carries it may run in.</summary>
[GenerateSerializer, Immutable, Alias("federation.ResidencyClassView")]
public sealed record ResidencyClassView
{
    [Id(0)]
    public string Name { get; init; } = "";

    /// <summary>The regions it allows, in megaregion order.</summary>
    [Id(1)]
    public ImmutableArray<string> Regions { get; init; } = [];

    /// <summary>The policy version that last changed the class: its ETag, for <c>If-Match</c>.</summary>
    [Id(2)]
    public long Version { get; init; }
}

/// <summary>Every residency class, and the policy's version (it grows with every change).</summary>
[GenerateSerializer, Immutable, Alias("federation.ResidencyPolicyView")]
public sealed record ResidencyPolicyView
{
    [Id(0)]
    public long Version { get; init; }

    /// <summary>By name.</summary>
    [Id(1)]
    public ImmutableArray<ResidencyClassView> Classes { get; init; } = [];
}

/// <summary>What a change of the residency policy did.</summary>
[GenerateSerializer, Alias("federation.ResidencyOutcome")]
[JsonConverter(typeof(JsonStringEnumConverter<ResidencyOutcome>))]
public enum ResidencyOutcome
{
    Created,
    Updated,

    /// <summary>The class already allowed exactly those regions: nothing was written.</summary>
    Unchanged,
    Deleted,
    NotFound,

    /// <summary>The class's version is not the one <c>If-Match</c> named: nothing was changed.</summary>
    VersionMismatch,

    /// <summary>Unfinished jobs carry the class: it was not deleted.</summary>
    InUse,

    /// <summary>The definition breaks a rule of <c>ResidencyRules</c>: nothing was changed.</summary>
    Invalid,
}

/// <summary>The answer to a change of the residency policy.</summary>
[GenerateSerializer, Immutable, Alias("federation.ResidencyChange")]
public sealed record ResidencyChange
{
    [Id(0)]
    public ResidencyOutcome Outcome { get; init; }

    /// <summary>The class after the change (Created, Updated, Unchanged), as it was (Deleted, InUse, VersionMismatch), or null.</summary>
    [Id(1)]
    public ResidencyClassView? Class { get; init; }

    /// <summary>The whole policy after the change.</summary>
    [Id(2)]
    public ResidencyPolicyView Policy { get; init; } = new();

    /// <summary>Why nothing was changed, in words (NotFound, VersionMismatch, InUse, Invalid).</summary>
    [Id(3)]
    public string? Message { get; init; }
}

/// <summary>
/// The residency policy ["residency"]: the classes coordinators define and the regions each allows, stored durably.
/// Read-mostly: every silo keeps the policy in memory (<c>ResidencyPolicies</c>), so placement makes no call here; a
/// change is pushed to every region before it answers.
/// </summary>
[Alias("federation.IResidencyGrain")]
public interface IResidencyGrain : IGrainWithStringKey
{
    /// <summary>The grain's key.</summary>
    const string Key = "residency";

    /// <summary>The committed policy. Interleaves with a change, which pushes to regions that may ask for it meanwhile.</summary>
    [Alias("GetAsync")]
    [AlwaysInterleave]
    Task<ResidencyPolicyView> GetAsync();

    /// <summary>Creates or replaces a class; with <paramref name="ifVersion"/>, only if the class's version is still that.</summary>
    [Alias("SetAsync")]
    Task<ResidencyChange> SetAsync(string name, ImmutableArray<string> regions, long? ifVersion);

    /// <summary>Deletes a class no unfinished job carries; with <paramref name="ifVersion"/>, only if its version is still that.</summary>
    [Alias("DeleteAsync")]
    Task<ResidencyChange> DeleteAsync(string name, long? ifVersion);
}

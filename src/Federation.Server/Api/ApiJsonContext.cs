using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Federation.Contracts;

namespace Federation.Server.Api;

/// <summary>
/// Compile-time JSON metadata for the bodies the REST API reads and writes, ahead of the reflection-based resolver in
/// the chain (types not listed here still work through it). A submission reads a <see cref="JobRequest"/> and writes a
/// <see cref="JobView"/> of ~2 KB; with generated code the view is written without the reflection metadata walk and
/// its per-call write stack.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(JobRequest))]
[JsonSerializable(typeof(JobView))]
[JsonSerializable(typeof(JobList))]
[JsonSerializable(typeof(RegionView))]
[JsonSerializable(typeof(ImmutableArray<RegionView>))]
[JsonSerializable(typeof(MegaregionView))]
[JsonSerializable(typeof(OfferView))]
[JsonSerializable(typeof(DrainRequest))]
[JsonSerializable(typeof(LedgerView))]
[JsonSerializable(typeof(ProjectView))]
[JsonSerializable(typeof(ImmutableArray<ProjectView>))]
[JsonSerializable(typeof(AllocationRequest))]
[JsonSerializable(typeof(ReturnRequest))]
[JsonSerializable(typeof(ResidencyClassRequest))]
[JsonSerializable(typeof(ResidencyClassView))]
[JsonSerializable(typeof(ResidencyPolicyView))]
[JsonSerializable(typeof(TokenRequest))]
[JsonSerializable(typeof(TokenList))]
[JsonSerializable(typeof(TokenRecord))]
[JsonSerializable(typeof(IssuedTokenView))]
[JsonSerializable(typeof(WhoAmIView))]
[JsonSerializable(typeof(AuditPageView))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;

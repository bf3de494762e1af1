using System.Collections.Concurrent;
using Federation.Actors.Placement;

namespace Federation.Actors.Invocation;

/// <summary>Generated description of a grain interface: how to build its proxy.</summary>
public sealed class GrainInterfaceMetadata
{
    public required Type InterfaceType { get; init; }

    public required Func<GrainId, IGrainReferenceRuntime, GrainReference> CreateProxy { get; init; }
}

/// <summary>Generated description of a grain class: its type name, how to construct it and how it is scheduled and placed.</summary>
public sealed class GrainClassMetadata
{
    public required Type GrainClass { get; init; }

    public required GrainType GrainType { get; init; }

    /// <summary>The grain interfaces the class implements.</summary>
    public required IReadOnlyList<Type> Interfaces { get; init; }

    /// <summary>Constructs the instance: [PersistentState] parameters bound through the context, the rest from DI.</summary>
    public required Func<IServiceProvider, IGrainContext, object> Create { get; init; }

    public bool IsReentrant { get; init; }

    /// <summary>The <c>[MayInterleave]</c> predicate, called with the grain instance and a request.</summary>
    public Func<object, IInvokable, bool>? MayInterleave { get; init; }

    public PlacementStrategy Placement { get; init; } = ResourceOptimizedPlacement.Instance;

    /// <summary>From <c>[CollectionAgeLimit]</c>, already clamped to its minimum.</summary>
    public TimeSpan? CollectionAge { get; init; }

    /// <summary><c>[KeepAlive]</c> or <c>[CollectionAgeLimit(AlwaysActive = true)]</c>: never collected when idle.</summary>
    public bool KeepAlive { get; init; }

    public bool IsStatelessWorker => Placement is StatelessWorkerPlacement;

    /// <summary>
    /// Whether the class overrides <see cref="Grain.OnDeactivateAsync"/>: a deactivation of a class that does not
    /// skips the call and the timeout token it would get (a timer per deactivation, for grains released after every
    /// call such as ended or queued jobs).
    /// </summary>
    public bool OverridesOnDeactivate => _overridesOnDeactivate ??= typeof(Grain).IsAssignableFrom(GrainClass)
        && GrainClass.GetMethod(nameof(Grain.OnDeactivateAsync), [typeof(DeactivationReason), typeof(CancellationToken)])?.DeclaringType != typeof(Grain);

    private bool? _overridesOnDeactivate;
}

/// <summary>
/// The process-wide table the generated module initializers fill: interfaces by CLR type, classes by
/// grain type. Read by the runtime; written once per assembly as it loads.
/// </summary>
public static class GrainMetadataRegistry
{
    private static readonly ConcurrentDictionary<Type, GrainInterfaceMetadata> Interfaces = new();
    private static readonly ConcurrentDictionary<GrainType, GrainClassMetadata> Classes = new();
    private static readonly ConcurrentDictionary<Type, GrainClassMetadata> ClassesByClrType = new();

    /// <summary>Incremented on every registration, so caches built from the registry know when to rebuild.</summary>
    public static int Version { get; private set; }

    public static void Register(GrainInterfaceMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        Interfaces[metadata.InterfaceType] = metadata;
        Version++;
    }

    public static void Register(GrainClassMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (Classes.TryGetValue(metadata.GrainType, out var existing) && existing.GrainClass != metadata.GrainClass)
        {
            throw new InvalidOperationException(
                $"Grain type '{metadata.GrainType}' is claimed by both {existing.GrainClass.FullName} and {metadata.GrainClass.FullName}; give one of them a [GrainType].");
        }

        Classes[metadata.GrainType] = metadata;
        ClassesByClrType[metadata.GrainClass] = metadata;
        Version++;
    }

    public static bool TryGetInterface(Type interfaceType, out GrainInterfaceMetadata metadata) =>
        Interfaces.TryGetValue(interfaceType, out metadata!);

    public static bool TryGetClass(GrainType grainType, out GrainClassMetadata metadata) =>
        Classes.TryGetValue(grainType, out metadata!);

    public static bool TryGetClass(Type grainClass, out GrainClassMetadata metadata) =>
        ClassesByClrType.TryGetValue(grainClass, out metadata!);

    public static IReadOnlyCollection<GrainClassMetadata> AllClasses => (IReadOnlyCollection<GrainClassMetadata>)Classes.Values;
}

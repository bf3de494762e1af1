using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;
using Federation.Actors.Invocation;

namespace Federation.Actors.Hosting;

/// <summary>
/// Builds grain references. Purely local: resolves interface to grain class (exactly one implementing
/// class, or the one whose full name starts with the given prefix) and wraps the GrainId in the
/// generated proxy. Never activates anything.
/// </summary>
internal sealed class GrainFactory : IGrainFactory
{
    private readonly IGrainReferenceRuntime _runtime;
    private readonly ConcurrentDictionary<(Type Interface, string? Prefix), GrainType> _resolved = new();
    private readonly ConcurrentDictionary<Module, bool> _initializedModules = new();

    public GrainFactory(IGrainReferenceRuntime runtime)
    {
        _runtime = runtime;
    }

    public TGrainInterface GetGrain<TGrainInterface>(string primaryKey, string? grainClassNamePrefix = null)
        where TGrainInterface : IGrainWithStringKey
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(primaryKey);
        return Create<TGrainInterface>(GrainId.Create(Resolve(typeof(TGrainInterface), grainClassNamePrefix), primaryKey));
    }

    public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey, string? grainClassNamePrefix = null)
        where TGrainInterface : IGrainWithGuidKey =>
        Create<TGrainInterface>(GrainId.Create(Resolve(typeof(TGrainInterface), grainClassNamePrefix), primaryKey));

    public TGrainInterface GetGrain<TGrainInterface>(long primaryKey, string? grainClassNamePrefix = null)
        where TGrainInterface : IGrainWithIntegerKey =>
        Create<TGrainInterface>(GrainId.Create(Resolve(typeof(TGrainInterface), grainClassNamePrefix), primaryKey));

    public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey, string keyExtension, string? grainClassNamePrefix = null)
        where TGrainInterface : IGrainWithGuidCompoundKey
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyExtension);
        return Create<TGrainInterface>(GrainId.Create(Resolve(typeof(TGrainInterface), grainClassNamePrefix), primaryKey, keyExtension));
    }

    public TGrainInterface GetGrain<TGrainInterface>(long primaryKey, string keyExtension, string? grainClassNamePrefix = null)
        where TGrainInterface : IGrainWithIntegerCompoundKey
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyExtension);
        return Create<TGrainInterface>(GrainId.Create(Resolve(typeof(TGrainInterface), grainClassNamePrefix), primaryKey, keyExtension));
    }

    public TGrainInterface GetGrain<TGrainInterface>(GrainId grainId)
        where TGrainInterface : IAddressable => Create<TGrainInterface>(grainId);

    public IAddressable GetGrain(Type interfaceType, GrainId grainId)
    {
        ArgumentNullException.ThrowIfNull(interfaceType);
        EnsureModule(interfaceType);
        if (grainId.IsDefault)
        {
            throw new ArgumentException("The grain id must be set.", nameof(grainId));
        }

        return GrainMetadataRegistry.TryGetInterface(interfaceType, out var metadata)
            ? metadata.CreateProxy(grainId, _runtime)
            : throw new ArgumentException($"{interfaceType.FullName} is not a grain interface with a generated proxy; reference Federation.Actors.CodeGen as an analyzer in its project.", nameof(interfaceType));
    }

    private TGrainInterface Create<TGrainInterface>(GrainId grainId) => (TGrainInterface)GetGrain(typeof(TGrainInterface), grainId);

    private GrainType Resolve(Type grainInterface, string? prefix)
    {
        if (_resolved.TryGetValue((grainInterface, prefix), out var known))
        {
            return known;
        }

        EnsureModule(grainInterface);
        GrainModuleLoader.EnsureLoaded();
        GrainType? found = null;
        string? first = null;
        foreach (var candidate in GrainMetadataRegistry.AllClasses)
        {
            if (!candidate.Interfaces.Contains(grainInterface))
            {
                continue;
            }

            if (prefix is not null && !(candidate.GrainClass.FullName ?? string.Empty).StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            if (found is not null)
            {
                throw new ArgumentException($"More than one grain class implements {grainInterface.FullName} ({first}, {candidate.GrainClass.FullName}); pass a grain class name prefix.", nameof(grainInterface));
            }

            found = candidate.GrainType;
            first = candidate.GrainClass.FullName;
        }

        if (found is not { } type)
        {
            throw new ArgumentException($"No grain class implements {grainInterface.FullName}{(prefix is null ? string.Empty : $" with prefix '{prefix}'")}.", nameof(grainInterface));
        }

        _resolved[(grainInterface, prefix)] = type;
        return type;
    }

    private void EnsureModule(Type type)
    {
        // TryAdd takes a bucket lock even when the key exists: look first, as every GetGrain comes here.
        if (!_initializedModules.ContainsKey(type.Module) && _initializedModules.TryAdd(type.Module, true))
        {
            RuntimeHelpers.RunModuleConstructor(type.Module.ModuleHandle);
        }
    }
}

/// <summary>Runs the generated module initializers of every loaded assembly that references the abstractions.</summary>
internal static class GrainModuleLoader
{
    private static readonly HashSet<string> Loaded = new(StringComparer.Ordinal);

    public static void EnsureLoaded()
    {
        var abstractions = typeof(IGrain).Assembly.GetName().Name;
        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies())
        {
            if (assembly.IsDynamic)
            {
                continue;
            }

            var name = assembly.FullName ?? string.Empty;
            lock (Loaded)
            {
                if (!Loaded.Add(name))
                {
                    continue;
                }
            }

            if (assembly.GetReferencedAssemblies().Any(r => r.Name == abstractions))
            {
                RuntimeHelpers.RunModuleConstructor(assembly.ManifestModule.ModuleHandle);
            }
        }
    }

    public static void Load(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        RuntimeHelpers.RunModuleConstructor(assembly.ManifestModule.ModuleHandle);
    }
}

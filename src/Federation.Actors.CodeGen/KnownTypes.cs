using Microsoft.CodeAnalysis;

namespace Federation.Actors.CodeGen;

/// <summary>The runtime's types the generator recognises, resolved once per compilation.</summary>
internal sealed class KnownTypes
{
    private KnownTypes(Compilation compilation, INamedTypeSymbol grainInterface)
    {
        IGrain = grainInterface;
        IAddressable = compilation.GetTypeByMetadataName("Federation.Actors.IAddressable");
        Grain = compilation.GetTypeByMetadataName("Federation.Actors.Grain");
        Task = compilation.GetTypeByMetadataName("System.Threading.Tasks.Task");
        TaskOfT = compilation.GetTypeByMetadataName("System.Threading.Tasks.Task`1");
        ValueTask = compilation.GetTypeByMetadataName("System.Threading.Tasks.ValueTask");
        ValueTaskOfT = compilation.GetTypeByMetadataName("System.Threading.Tasks.ValueTask`1");
        CancellationToken = compilation.GetTypeByMetadataName("System.Threading.CancellationToken");
        ImmutableAttribute = compilation.GetTypeByMetadataName("Federation.Actors.ImmutableAttribute");
        ImmutableOfT = compilation.GetTypeByMetadataName("Federation.Actors.Immutable`1");
        PlacementAttribute = compilation.GetTypeByMetadataName("Federation.Actors.Placement.PlacementAttribute");
        IGrainContext = compilation.GetTypeByMetadataName("Federation.Actors.IGrainContext");
        IGrainFactory = compilation.GetTypeByMetadataName("Federation.Actors.IGrainFactory");
        IPersistentStateOfT = compilation.GetTypeByMetadataName("Federation.Actors.IPersistentState`1");
        List = compilation.GetTypeByMetadataName("System.Collections.Generic.List`1");
        HashSet = compilation.GetTypeByMetadataName("System.Collections.Generic.HashSet`1");
        Dictionary = compilation.GetTypeByMetadataName("System.Collections.Generic.Dictionary`2");
        MarkerInterfaces = new[]
        {
            "Federation.Actors.IGrain", "Federation.Actors.IAddressable", "Federation.Actors.IGrainWithStringKey",
            "Federation.Actors.IGrainWithGuidKey", "Federation.Actors.IGrainWithIntegerKey",
            "Federation.Actors.IGrainWithGuidCompoundKey", "Federation.Actors.IGrainWithIntegerCompoundKey",
        };
    }

    public INamedTypeSymbol IGrain { get; }

    public INamedTypeSymbol? IAddressable { get; }

    public INamedTypeSymbol? Grain { get; }

    public INamedTypeSymbol? Task { get; }

    public INamedTypeSymbol? TaskOfT { get; }

    public INamedTypeSymbol? ValueTask { get; }

    public INamedTypeSymbol? ValueTaskOfT { get; }

    public INamedTypeSymbol? CancellationToken { get; }

    public INamedTypeSymbol? ImmutableAttribute { get; }

    public INamedTypeSymbol? ImmutableOfT { get; }

    public INamedTypeSymbol? PlacementAttribute { get; }

    public INamedTypeSymbol? IGrainContext { get; }

    public INamedTypeSymbol? IGrainFactory { get; }

    public INamedTypeSymbol? IPersistentStateOfT { get; }

    public INamedTypeSymbol? List { get; }

    public INamedTypeSymbol? HashSet { get; }

    public INamedTypeSymbol? Dictionary { get; }

    public string[] MarkerInterfaces { get; }

    public static KnownTypes? Create(Compilation compilation)
    {
        var grain = compilation.GetTypeByMetadataName("Federation.Actors.IGrain");
        return grain is null ? null : new KnownTypes(compilation, grain);
    }

    public bool IsMarker(INamedTypeSymbol type)
    {
        var name = type.ToDisplayString();
        foreach (var marker in MarkerInterfaces)
        {
            if (name == marker)
            {
                return true;
            }
        }

        return false;
    }

    public bool IsGrainInterface(INamedTypeSymbol type)
    {
        if (type.TypeKind != TypeKind.Interface || IsMarker(type))
        {
            return false;
        }

        foreach (var i in type.AllInterfaces)
        {
            if (SymbolEqualityComparer.Default.Equals(i, IGrain))
            {
                return true;
            }
        }

        return false;
    }

    public bool IsGrainClass(INamedTypeSymbol type)
    {
        if (type.TypeKind != TypeKind.Class || type.IsAbstract || Grain is null)
        {
            return false;
        }

        for (var b = type.BaseType; b is not null; b = b.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(b, Grain))
            {
                return true;
            }
        }

        return false;
    }

    public static bool HasAttribute(ISymbol symbol, string fullName)
    {
        foreach (var a in symbol.GetAttributes())
        {
            if (a.AttributeClass?.ToDisplayString() == fullName)
            {
                return true;
            }
        }

        return false;
    }

    public static AttributeData? GetAttribute(ISymbol symbol, string fullName)
    {
        foreach (var a in symbol.GetAttributes())
        {
            if (a.AttributeClass?.ToDisplayString() == fullName)
            {
                return a;
            }
        }

        return null;
    }
}

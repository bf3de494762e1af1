using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Federation.Actors.CodeGen;

/// <summary>
/// Decides, per argument or result type, whether a value can be passed by reference (immutable) or
/// needs a generated deep copy, and writes the copy methods. A type it can do neither for is an error.
/// </summary>
internal sealed class CopierPlanner
{
    private static readonly HashSet<string> ImmutableByName = new()
    {
        "System.Guid", "System.DateTime", "System.DateTimeOffset", "System.TimeSpan", "System.DateOnly",
        "System.TimeOnly", "System.Uri", "System.Version", "System.Type", "System.Half", "System.Int128", "System.UInt128",
        "System.Numerics.BigInteger", "System.Threading.CancellationToken", "Federation.Actors.GrainId", "Federation.Actors.GrainType",
        "Federation.Actors.SiloAddress", "System.Text.Json.JsonElement",
    };

    private static readonly HashSet<string> ImmutableCollections = new()
    {
        "System.Collections.Immutable.ImmutableArray", "System.Collections.Immutable.ImmutableList",
        "System.Collections.Immutable.ImmutableDictionary", "System.Collections.Immutable.ImmutableHashSet",
        "System.Collections.Immutable.ImmutableSortedDictionary", "System.Collections.Immutable.ImmutableSortedSet",
        "System.Collections.Immutable.ImmutableQueue", "System.Collections.Immutable.ImmutableStack",
    };

    private readonly KnownTypes _known;
    private readonly Dictionary<ITypeSymbol, bool> _immutable = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<ITypeSymbol, string> _copiers = new(SymbolEqualityComparer.Default);
    private readonly Dictionary<ITypeSymbol, string> _failures = new(SymbolEqualityComparer.Default);
    private readonly HashSet<ITypeSymbol> _inProgress = new(SymbolEqualityComparer.Default);
    private readonly StringBuilder _methods = new();
    private int _next;

    public CopierPlanner(KnownTypes known)
    {
        _known = known;
    }

    public string Methods => _methods.ToString();

    public static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .WithMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.UseSpecialTypes | SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers);

    public static string Name(ITypeSymbol type) => type.WithNullableAnnotation(NullableAnnotation.None).ToDisplayString(TypeFormat);

    /// <summary>
    /// The expression that copies <paramref name="value"/> of <paramref name="type"/>: the value itself when the
    /// type is immutable, else a call to a generated copier. Null with <paramref name="reason"/> when it cannot copy.
    /// </summary>
    public string? CopyExpression(ITypeSymbol type, string value, out string? reason)
    {
        var method = CopierFor(type, out reason);
        if (reason is not null)
        {
            return null;
        }

        return method is null ? value : $"{method}({value})";
    }

    /// <summary>The copier method name for a mutable type, null for an immutable one; reason set on failure.</summary>
    public string? CopierFor(ITypeSymbol type, out string? reason)
    {
        reason = null;
        type = type.WithNullableAnnotation(NullableAnnotation.None);
        if (IsImmutable(type, new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default)))
        {
            return null;
        }

        if (_inProgress.Contains(type))
        {
            // Copies are tree copies: a mutable type that can reach itself could form a cycle.
            reason = "it is a recursive mutable type (it could form a cycle, and copies do not preserve object identity)";
            return null;
        }

        if (_copiers.TryGetValue(type, out var existing))
        {
            return existing;
        }

        if (_failures.TryGetValue(type, out reason))
        {
            return null;
        }

        var name = "Copy_" + (_next++).ToString(System.Globalization.CultureInfo.InvariantCulture);
        _inProgress.Add(type);
        var body = BuildCopier(type, out reason);
        _inProgress.Remove(type);
        if (body is null)
        {
            _failures[type] = reason ?? "unsupported type";
            return null;
        }

        _copiers[type] = "GeneratedCopiers." + name;

        var typeName = Name(type);
        _methods.Append("        internal static ").Append(typeName).Append(' ').Append(name).Append('(').Append(typeName).AppendLine(" source)");
        _methods.AppendLine("        {");
        _methods.Append(body);
        _methods.AppendLine("        }");
        _methods.AppendLine();
        return "GeneratedCopiers." + name;
    }

    private string? ElementCopier(ITypeSymbol element, out string? reason)
    {
        var m = CopierFor(element, out reason);
        if (reason is not null)
        {
            return null;
        }

        return m is null ? "null" : $"static e => {m}(e)";
    }

    private string? BuildCopier(ITypeSymbol type, out string? reason)
    {
        reason = null;
        var sb = new StringBuilder();
        var typeName = Name(type);
        if (type is IArrayTypeSymbol array)
        {
            if (array.Rank != 1)
            {
                reason = "multi-dimensional arrays are not supported";
                return null;
            }

            var elem = ElementCopier(array.ElementType, out reason);
            if (elem is null)
            {
                return null;
            }

            sb.Append("            return global::Federation.Actors.Invocation.DeepCopy.Array<").Append(Name(array.ElementType)).Append(">(source, ").Append(elem).AppendLine(");");
            return sb.ToString();
        }

        if (type is not INamedTypeSymbol named)
        {
            reason = "type parameters, pointers and dynamic values cannot be copied";
            return null;
        }

        var original = named.OriginalDefinition;
        if (Same(original, _known.List) || Same(original, _known.HashSet))
        {
            var elem = ElementCopier(named.TypeArguments[0], out reason);
            if (elem is null)
            {
                return null;
            }

            var helper = Same(original, _known.List) ? "List" : "HashSet";
            sb.Append("            return global::Federation.Actors.Invocation.DeepCopy.").Append(helper).Append('<').Append(Name(named.TypeArguments[0])).Append(">(source, ").Append(elem).AppendLine(");");
            return sb.ToString();
        }

        if (Same(original, _known.Dictionary))
        {
            var key = ElementCopier(named.TypeArguments[0], out reason);
            if (key is null)
            {
                return null;
            }

            var value = ElementCopier(named.TypeArguments[1], out reason);
            if (value is null)
            {
                return null;
            }

            sb.Append("            return global::Federation.Actors.Invocation.DeepCopy.Dictionary<").Append(Name(named.TypeArguments[0])).Append(", ").Append(Name(named.TypeArguments[1]))
                .Append(">(source, ").Append(key).Append(", ").Append(value).AppendLine(");");
            return sb.ToString();
        }

        if (named.TypeKind == TypeKind.Interface || named.TypeKind == TypeKind.Delegate || named.SpecialType == SpecialType.System_Object || named.IsAbstract)
        {
            reason = "interfaces, abstract classes, object and delegates have no known concrete shape to copy";
            return null;
        }

        if (named.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T)
        {
            var inner = CopierFor(named.TypeArguments[0], out reason);
            if (reason is not null)
            {
                return null;
            }

            sb.Append("            return source.HasValue ? ").Append(inner).AppendLine("(source.Value) : null;");
            return sb.ToString();
        }

        if (ImmutableCollections.Contains(NameWithoutArity(named)))
        {
            reason = "an immutable collection of mutable elements cannot be copied; use immutable element types";
            return null;
        }

        var isStruct = named.TypeKind == TypeKind.Struct;
        if (!isStruct && !named.IsRecord && !named.IsSealed)
        {
            reason = "a non-sealed class may hold a subclass at run time; seal it, make it a record, or make it immutable";
            return null;
        }

        var assignments = new List<string>();
        foreach (var member in InstanceMembers(named))
        {
            if (member is IFieldSymbol field)
            {
                if (field.AssociatedSymbol is IPropertySymbol)
                {
                    continue;
                }

                if (field.DeclaredAccessibility != Accessibility.Public || field.IsReadOnly)
                {
                    if (!IsImmutable(field.Type, new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default)) || !named.IsRecord && !isStruct)
                    {
                        reason = $"field '{field.Name}' is not a public settable field";
                        return null;
                    }

                    continue;
                }

                var copy = CopyExpression(field.Type, "source." + Escape(field.Name), out reason);
                if (copy is null)
                {
                    return null;
                }

                assignments.Add($"{Escape(field.Name)} = {copy}");
            }
            else if (member is IPropertySymbol property)
            {
                var settable = property.SetMethod is { } set && set.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal;
                if (property.IsIndexer || !settable && !IsAutoProperty(property))
                {
                    continue;
                }

                var immutableValue = IsImmutable(property.Type, new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default));
                if (!settable)
                {
                    if (immutableValue && (named.IsRecord || isStruct))
                    {
                        continue;
                    }

                    reason = $"property '{property.Name}' has no accessible setter or init accessor";
                    return null;
                }

                if (immutableValue && (named.IsRecord || isStruct))
                {
                    continue;
                }

                var copy = CopyExpression(property.Type, "source." + Escape(property.Name), out reason);
                if (copy is null)
                {
                    return null;
                }

                assignments.Add($"{Escape(property.Name)} = {copy}");
            }
        }

        if (named.IsRecord || isStruct)
        {
            if (!isStruct)
            {
                sb.AppendLine("            if (source is null) { return null; }");
            }

            sb.Append("            return source with { ").Append(string.Join(", ", assignments)).AppendLine(" };");
            return sb.ToString();
        }

        var ctor = named.InstanceConstructors.FirstOrDefault(c => c.Parameters.Length == 0 && c.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal);
        if (ctor is null)
        {
            reason = "a sealed class needs an accessible parameterless constructor to be copied";
            return null;
        }

        sb.AppendLine("            if (source is null) { return null; }");
        sb.Append("            return new ").Append(typeName).Append(" { ").Append(string.Join(", ", assignments)).AppendLine(" };");
        return sb.ToString();
    }

    private static bool IsAutoProperty(IPropertySymbol property)
    {
        if (property.Locations.All(l => !l.IsInSource))
        {
            // Metadata hides private backing fields: assume the property stores state.
            return true;
        }

        foreach (var m in property.ContainingType.GetMembers())
        {
            if (m is IFieldSymbol f && SymbolEqualityComparer.Default.Equals(f.AssociatedSymbol, property))
            {
                return true;
            }
        }

        return false;
    }

    private static IEnumerable<ISymbol> InstanceMembers(INamedTypeSymbol type)
    {
        for (var t = type; t is not null && t.SpecialType != SpecialType.System_Object && t.SpecialType != SpecialType.System_ValueType; t = t.BaseType)
        {
            foreach (var m in t.GetMembers())
            {
                if (m.IsStatic || m.IsImplicitlyDeclared && m is not IFieldSymbol)
                {
                    continue;
                }

                if (m is IPropertySymbol p && (p.Name == "EqualityContract" || p.ExplicitInterfaceImplementations.Length > 0))
                {
                    continue;
                }

                if (m is IFieldSymbol or IPropertySymbol)
                {
                    yield return m;
                }
            }
        }
    }

    public bool IsImmutable(ITypeSymbol type, HashSet<ITypeSymbol> visiting)
    {
        type = type.WithNullableAnnotation(NullableAnnotation.None);
        if (_immutable.TryGetValue(type, out var known))
        {
            return known;
        }

        if (!visiting.Add(type))
        {
            // A cycle: assume immutable; any mutable member on the cycle still decides.
            return true;
        }

        var result = ComputeImmutable(type, visiting);
        visiting.Remove(type);
        _immutable[type] = result;
        return result;
    }

    private bool ComputeImmutable(ITypeSymbol type, HashSet<ITypeSymbol> visiting)
    {
        switch (type.SpecialType)
        {
            case SpecialType.System_Boolean:
            case SpecialType.System_Char:
            case SpecialType.System_SByte:
            case SpecialType.System_Byte:
            case SpecialType.System_Int16:
            case SpecialType.System_UInt16:
            case SpecialType.System_Int32:
            case SpecialType.System_UInt32:
            case SpecialType.System_Int64:
            case SpecialType.System_UInt64:
            case SpecialType.System_Decimal:
            case SpecialType.System_Single:
            case SpecialType.System_Double:
            case SpecialType.System_String:
            case SpecialType.System_IntPtr:
            case SpecialType.System_UIntPtr:
            case SpecialType.System_DateTime:
                return true;
            case SpecialType.System_Object:
                return false;
        }

        if (type.TypeKind == TypeKind.Enum)
        {
            return true;
        }

        if (type is not INamedTypeSymbol named)
        {
            return false;
        }

        if (ImmutableByName.Contains(named.ToDisplayString()))
        {
            return true;
        }

        if (_known.ImmutableAttribute is not null && named.GetAttributes().Any(a => Same(a.AttributeClass, _known.ImmutableAttribute)))
        {
            return true;
        }

        if (Same(named.OriginalDefinition, _known.ImmutableOfT))
        {
            return true;
        }

        if (named.TypeKind == TypeKind.Interface)
        {
            // Grain references are immutable identities.
            return _known.IAddressable is not null && named.AllInterfaces.Concat(new[] { named }).Any(i => Same(i, _known.IAddressable));
        }

        if (named.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T)
        {
            return IsImmutable(named.TypeArguments[0], visiting);
        }

        if (ImmutableCollections.Contains(NameWithoutArity(named)))
        {
            return named.TypeArguments.All(t => IsImmutable(t, visiting));
        }

        if (named.TypeKind == TypeKind.Delegate || named.IsAbstract || named.TypeKind is not (TypeKind.Class or TypeKind.Struct))
        {
            return false;
        }

        if (Same(named.OriginalDefinition, _known.List) || Same(named.OriginalDefinition, _known.HashSet) || Same(named.OriginalDefinition, _known.Dictionary))
        {
            return false;
        }

        if (named.TypeKind == TypeKind.Class && !named.IsSealed && !named.IsRecord)
        {
            return false;
        }

        foreach (var member in InstanceMembers(named))
        {
            switch (member)
            {
                case IFieldSymbol field:
                    // A struct is copied by value, so only what its fields point to matters.
                    var readOnly = named.TypeKind == TypeKind.Struct || field.IsReadOnly || field.IsConst || field.AssociatedSymbol is IPropertySymbol { SetMethod: null or { IsInitOnly: true } };
                    if (!readOnly || !IsImmutable(field.Type, visiting))
                    {
                        return false;
                    }

                    break;
                case IPropertySymbol property:
                    if (property.IsIndexer)
                    {
                        break;
                    }

                    if (property.SetMethod is { IsInitOnly: false } && named.TypeKind != TypeKind.Struct)
                    {
                        return false;
                    }

                    if (!IsImmutable(property.Type, visiting))
                    {
                        return false;
                    }

                    break;
            }
        }

        return true;
    }

    private static string NameWithoutArity(INamedTypeSymbol named)
    {
        var ns = named.ContainingNamespace?.ToDisplayString();
        return string.IsNullOrEmpty(ns) ? named.Name : ns + "." + named.Name;
    }

    private static bool Same(ISymbol? a, ISymbol? b) => a is not null && b is not null && SymbolEqualityComparer.Default.Equals(a, b);

    public static string Escape(string name) => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;
}

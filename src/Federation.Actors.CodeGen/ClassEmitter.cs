using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;

namespace Federation.Actors.CodeGen;

/// <summary>Writes the registration of one grain class: its grain type, activator and scheduling/placement metadata.</summary>
internal sealed class ClassEmitter
{
    private readonly KnownTypes _known;
    private readonly INamedTypeSymbol _class;
    private readonly SourceProductionContext _context;

    public ClassEmitter(KnownTypes known, INamedTypeSymbol grainClass, SourceProductionContext context)
    {
        _known = known;
        _class = grainClass;
        _context = context;
    }

    public string Emit()
    {
        var className = CopierPlanner.Name(_class);
        var grainTypeAttribute = KnownTypes.GetAttribute(_class, "Federation.Actors.GrainTypeAttribute");
        var grainType = grainTypeAttribute?.ConstructorArguments.FirstOrDefault().Value as string ?? ConventionName(_class.Name);
        var interfaces = _class.AllInterfaces.Where(_known.IsGrainInterface).Select(i => "typeof(" + CopierPlanner.Name(i) + ")").ToList();

        var sb = new StringBuilder();
        sb.AppendLine("            {");
        var collection = KnownTypes.GetAttribute(_class, "Federation.Actors.CollectionAgeLimitAttribute");
        if (collection is not null)
        {
            sb.Append("                var age = ").Append(Construct(collection)).AppendLine(";");
        }

        sb.AppendLine("                global::Federation.Actors.Invocation.GrainMetadataRegistry.Register(new global::Federation.Actors.Invocation.GrainClassMetadata");
        sb.AppendLine("                {");
        sb.Append("                    GrainClass = typeof(").Append(className).AppendLine("),");
        sb.Append("                    GrainType = new global::Federation.Actors.GrainType(").Append(Literal(grainType)).AppendLine("),");
        sb.Append("                    Interfaces = new global::System.Type[] { ").Append(string.Join(", ", interfaces)).AppendLine(" },");
        sb.Append("                    Create = static (services, context) => ").Append(Constructor(className)).AppendLine(",");
        if (KnownTypes.HasAttribute(_class, "Federation.Actors.Concurrency.ReentrantAttribute"))
        {
            sb.AppendLine("                    IsReentrant = true,");
        }

        var mayInterleave = KnownTypes.GetAttribute(_class, "Federation.Actors.Concurrency.MayInterleaveAttribute");
        if (mayInterleave?.ConstructorArguments.FirstOrDefault().Value is string predicateName)
        {
            var predicate = FindPredicate(predicateName);
            if (predicate is null)
            {
                _context.ReportDiagnostic(Diagnostic.Create(Diagnostics.InvalidMayInterleave, _class.Locations.FirstOrDefault(), _class.ToDisplayString(), predicateName));
            }
            else if (predicate.IsStatic)
            {
                sb.Append("                    MayInterleave = static (grain, request) => ").Append(className).Append('.').Append(predicateName).AppendLine("(request),");
            }
            else
            {
                sb.Append("                    MayInterleave = static (grain, request) => ((").Append(className).Append(")grain).").Append(predicateName).AppendLine("(request),");
            }
        }

        var worker = KnownTypes.GetAttribute(_class, "Federation.Actors.Concurrency.StatelessWorkerAttribute");
        if (worker is not null)
        {
            sb.Append("                    Placement = new global::Federation.Actors.Placement.StatelessWorkerPlacement((").Append(Construct(worker)).Append(").MaxLocalWorkers, (")
                .Append(Construct(worker)).AppendLine(").RemoveIdleWorkers),");
        }
        else
        {
            var placement = _class.GetAttributes().FirstOrDefault(a => InheritsFrom(a.AttributeClass, _known.PlacementAttribute));
            if (placement is not null)
            {
                sb.Append("                    Placement = (").Append(Construct(placement)).AppendLine(").Strategy,");
            }
        }

        var keepAlive = KnownTypes.HasAttribute(_class, "Federation.Actors.KeepAliveAttribute") ? "true" : "false";
        if (collection is not null)
        {
            sb.AppendLine("                    CollectionAge = age.AlwaysActive ? null : age.Amount,");
            sb.Append("                    KeepAlive = age.AlwaysActive || ").Append(keepAlive).AppendLine(",");
        }
        else
        {
            sb.Append("                    KeepAlive = ").Append(keepAlive).AppendLine(",");
        }

        sb.AppendLine("                });");
        sb.AppendLine("            }");
        return sb.ToString();
    }

    private string Constructor(string className)
    {
        var ctor = _class.InstanceConstructors
            .Where(c => c.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal)
            .OrderByDescending(c => c.Parameters.Length)
            .FirstOrDefault();
        if (ctor is null)
        {
            return "throw new global::System.InvalidOperationException(\"" + className + " has no accessible constructor.\")";
        }

        var args = new List<string>();
        foreach (var p in ctor.Parameters)
        {
            var typeName = CopierPlanner.Name(p.Type);
            var state = KnownTypes.GetAttribute(p, "Federation.Actors.PersistentStateAttribute");
            if (state is not null && p.Type is INamedTypeSymbol { IsGenericType: true } stateType && SymbolEqualityComparer.Default.Equals(stateType.OriginalDefinition, _known.IPersistentStateOfT))
            {
                var stateName = state.ConstructorArguments.Length > 0 ? state.ConstructorArguments[0].Value as string : null;
                var storageName = state.ConstructorArguments.Length > 1 ? state.ConstructorArguments[1].Value as string : null;
                args.Add("context.GetPersistentState<" + CopierPlanner.Name(stateType.TypeArguments[0]) + ">(" + Literal(stateName ?? p.Name) + ", " + (storageName is null ? "null" : Literal(storageName)) + ")");
            }
            else if (SymbolEqualityComparer.Default.Equals(p.Type, _known.IGrainContext))
            {
                args.Add("context");
            }
            else if (SymbolEqualityComparer.Default.Equals(p.Type, _known.IGrainFactory))
            {
                args.Add("context.GrainFactory");
            }
            else if (p.HasExplicitDefaultValue)
            {
                args.Add("global::Federation.Actors.Invocation.ActivatorServices.GetOptional<" + typeName + ">(services, default)");
            }
            else
            {
                args.Add("global::Federation.Actors.Invocation.ActivatorServices.GetRequired<" + typeName + ">(services, typeof(" + className + "))");
            }
        }

        return "new " + className + "(" + string.Join(", ", args) + ")";
    }

    private IMethodSymbol? FindPredicate(string name)
    {
        for (var t = _class; t is not null; t = t.BaseType)
        {
            foreach (var m in t.GetMembers(name).OfType<IMethodSymbol>())
            {
                if (m.Parameters.Length == 1 && m.ReturnType.SpecialType == SpecialType.System_Boolean)
                {
                    return m;
                }
            }
        }

        return null;
    }

    private static bool InheritsFrom(INamedTypeSymbol? type, INamedTypeSymbol? baseType)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(t, baseType))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Rebuilds an attribute instance in code, so the runtime reads the same values the attribute computes.</summary>
    private static string Construct(AttributeData attribute)
    {
        var sb = new StringBuilder("new ");
        sb.Append(CopierPlanner.Name(attribute.AttributeClass!)).Append('(');
        sb.Append(string.Join(", ", attribute.ConstructorArguments.Select(a => Format(a))));
        sb.Append(')');
        if (attribute.NamedArguments.Length > 0)
        {
            sb.Append(" { ").Append(string.Join(", ", attribute.NamedArguments.Select(a => a.Key + " = " + Format(a.Value)))).Append(" }");
        }

        return sb.ToString();
    }

    private static string Format(TypedConstant constant)
    {
        if (constant.IsNull)
        {
            return "null";
        }

        if (constant.Kind == TypedConstantKind.Enum)
        {
            return "(" + CopierPlanner.Name(constant.Type!) + ")" + System.Convert.ToString(constant.Value, CultureInfo.InvariantCulture);
        }

        return constant.Value switch
        {
            string text => Literal(text),
            bool flag => flag ? "true" : "false",
            double d => d.ToString("R", CultureInfo.InvariantCulture) + "d",
            float f => f.ToString("R", CultureInfo.InvariantCulture) + "f",
            long l => l.ToString(CultureInfo.InvariantCulture) + "L",
            uint u => u.ToString(CultureInfo.InvariantCulture) + "u",
            ITypeSymbol type => "typeof(" + CopierPlanner.Name(type) + ")",
            _ => System.Convert.ToString(constant.Value, CultureInfo.InvariantCulture) ?? "default",
        };
    }

    /// <summary>Orleans' convention: lower-cased class name without a trailing "grain".</summary>
    public static string ConventionName(string className)
    {
        var name = className.ToLowerInvariant();
        return name.EndsWith("grain", System.StringComparison.Ordinal) && name.Length > 5 ? name.Substring(0, name.Length - 5) : name;
    }

    private static string Literal(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}

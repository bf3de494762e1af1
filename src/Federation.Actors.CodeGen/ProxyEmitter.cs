using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;

namespace Federation.Actors.CodeGen;

/// <summary>Writes the proxy of one grain interface and a pooled request type per method (inherited methods included).</summary>
internal sealed class ProxyEmitter
{
    private enum ReturnKind
    {
        Task,
        TaskOfT,
        ValueTask,
        ValueTaskOfT,
    }

    private readonly KnownTypes _known;
    private readonly CopierPlanner _copiers;
    private readonly INamedTypeSymbol _interface;
    private readonly SourceProductionContext _context;
    private readonly string _tag;

    public ProxyEmitter(KnownTypes known, CopierPlanner copiers, INamedTypeSymbol grainInterface, SourceProductionContext context)
    {
        _known = known;
        _copiers = copiers;
        _interface = grainInterface;
        _context = context;
        _tag = GrainGenerator.Sanitize(grainInterface.ToDisplayString());
        ProxyName = "Proxy_" + _tag;
    }

    public string ProxyName { get; }

    public string Emit()
    {
        var requests = new StringBuilder();
        var methods = new StringBuilder();
        var index = 0;
        foreach (var (declaring, method) in AllMethods())
        {
            if (!EmitMethod(declaring, method, index++, requests, methods))
            {
                EmitStub(declaring, method, methods);
            }
        }

        var sb = new StringBuilder();
        sb.Append(requests);
        sb.AppendLine("    [global::System.CodeDom.Compiler.GeneratedCode(\"Federation.Actors.CodeGen\", \"1.0\")]");
        sb.Append("    internal sealed class ").Append(ProxyName).Append(" : global::Federation.Actors.Invocation.GrainReference, ").AppendLine(CopierPlanner.Name(_interface));
        sb.AppendLine("    {");
        sb.Append("        public ").Append(ProxyName).AppendLine("(global::Federation.Actors.GrainId grainId, global::Federation.Actors.Invocation.IGrainReferenceRuntime runtime) : base(grainId, runtime) { }");
        sb.AppendLine();
        sb.Append("        public override global::System.Type InterfaceType => typeof(").Append(CopierPlanner.Name(_interface)).AppendLine(");");
        sb.AppendLine();
        sb.Append(methods);
        sb.AppendLine("    }");
        sb.AppendLine();
        return sb.ToString();
    }

    private IEnumerable<(INamedTypeSymbol Declaring, IMethodSymbol Method)> AllMethods()
    {
        var types = new List<INamedTypeSymbol> { _interface };
        types.AddRange(_interface.AllInterfaces.Where(i => !_known.IsMarker(i)));
        foreach (var type in types)
        {
            foreach (var member in type.GetMembers())
            {
                if (member is IMethodSymbol { MethodKind: MethodKind.Ordinary, IsStatic: false } method)
                {
                    if (!method.IsAbstract)
                    {
                        continue;
                    }

                    yield return (type, method);
                }
                else if (member is IPropertySymbol or IEventSymbol)
                {
                    _context.ReportDiagnostic(Diagnostic.Create(Diagnostics.UnsupportedMember, member.Locations.FirstOrDefault(), member.ToDisplayString(), "grain interfaces may declare methods only"));
                }
            }
        }
    }

    /// <summary>Keeps the proxy compilable after a reported error, so the build shows only the real diagnostic.</summary>
    private static void EmitStub(INamedTypeSymbol declaring, IMethodSymbol method, StringBuilder methods)
    {
        var typeParameters = method.IsGenericMethod ? "<" + string.Join(", ", method.TypeParameters.Select(t => t.Name)) + ">" : string.Empty;
        methods.Append("        ").Append(method.ReturnsVoid ? "void" : CopierPlanner.Name(method.ReturnType)).Append(' ').Append(CopierPlanner.Name(declaring)).Append('.').Append(CopierPlanner.Escape(method.Name)).Append(typeParameters).Append('(')
            .Append(string.Join(", ", method.Parameters.Select(p => RefPrefix(p) + CopierPlanner.Name(p.Type) + " " + CopierPlanner.Escape(p.Name)))).AppendLine(")");
        methods.AppendLine("            => throw new global::System.NotSupportedException(\"This grain method was rejected by the code generator.\");");
        methods.AppendLine();
    }

    private static string RefPrefix(IParameterSymbol p) => p.RefKind switch
    {
        RefKind.Ref => "ref ",
        RefKind.Out => "out ",
        RefKind.In => "in ",
        _ => string.Empty,
    };

    private bool EmitMethod(INamedTypeSymbol declaring, IMethodSymbol method, int index, StringBuilder requests, StringBuilder methods)
    {
        var display = declaring.Name + "." + method.Name;
        var location = method.Locations.FirstOrDefault();
        if (method.ReturnType is not INamedTypeSymbol returnType)
        {
            _context.ReportDiagnostic(Diagnostic.Create(Diagnostics.InvalidReturnType, location, display, method.ReturnType.ToDisplayString()));
            return false;
        }

        ReturnKind kind;
        var original = returnType.OriginalDefinition;
        if (Same(returnType, _known.Task))
        {
            kind = ReturnKind.Task;
        }
        else if (Same(returnType, _known.ValueTask))
        {
            kind = ReturnKind.ValueTask;
        }
        else if (Same(original, _known.TaskOfT))
        {
            kind = ReturnKind.TaskOfT;
        }
        else if (Same(original, _known.ValueTaskOfT))
        {
            kind = ReturnKind.ValueTaskOfT;
        }
        else
        {
            _context.ReportDiagnostic(Diagnostic.Create(Diagnostics.InvalidReturnType, location, display, method.ReturnType.ToDisplayString()));
            return false;
        }

        var oneWay = KnownTypes.HasAttribute(method, "Federation.Actors.Concurrency.OneWayAttribute");
        if (oneWay && kind is ReturnKind.TaskOfT or ReturnKind.ValueTaskOfT)
        {
            _context.ReportDiagnostic(Diagnostic.Create(Diagnostics.InvalidOneWay, location, display, method.ReturnType.ToDisplayString()));
            return false;
        }

        if (method.IsGenericMethod)
        {
            _context.ReportDiagnostic(Diagnostic.Create(Diagnostics.UnsupportedMember, location, display, "generic methods are not supported"));
            return false;
        }

        var tokens = method.Parameters.Count(p => Same(p.Type, _known.CancellationToken));
        if (tokens > 1)
        {
            _context.ReportDiagnostic(Diagnostic.Create(Diagnostics.TooManyCancellationTokens, location, display, tokens));
            return false;
        }

        var ok = true;
        var argCopies = new List<string>();
        foreach (var p in method.Parameters)
        {
            if (p.RefKind != RefKind.None)
            {
                _context.ReportDiagnostic(Diagnostic.Create(Diagnostics.UnsupportedMember, location, display, $"parameter '{p.Name}' is passed by reference"));
                return false;
            }

            var name = CopierPlanner.Escape(p.Name);
            if (KnownTypes.HasAttribute(p, "Federation.Actors.ImmutableAttribute") || Same(p.Type, _known.CancellationToken))
            {
                argCopies.Add(name);
                continue;
            }

            var copy = _copiers.CopyExpression(p.Type, name, out var reason);
            if (copy is null)
            {
                _context.ReportDiagnostic(Diagnostic.Create(Diagnostics.CannotCopy, location, p.Type.ToDisplayString(), display, reason));
                ok = false;
                continue;
            }

            argCopies.Add(copy);
        }

        ITypeSymbol? resultType = kind is ReturnKind.TaskOfT or ReturnKind.ValueTaskOfT ? returnType.TypeArguments[0] : null;
        var resultCopy = "value";
        if (resultType is not null && !KnownTypes.HasAttribute(method, "Federation.Actors.ImmutableAttribute"))
        {
            var copy = _copiers.CopyExpression(resultType, "value", out var reason);
            if (copy is null)
            {
                _context.ReportDiagnostic(Diagnostic.Create(Diagnostics.CannotCopy, location, resultType.ToDisplayString(), display, reason));
                ok = false;
            }
            else
            {
                resultCopy = copy;
            }
        }

        if (!ok)
        {
            return false;
        }

        var flags = new List<string>();
        if (oneWay)
        {
            flags.Add("global::Federation.Actors.Invocation.InvokeFlags.OneWay");
        }

        if (KnownTypes.HasAttribute(method, "Federation.Actors.Concurrency.ReadOnlyAttribute"))
        {
            flags.Add("global::Federation.Actors.Invocation.InvokeFlags.ReadOnly");
        }

        if (KnownTypes.HasAttribute(method, "Federation.Actors.Concurrency.AlwaysInterleaveAttribute"))
        {
            flags.Add("global::Federation.Actors.Invocation.InvokeFlags.AlwaysInterleave");
        }

        var flagsText = flags.Count == 0 ? "global::Federation.Actors.Invocation.InvokeFlags.None" : string.Join(" | ", flags);
        var signature = declaring.ToDisplayString() + "." + method.Name + "(" + string.Join(",", method.Parameters.Select(p => p.Type.ToDisplayString())) + ")";
        var idAttribute = KnownTypes.GetAttribute(method, "Federation.Actors.IdAttribute");
        var methodId = idAttribute is not null && idAttribute.ConstructorArguments.Length == 1 && idAttribute.ConstructorArguments[0].Value is uint id
            ? unchecked((int)id)
            : GrainGenerator.StableHash(signature);
        var timeout = KnownTypes.GetAttribute(method, "Federation.Actors.ResponseTimeoutAttribute");
        var resultName = resultType is null ? "object" : CopierPlanner.Name(resultType);
        var requestName = "Request_" + _tag + "_" + index.ToString(CultureInfo.InvariantCulture) + "_" + method.Name;
        var declaringName = CopierPlanner.Name(declaring);
        var parameters = method.Parameters;

        var r = requests;
        r.AppendLine("    [global::System.CodeDom.Compiler.GeneratedCode(\"Federation.Actors.CodeGen\", \"1.0\")]");
        r.Append("    internal sealed class ").Append(requestName).Append(" : global::Federation.Actors.Invocation.Request<").Append(resultName).AppendLine(">");
        r.AppendLine("    {");
        r.Append("        internal static readonly global::Federation.Actors.Invocation.RequestPool<").Append(requestName).Append("> Pool = new global::Federation.Actors.Invocation.RequestPool<").Append(requestName).AppendLine(">();");
        for (var i = 0; i < parameters.Length; i++)
        {
            r.Append("        internal ").Append(CopierPlanner.Name(parameters[i].Type)).Append(" Arg").Append(i).AppendLine(";");
        }

        r.Append("        public override string InterfaceName => \"").Append(declaring.ToDisplayString()).AppendLine("\";");
        r.Append("        public override string MethodName => \"").Append(method.Name).AppendLine("\";");
        r.Append("        public override int MethodId => ").Append(methodId.ToString(CultureInfo.InvariantCulture)).AppendLine(";");
        r.Append("        public override global::Federation.Actors.Invocation.InvokeFlags Flags => ").Append(flagsText).AppendLine(";");
        if (timeout is not null && timeout.ConstructorArguments.Length == 1 && timeout.ConstructorArguments[0].Value is string timeoutText)
        {
            r.Append("        private static readonly global::System.TimeSpan Timeout = global::System.TimeSpan.Parse(\"").Append(timeoutText).AppendLine("\", global::System.Globalization.CultureInfo.InvariantCulture);");
            r.AppendLine("        public override global::System.TimeSpan? ResponseTimeout => Timeout;");
        }

        r.Append("        public override int ArgumentCount => ").Append(parameters.Length).AppendLine(";");
        r.Append("        public override object GetArgument(int index) => index switch { ");
        for (var i = 0; i < parameters.Length; i++)
        {
            r.Append(i).Append(" => Arg").Append(i).Append(", ");
        }

        r.AppendLine("_ => throw new global::System.ArgumentOutOfRangeException(nameof(index)) };");
        r.AppendLine("        public override void SetArgument(int index, object value)");
        r.AppendLine("        {");
        r.AppendLine("            switch (index)");
        r.AppendLine("            {");
        for (var i = 0; i < parameters.Length; i++)
        {
            r.Append("                case ").Append(i).Append(": Arg").Append(i).Append(" = (").Append(CopierPlanner.Name(parameters[i].Type)).AppendLine(")value; return;");
        }

        r.AppendLine("                default: throw new global::System.ArgumentOutOfRangeException(nameof(index));");
        r.AppendLine("            }");
        r.AppendLine("        }");
        var call = "((" + declaringName + ")grain)." + CopierPlanner.Escape(method.Name) + "(" + string.Join(", ", parameters.Select((_, i) => "Arg" + i.ToString(CultureInfo.InvariantCulture))) + ")";
        r.AppendLine("        public override global::System.Threading.Tasks.ValueTask InvokeAsync(object grain)");
        r.AppendLine("        {");
        switch (kind)
        {
            case ReturnKind.Task:
                r.Append("            var task = ").Append(call).AppendLine(";");
                r.AppendLine("            return task.IsCompletedSuccessfully ? default : new global::System.Threading.Tasks.ValueTask(task);");
                break;
            case ReturnKind.ValueTask:
                r.Append("            return ").Append(call).AppendLine(";");
                break;
            case ReturnKind.TaskOfT:
            case ReturnKind.ValueTaskOfT:
                r.Append("            var task = ").Append(call).AppendLine(";");
                r.AppendLine("            if (task.IsCompletedSuccessfully)");
                r.AppendLine("            {");
                r.AppendLine("                var value = task.Result;");
                r.Append("                SetResult(").Append(resultCopy).AppendLine(");");
                r.AppendLine("                return default;");
                r.AppendLine("            }");
                r.AppendLine("            return AwaitAsync(task);");
                break;
        }

        r.AppendLine("        }");
        if (kind is ReturnKind.TaskOfT or ReturnKind.ValueTaskOfT)
        {
            var taskType = (kind == ReturnKind.TaskOfT ? "global::System.Threading.Tasks.Task<" : "global::System.Threading.Tasks.ValueTask<") + resultName + ">";
            // Pooled: a call whose grain method completes later (most calls that await another grain) would
            // otherwise allocate this state machine's box per call.
            r.AppendLine("        [global::System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(global::System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]");
            r.Append("        private async global::System.Threading.Tasks.ValueTask AwaitAsync(").Append(taskType).AppendLine(" task)");
            r.AppendLine("        {");
            r.AppendLine("            var value = await task.ConfigureAwait(false);");
            r.Append("            SetResult(").Append(resultCopy).AppendLine(");");
            r.AppendLine("        }");
        }

        r.AppendLine("        protected override void ClearArguments()");
        r.AppendLine("        {");
        for (var i = 0; i < parameters.Length; i++)
        {
            r.Append("            Arg").Append(i).AppendLine(" = default;");
        }

        r.AppendLine("        }");
        r.AppendLine("        protected override void ReturnToPool() => Pool.Return(this);");
        r.AppendLine("    }");
        r.AppendLine();

        var m = methods;
        m.Append("        ").Append(CopierPlanner.Name(method.ReturnType)).Append(' ').Append(declaringName).Append('.').Append(CopierPlanner.Escape(method.Name)).Append('(')
            .Append(string.Join(", ", parameters.Select(p => CopierPlanner.Name(p.Type) + " " + CopierPlanner.Escape(p.Name)))).AppendLine(")");
        m.AppendLine("        {");
        // Locals carry a "__" prefix so they never collide with a grain method's parameter names.
        m.Append("            var __request = ").Append(requestName).AppendLine(".Pool.Rent();");
        for (var i = 0; i < parameters.Length; i++)
        {
            m.Append("            __request.Arg").Append(i).Append(" = ").Append(argCopies[i]).AppendLine(";");
        }

        if (oneWay)
        {
            m.AppendLine("            Runtime.Send(this, __request);");
            m.AppendLine(kind == ReturnKind.Task ? "            return global::System.Threading.Tasks.Task.CompletedTask;" : "            return default;");
        }
        else
        {
            var completion = kind switch
            {
                ReturnKind.Task => "__request.AsVoidTask()",
                ReturnKind.ValueTask => "__request.AsVoidValueTask()",
                ReturnKind.TaskOfT => "__request.AsTask()",
                _ => "__request.AsValueTask()",
            };
            m.Append("            var __result = ").Append(completion).AppendLine(";");
            m.AppendLine("            Runtime.Send(this, __request);");
            m.AppendLine("            return __result;");
        }

        m.AppendLine("        }");
        m.AppendLine();
        return true;
    }

    private static bool Same(ISymbol? a, ISymbol? b) => a is not null && b is not null && SymbolEqualityComparer.Default.Equals(a, b);
}

using System.Collections.Immutable;
using Federation.Actors.CodeGen;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Federation.Actors.Tests.CodeGen;

/// <summary>The generator turns invalid grain interfaces into compile-time errors instead of run-time failures.</summary>
public sealed class GeneratorDiagnosticsTests
{
    private const string Usings = "using System.Collections.Generic; using System.Threading; using System.Threading.Tasks; using Federation.Actors; using Federation.Actors.Concurrency;\n";

    [Fact]
    public void Checklist_07_UncopyableArgumentTypeIsACompileTimeError()
    {
        var diagnostics = Run(Usings + """
            public interface IBad : IGrainWithStringKey { Task Take(object anything); Task<IList<int>> Give(); }
            """);

        Assert.Equal(new[] { "FAG004", "FAG004" }, Ids(diagnostics));
    }

    [Fact]
    public void Checklist_08_RecursiveMutableTypesAreRejectedBecauseCopiesDoNotPreserveIdentity()
    {
        var diagnostics = Run(Usings + """
            public sealed class Node { public int Value { get; set; } public Node? Next { get; set; } }
            public interface IBad : IGrainWithStringKey { Task Take(Node head); }
            """);

        Assert.Equal(new[] { "FAG004" }, Ids(diagnostics));
    }

    [Fact]
    public void CodeGen_ValidInterfaceAndClassGenerateWithoutDiagnostics()
    {
        var diagnostics = Run(Usings + """
            public sealed record Item(string Name, int Count);
            public sealed class Bag { public List<Item> Items { get; set; } = new(); }
            public interface IGood : IGrainWithStringKey { Task<Item> Get(Item item, CancellationToken ct); ValueTask<Bag> Fill(Bag bag); [OneWay] Task Fire(int[] values); ValueTask Nothing(); }
            public sealed class GoodGrain : Grain, IGood
            {
                public Task<Item> Get(Item item, CancellationToken ct) => Task.FromResult(item);
                public ValueTask<Bag> Fill(Bag bag) => new(bag);
                public Task Fire(int[] values) => Task.CompletedTask;
                public ValueTask Nothing() => default;
            }
            """, out var generated);

        Assert.Empty(diagnostics);
        Assert.Contains("Proxy_IGood", generated, StringComparison.Ordinal);
        Assert.Contains("GrainType(\"good\")", generated, StringComparison.Ordinal);
    }

    [Fact]
    public void CodeGen_RejectsUnsupportedReturnTypes()
    {
        var diagnostics = Run(Usings + """
            public interface IBad : IGrainWithStringKey { void Fire(); int Count(); }
            """);

        Assert.Equal(new[] { "FAG001", "FAG001" }, Ids(diagnostics));
    }

    [Fact]
    public void CodeGen_RejectsOneWayMethodsThatReturnAValue()
    {
        var diagnostics = Run(Usings + """
            public interface IBad : IGrainWithStringKey { [OneWay] Task<int> Fire(); }
            """);

        Assert.Equal(new[] { "FAG002" }, Ids(diagnostics));
    }

    [Fact]
    public void CodeGen_RejectsMoreThanOneCancellationToken()
    {
        var diagnostics = Run(Usings + """
            public interface IBad : IGrainWithStringKey { Task Work(CancellationToken a, CancellationToken b); }
            """);

        Assert.Equal(new[] { "FAG003" }, Ids(diagnostics));
    }

    private static string[] Ids(ImmutableArray<Diagnostic> diagnostics) =>
        diagnostics.Where(d => d.Id.StartsWith("FAG", StringComparison.Ordinal)).Select(d => d.Id).Order(StringComparer.Ordinal).ToArray();

    private static ImmutableArray<Diagnostic> Run(string source) => Run(source, out _);

    private static ImmutableArray<Diagnostic> Run(string source, out string generated)
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Select(path => MetadataReference.CreateFromFile(path))
            .Append(MetadataReference.CreateFromFile(typeof(IGrain).Assembly.Location));
        var compilation = CSharpCompilation.Create(
            "GeneratorUnderTest",
            new[] { CSharpSyntaxTree.ParseText(source) },
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        GeneratorDriver driver = CSharpGeneratorDriver.Create(new GrainGenerator());
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        generated = string.Concat(driver.GetRunResult().GeneratedTrees.Select(t => t.ToString()));

        // Generated code must compile: any compiler error in the output counts as a failure too.
        return diagnostics.AddRange(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
    }
}

using Microsoft.CodeAnalysis;

namespace Federation.Actors.CodeGen;

/// <summary>The generator's compile-time errors: grain interfaces it cannot turn into proxies.</summary>
internal static class Diagnostics
{
    private const string Category = "Federation.Actors.CodeGen";

    public static readonly DiagnosticDescriptor InvalidReturnType = new(
        "FAG001", "Grain method has an unsupported return type",
        "Grain method '{0}' returns '{1}'; grain methods must return Task, Task<T>, ValueTask or ValueTask<T>",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidOneWay = new(
        "FAG002", "[OneWay] method returns a value",
        "Grain method '{0}' is [OneWay] but returns '{1}'; a one-way method must return non-generic Task or ValueTask",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor TooManyCancellationTokens = new(
        "FAG003", "Grain method takes more than one CancellationToken",
        "Grain method '{0}' takes {1} CancellationToken parameters; at most one is allowed",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor CannotCopy = new(
        "FAG004", "Type cannot be deep-copied",
        "Type '{0}' used by grain method '{1}' cannot be deep-copied: {2}. Make it immutable (get/init-only members of immutable types), mark it [Immutable], wrap it in Immutable<T>, or make it a sealed class or record with settable members.",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnsupportedMember = new(
        "FAG005", "Unsupported grain interface member",
        "Grain interface member '{0}' is not supported: {1}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnsupportedGeneric = new(
        "FAG006", "Generic grain types are not supported",
        "'{0}' is generic; generic grain interfaces and classes are not supported by this runtime yet",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidMayInterleave = new(
        "FAG007", "[MayInterleave] predicate not found",
        "Grain class '{0}' names MayInterleave predicate '{1}', but it has no method 'bool {1}(IInvokable)'",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
}

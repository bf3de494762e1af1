namespace Federation.Cli;

/// <summary>
/// What fedctl reads from its process besides the command line: stdin (<c>fedctl login</c> without <c>--token</c>) and
/// the environment (<c>FEDCTL_SERVER</c>, <c>FEDCTL_TOKEN</c>, where the credentials file is). Tests pass their own, so a
/// run sees only the variables its test set and never the real home.
/// </summary>
public sealed class FedctlEnvironment
{
    private readonly Func<string, string?> _variable;

    public FedctlEnvironment(TextReader input, bool inputIsTerminal, Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(variable);
        Input = input;
        InputIsTerminal = inputIsTerminal;
        _variable = variable;
    }

    /// <summary>The process's own: the console's stdin and environment variables.</summary>
    public static FedctlEnvironment FromProcess() => new(Console.In, !Console.IsInputRedirected, Environment.GetEnvironmentVariable);

    public TextReader Input { get; }

    /// <summary>Whether a person types at stdin (then <c>fedctl login</c> prompts for the token).</summary>
    public bool InputIsTerminal { get; }

    /// <summary>An environment variable, or null when it is unset or empty.</summary>
    public string? Variable(string name) => _variable(name) is { Length: > 0 } value ? value : null;
}

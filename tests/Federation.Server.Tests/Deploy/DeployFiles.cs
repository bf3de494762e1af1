using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Federation.Scheduling;
using Federation.Server.Auth;
using Federation.Server.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Federation.Server.Tests.Deploy;

/// <summary>
/// The files under <c>deploy/</c>, read from the repository this test assembly was built in, and what they are checked
/// against: the server's options, the embedded megaregion, the local script.
/// </summary>
internal static partial class DeployFiles
{
    /// <summary>The prefix of the environment variables the server binds to <see cref="FederationServerOptions"/>.</summary>
    public const string FederationPrefix = FederationServerOptions.SectionName + "__";

    /// <summary>The prefix of the environment variables the server binds to <see cref="AuthOptions"/> (<c>Federation__Auth__</c>).</summary>
    public static readonly string AuthPrefix = AuthOptions.SectionName.Replace(":", "__", StringComparison.Ordinal) + "__";

    /// <summary>The variable of the coordinator token fixed at start.</summary>
    public static readonly string BootstrapTokenVariable = AuthPrefix + nameof(AuthOptions.BootstrapToken);

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Deploy { get; } = Path.Combine(RepoRoot, "deploy");

    public static string Kubernetes { get; } = Path.Combine(Deploy, "kubernetes");

    public static string Script { get; } = Path.Combine(Deploy, "local", "megaregion.sh");

    /// <summary>The region ids of the embedded megaregion, in its order.</summary>
    public static IReadOnlyList<string> Regions { get; } = [.. MegaregionLoader.LoadDefault().Regions.Select(r => r.Id)];

    /// <summary>Every document of a YAML file, with YAML merge keys (<c>&lt;&lt;: *anchor</c>) applied as compose applies them.</summary>
    public static IReadOnlyList<YamlMappingNode> LoadYaml(string path)
    {
        using var reader = new StreamReader(path);
        var stream = new YamlStream();
        stream.Load(new MergingParser(new Parser(reader)));
        return [.. stream.Documents.Select(d => Assert.IsType<YamlMappingNode>(d.RootNode))];
    }

    public static YamlMappingNode Map(this YamlNode node, string key) =>
        Assert.IsType<YamlMappingNode>(node.Child(key));

    public static YamlSequenceNode Seq(this YamlNode node, string key) =>
        Assert.IsType<YamlSequenceNode>(node.Child(key));

    public static string Str(this YamlNode node, string key) =>
        Assert.IsType<YamlScalarNode>(node.Child(key)).Value ?? "";

    public static string? StrOrNull(this YamlNode node, string key) =>
        Assert.IsType<YamlMappingNode>(node).Children.TryGetValue(new YamlScalarNode(key), out var child) ? ((YamlScalarNode)child).Value : null;

    public static bool Has(this YamlNode node, string key) =>
        Assert.IsType<YamlMappingNode>(node).Children.ContainsKey(new YamlScalarNode(key));

    public static IEnumerable<string> Scalars(this YamlSequenceNode node) =>
        node.Children.Select(c => Assert.IsType<YamlScalarNode>(c).Value ?? "");

    /// <summary>A mapping of scalars (labels, a compose environment) as a dictionary.</summary>
    public static Dictionary<string, string> Dict(this YamlNode node) =>
        Assert.IsType<YamlMappingNode>(node).Children.ToDictionary(
            e => Assert.IsType<YamlScalarNode>(e.Key).Value!,
            e => Assert.IsType<YamlScalarNode>(e.Value).Value ?? "",
            StringComparer.Ordinal);

    private static YamlNode Child(this YamlNode node, string key)
    {
        var map = Assert.IsType<YamlMappingNode>(node);
        Assert.True(map.Children.TryGetValue(new YamlScalarNode(key), out var child), $"'{key}' is missing at line {map.Start.Line}");
        return child!;
    }

    /// <summary>The port of a URL such as <c>http://+:8080</c> (ASPNETCORE_URLS), which <see cref="Uri"/> does not parse.</summary>
    public static int UrlPort(string url)
    {
        var match = UrlPortPattern().Match(url);
        Assert.True(match.Success, $"'{url}' is not one http://host:port URL");
        return int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"^https?://[^:/;]+:(\d+)/?$", RegexOptions.CultureInvariant)]
    private static partial Regex UrlPortPattern();

    /// <summary>
    /// Fails unless every <c>Federation__X</c> key names a settable property of <see cref="FederationServerOptions"/>, and
    /// every <c>Federation__Auth__X</c> one of <see cref="AuthOptions"/> (configuration keys are case-insensitive, as the
    /// binder matches them).
    /// </summary>
    public static void AssertOptionNames(string where, IEnumerable<string> keys)
    {
        var list = keys.ToList();
        AssertPropertyNames<FederationServerOptions>(where, FederationPrefix, list.Where(k => !k.StartsWith(AuthPrefix, StringComparison.OrdinalIgnoreCase)));
        AssertPropertyNames<AuthOptions>(where, AuthPrefix, list);
    }

    private static void AssertPropertyNames<T>(string where, string prefix, IEnumerable<string> keys)
    {
        var properties = typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite)
            .Select(p => p.Name)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var unknown = keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal))
            .Select(k => k[prefix.Length..])
            .Where(name => !properties.Contains(name.Split("__")[0]))
            .ToList();
        Assert.True(unknown.Count == 0,
            $"{where}: {string.Join(", ", unknown.Select(u => prefix + u))} name no property of {typeof(T).Name} "
            + $"(it has {string.Join(", ", properties.Order(StringComparer.Ordinal))})");
    }

    /// <summary>
    /// Binds a silo's environment as the server does (<c>Federation__X</c> onto <see cref="FederationServerOptions"/>,
    /// an unknown key being an error) and runs the server's validator on the result.
    /// </summary>
    public static FederationServerOptions BindAndValidate(string where, IReadOnlyDictionary<string, string> environment)
    {
        var server = Configuration(environment.Where(e => !e.Key.StartsWith(AuthPrefix, StringComparison.OrdinalIgnoreCase)));
        var options = new FederationServerOptions();
        server.GetSection(FederationServerOptions.SectionName).Bind(options, o => o.ErrorOnUnknownConfiguration = true);
        var result = new FederationServerOptionsValidator().Validate(Options.DefaultName, options);
        Assert.True(result.Succeeded, $"{where}: the server would refuse this configuration: {result.FailureMessage}");
        _ = BindAndValidateAuth(where, environment);
        return options;
    }

    /// <summary>
    /// Binds the <c>Federation__Auth__X</c> variables of a silo's environment onto <see cref="AuthOptions"/> as the server
    /// does (an unknown key being an error) and runs the server's validator on the result.
    /// </summary>
    public static AuthOptions BindAndValidateAuth(string where, IReadOnlyDictionary<string, string> environment)
    {
        var options = new AuthOptions();
        Configuration(environment).GetSection(AuthOptions.SectionName).Bind(options, o => o.ErrorOnUnknownConfiguration = true);
        var result = new AuthOptionsValidator().Validate(Options.DefaultName, options);
        Assert.True(result.Succeeded, $"{where}: the server would refuse this configuration: {result.FailureMessage}");
        return options;
    }

    /// <summary>Whether the server refuses <paramref name="token"/> as its bootstrap token (and why, when it does).</summary>
    public static string? BootstrapTokenRefusal(string token)
    {
        var result = new AuthOptionsValidator().Validate(Options.DefaultName, new AuthOptions { BootstrapToken = token });
        return result.Failed ? result.FailureMessage : null;
    }

    private static IConfiguration Configuration(IEnumerable<KeyValuePair<string, string>> environment) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(environment
                .Where(e => e.Key.StartsWith(FederationPrefix, StringComparison.Ordinal))
                .Select(e => KeyValuePair.Create(e.Key.Replace("__", ":", StringComparison.Ordinal), (string?)e.Value)))
            .Build();

    /// <summary>The value of a property of <see cref="FederationServerOptions"/> by name, for options that may not exist yet.</summary>
    public static string? OptionValue(FederationServerOptions options, string name)
    {
        var property = typeof(FederationServerOptions).GetProperty(name);
        Assert.True(property is not null, $"{nameof(FederationServerOptions)}.{name} does not exist");
        return Convert.ToString(property.GetValue(options), CultureInfo.InvariantCulture);
    }

    /// <summary>Runs <c>bash</c> with the arguments (and extra environment), and returns its exit code and outputs.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Bash(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoRoot,
        };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), $"bash {string.Join(' ', args)} did not finish in 30 s");
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>
    /// The script's port table (<c>megaregion.sh ports</c>): region, REST port, silo port, gateway port, one line per silo.
    /// </summary>
    public static IReadOnlyList<(string Region, int Http, int Silo, int Gateway)> ScriptPorts(IReadOnlyDictionary<string, string>? environment = null)
    {
        var (exit, stdout, stderr) = Bash(environment, Script, "ports");
        Assert.True(exit == 0, $"megaregion.sh ports exited {exit}: {stderr}");
        return [.. stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            var f = line.Split(' ');
            Assert.Equal(4, f.Length);
            return (f[0], int.Parse(f[1], CultureInfo.InvariantCulture), int.Parse(f[2], CultureInfo.InvariantCulture), int.Parse(f[3], CultureInfo.InvariantCulture));
        })];
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Federation.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException($"Federation.sln not found above {AppContext.BaseDirectory}");
    }
}

using Microsoft.Extensions.Options;

namespace Federation.Server.Hosting;

/// <summary>Where grain state and reminders are kept.</summary>
public enum StorageKind
{
    /// <summary>A local SQLite file: state survives a restart (the embedded default).</summary>
    Sqlite,

    /// <summary>Process memory: fastest, lost on exit. For demos, tests and benchmarks.</summary>
    Memory,
}

/// <summary>
/// The server's own options, bound from the <c>Federation</c> configuration section (appsettings.json,
/// environment variables such as <c>Federation__Storage=memory</c>, or the command line: <c>--storage</c>,
/// <c>--connection</c>, <c>--megaregion</c>, <c>--time-scale</c>, <c>--demo</c>).
/// </summary>
public sealed class FederationServerOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Federation";

    /// <summary>Default of <see cref="Storage"/>: durable, with no setup.</summary>
    public const StorageKind DefaultStorage = StorageKind.Sqlite;

    /// <summary>Default SQLite database file, relative to the working directory; its folder is created.</summary>
    public const string DefaultSqlitePath = "data/federation.db";

    /// <summary>Default of <see cref="TimeScale"/>: simulated time runs at wall-clock speed.</summary>
    public const double DefaultTimeScale = 1;

    /// <summary>Default time scale with <see cref="Demo"/> when none is given: one simulated hour every six seconds.</summary>
    public const double DefaultDemoTimeScale = 600;

    /// <summary>Largest accepted <see cref="TimeScale"/>.</summary>
    public const double MaxTimeScale = 1_000_000;

    /// <summary>Default of <see cref="DemoJobsPerSecond"/>.</summary>
    public const double DefaultDemoJobsPerSecond = 2;

    /// <summary>Largest accepted <see cref="DemoJobsPerSecond"/>.</summary>
    public const double MaxDemoJobsPerSecond = 1000;

    /// <summary>The storage provider name the grains' state uses (their <c>[PersistentState]</c> attributes bind to it).</summary>
    public const string StorageName = Federation.Grains.Hosting.FederationGrainsOptions.DefaultStorageName;

    /// <summary><c>sqlite</c> (default) or <c>memory</c>.</summary>
    public StorageKind Storage { get; set; } = DefaultStorage;

    /// <summary>
    /// For SQLite: a file path or a Microsoft.Data.Sqlite connection string (<c>Data Source=...</c>);
    /// null means <see cref="DefaultSqlitePath"/>. Never logged as given: it may carry a password.
    /// </summary>
    public string? Connection { get; set; }

    /// <summary>A megaregion JSON file; null means the embedded default.</summary>
    public string? Megaregion { get; set; }

    /// <summary>How many times faster than wall time jobs execute (simulated time); null means 1, or 600 with <see cref="Demo"/>.</summary>
    public double? TimeScale { get; set; }

    /// <summary>Feed a steady synthetic workload so a newcomer sees jobs arrive, queue, overflow and finish.</summary>
    public bool Demo { get; set; }

    /// <summary>Arrival rate of the demo workload, jobs per wall-clock second over the whole megaregion.</summary>
    public double DemoJobsPerSecond { get; set; } = DefaultDemoJobsPerSecond;

    /// <summary>Seed of the demo workload, so two runs submit the same jobs.</summary>
    public int DemoSeed { get; set; } = 1;

    /// <summary>The time scale in effect.</summary>
    public double EffectiveTimeScale => TimeScale ?? (Demo ? DefaultDemoTimeScale : DefaultTimeScale);
}

/// <summary>Validates <see cref="FederationServerOptions"/>; each message names the option as configured.</summary>
public sealed class FederationServerOptionsValidator : IValidateOptions<FederationServerOptions>
{
    public ValidateOptionsResult Validate(string? name, FederationServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (!Enum.IsDefined(options.Storage))
        {
            failures.Add($"Federation:Storage (--storage) must be sqlite or memory, not '{options.Storage}'.");
        }

        if (options.TimeScale is { } scale && (double.IsNaN(scale) || scale <= 0 || scale > FederationServerOptions.MaxTimeScale))
        {
            failures.Add($"Federation:TimeScale (--time-scale) must be > 0 and <= {FederationServerOptions.MaxTimeScale}, not {scale}.");
        }

        if (double.IsNaN(options.DemoJobsPerSecond) || options.DemoJobsPerSecond <= 0 || options.DemoJobsPerSecond > FederationServerOptions.MaxDemoJobsPerSecond)
        {
            failures.Add($"Federation:DemoJobsPerSecond must be > 0 and <= {FederationServerOptions.MaxDemoJobsPerSecond}, not {options.DemoJobsPerSecond}.");
        }

        if (options.Storage == StorageKind.Sqlite && options.Connection is { } c && string.IsNullOrWhiteSpace(c))
        {
            failures.Add("Federation:Connection (--connection) must not be blank; leave it unset for the default file.");
        }

        if (options.Megaregion is { } m && string.IsNullOrWhiteSpace(m))
        {
            failures.Add("Federation:Megaregion (--megaregion) must not be blank; leave it unset for the embedded default.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

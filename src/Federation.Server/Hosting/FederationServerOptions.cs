using System.Text.RegularExpressions;
using Federation.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Federation.Server.Hosting;

/// <summary>
/// The server's own options, bound from the <c>Federation</c> configuration section (appsettings.json,
/// environment variables such as <c>Federation__Storage=memory</c>, or the command line: <c>--storage</c>,
/// <c>--connection</c>, <c>--schema</c>, <c>--megaregion</c>, <c>--time-scale</c>, <c>--demo</c>).
/// </summary>
public sealed class FederationServerOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "Federation";

    /// <summary>Default of <see cref="Storage"/>: durable, with no setup.</summary>
    public const StorageKind DefaultStorage = StorageKind.Sqlite;

    /// <summary>Default SQLite job file, relative to the working directory; its folder is created (Orleans' grain state goes beside it).</summary>
    public const string DefaultSqlitePath = "data/federation.db";

    /// <summary>Default of <see cref="SiloPort"/>: Orleans' own default silo port.</summary>
    public const int DefaultSiloPort = 11111;

    /// <summary>Default of <see cref="GatewayPort"/>: Orleans' own default gateway port.</summary>
    public const int DefaultGatewayPort = 30000;

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

    /// <summary>
    /// Default of <see cref="StoreConnectTimeout"/>: a request during a PostgreSQL outage fails within
    /// seconds (503) rather than waiting for Npgsql's 15 s or the 30 s grain call timeout.
    /// </summary>
    public static readonly TimeSpan DefaultStoreConnectTimeout = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Default of <see cref="StoreCommandTimeout"/>: the store's statements are single-row reads and
    /// writes taking milliseconds, so one that runs for seconds means a database that stopped answering;
    /// shorter than the provider's 30 s so the request fails before the grain call times out.
    /// </summary>
    public static readonly TimeSpan DefaultStoreCommandTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Longest accepted <see cref="StoreConnectTimeout"/> (Npgsql's limit).</summary>
    public static readonly TimeSpan MaxStoreConnectTimeout = TimeSpan.FromSeconds(1024);

    /// <summary>Longest accepted <see cref="StoreCommandTimeout"/>.</summary>
    public static readonly TimeSpan MaxStoreCommandTimeout = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Default of <see cref="StoreMaxPoolSize"/>: two pools of 20 stay under PostgreSQL's default
    /// <c>max_connections</c> of 100 with room for a second server, or for the connections of a killed one that
    /// the database has not closed yet. Npgsql's own default (100 per pool) let one server ask for twice the
    /// database's slots: under a burst (a restart with a thousand notices to deliver) it got "53300: remaining
    /// connection slots are reserved", pool-exhausted waits and connect timeouts for minutes, where a smaller
    /// pool queues the same work in the server and the database runs it faster with fewer backends.
    /// </summary>
    public const int DefaultStoreMaxPoolSize = 20;

    /// <summary>Largest accepted <see cref="StoreMaxPoolSize"/>.</summary>
    public const int MaxStoreMaxPoolSize = 1024;

    /// <summary><c>sqlite</c> (default), <c>memory</c> or <c>postgres</c>.</summary>
    public StorageKind Storage { get; set; } = DefaultStorage;

    /// <summary>
    /// For SQLite: a file path or a Microsoft.Data.Sqlite connection string (<c>Data Source=...</c>);
    /// null means <see cref="DefaultSqlitePath"/>. For PostgreSQL (required): an Npgsql connection string,
    /// <c>Host=db;Port=5432;Username=federation;Password=...;Database=federation</c>. Never logged as
    /// given: it may carry a password.
    /// </summary>
    public string? Connection { get; set; }

    /// <summary>
    /// PostgreSQL only: the schema the tables live in, created on start if missing; null uses the
    /// connection's search path (normally <c>public</c>). A lower-case identifier.
    /// </summary>
    public string? Schema { get; set; }

    /// <summary>PostgreSQL only: how long opening a connection may take before the request fails as unreachable (503).</summary>
    public TimeSpan StoreConnectTimeout { get; set; } = DefaultStoreConnectTimeout;

    /// <summary>PostgreSQL only: how long one statement may run before the request fails as unreachable (503).</summary>
    public TimeSpan StoreCommandTimeout { get; set; } = DefaultStoreCommandTimeout;

    /// <summary>
    /// PostgreSQL only: most connections the server's pool (job rows and Orleans' grain state share it) opens. Keep
    /// this, summed over the servers sharing a database, under its <c>max_connections</c>.
    /// </summary>
    public int StoreMaxPoolSize { get; set; } = DefaultStoreMaxPoolSize;

    /// <summary>
    /// Per region (<c>Federation:Regions:&lt;id&gt;</c>): how it runs its jobs. Regions not named here, and regions with
    /// <c>Executor</c> <c>simulated</c>, hold the accelerators for the job's duration on the execution clock; <c>slurm</c>
    /// runs each job's script on the region's Slurm through slurmrestd (<c>Federation:Regions:&lt;id&gt;:Slurm:Url</c>,
    /// <c>:User</c>, <c>:Token</c>, <c>:Partition</c>, <c>:Gres:&lt;pool type&gt;</c>, ...).
    /// </summary>
    public Dictionary<string, RegionExecution> Regions { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The TCP port of the silo on loopback (Orleans' silo-to-silo endpoint).</summary>
    public int SiloPort { get; set; } = DefaultSiloPort;

    /// <summary>The TCP port of the silo's Orleans gateway on loopback (for Orleans clients).</summary>
    public int GatewayPort { get; set; } = DefaultGatewayPort;

    /// <summary>Default of <see cref="ClusterId"/>.</summary>
    public const string DefaultClusterId = "megaregion";

    /// <summary>Default of <see cref="AdvertiseAddress"/>: loopback, for silos on one machine.</summary>
    public const string DefaultAdvertiseAddress = "127.0.0.1";

    /// <summary>
    /// The region this server's silo runs, one silo per region: giving it makes the server join the cluster
    /// <see cref="ClusterId"/> through PostgreSQL membership (which requires <c>postgres</c> storage), with silo metadata
    /// <c>region=&lt;id&gt;</c>. Null (the default) runs every region in one silo with localhost clustering.
    /// </summary>
    public string? Region { get; set; }

    /// <summary>The Orleans cluster id the silos of one megaregion share (with <see cref="Region"/> only).</summary>
    public string ClusterId { get; set; } = DefaultClusterId;

    /// <summary>
    /// The IP address the silo advertises to the others (with <see cref="Region"/> only). On loopback the silo listens
    /// on loopback only; any other address makes it listen on every interface.
    /// </summary>
    public string AdvertiseAddress { get; set; } = DefaultAdvertiseAddress;

    /// <summary>
    /// Running in a Kubernetes pod (with <see cref="Region"/> only): the pod's IP, name and namespace and the cluster id come
    /// from the environment (<c>POD_IP</c>, <c>POD_NAME</c>, <c>POD_NAMESPACE</c>, <c>ORLEANS_CLUSTER_ID</c>,
    /// <c>ORLEANS_SERVICE_ID</c>) through Orleans' Kubernetes hosting, which names the silo after its pod and deletes the pods
    /// of silos declared dead (the pod's service account needs pods get, list, watch, patch and delete).
    /// </summary>
    public bool Kubernetes { get; set; }

    /// <summary>Whether the server is one silo of a cluster (one per region).</summary>
    public bool Clustered => Region is not null;

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

    /// <summary>
    /// Reclaim of lent capacity (<c>Federation:Reclaim</c>, issue 16): a region whose offer is preemptible takes back the
    /// accelerators lent to another region's job when its own job at the head of its queue needs them (checkpoint signal,
    /// the offer's grace period, then the lent job is placed again). Off by default.
    /// </summary>
    public bool Reclaim { get; set; }

    /// <summary>The time scale in effect.</summary>
    public double EffectiveTimeScale => TimeScale ?? (Demo ? DefaultDemoTimeScale : DefaultTimeScale);
}

/// <summary>
/// Validates <see cref="FederationServerOptions"/>; each message names the option as configured, and
/// none repeats the connection string (it may hold a password).
/// </summary>
public sealed partial class FederationServerOptionsValidator : IValidateOptions<FederationServerOptions>
{
    /// <summary>The accepted values of <c>Federation:Storage</c>, as a message lists them.</summary>
    public const string StorageChoices = "sqlite, memory or postgres";

    /// <summary>The message for a <c>Federation:Storage</c> value that names no store.</summary>
    public static string UnknownStorage(string value) => $"Federation:Storage (--storage) must be {StorageChoices}, not '{value}'.";

    /// <summary>Whether <paramref name="value"/> names a store (case-insensitive; numbers are not names).</summary>
    public static bool IsStorageName(string value) =>
        Enum.TryParse<StorageKind>(value, ignoreCase: true, out var kind) && Enum.IsDefined(kind) && !value.Trim().All(char.IsAsciiDigit);

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex SchemaName();

    public ValidateOptionsResult Validate(string? name, FederationServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (!Enum.IsDefined(options.Storage))
        {
            failures.Add(UnknownStorage(options.Storage.ToString()));
        }

        if (options.Storage == StorageKind.Postgres)
        {
            CheckPostgres(options, failures);
        }
        else if (options.Schema is not null)
        {
            failures.Add("Federation:Schema (--schema) applies to postgres storage only; remove it or set Federation:Storage (--storage) to postgres.");
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

        foreach (var (option, flag, port) in new[] { ("SiloPort", "--silo-port", options.SiloPort), ("GatewayPort", "--gateway-port", options.GatewayPort) })
        {
            if (port is < 1 or > 65535)
            {
                failures.Add($"Federation:{option} ({flag}) must be a TCP port from 1 to 65535, not {port}.");
            }
        }

        if (options.SiloPort == options.GatewayPort)
        {
            failures.Add($"Federation:SiloPort (--silo-port) and Federation:GatewayPort (--gateway-port) must differ (both are {options.SiloPort}).");
        }

        CheckCluster(options, failures);

        if (options.Megaregion is { } m && string.IsNullOrWhiteSpace(m))
        {
            failures.Add("Federation:Megaregion (--megaregion) must not be blank; leave it unset for the embedded default.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex ClusterIdName();

    /// <summary>The cluster options; whether <see cref="FederationServerOptions.Region"/> names a region of the megaregion is checked once it is loaded.</summary>
    private static void CheckCluster(FederationServerOptions options, List<string> failures)
    {
        if (options.Region is null)
        {
            if (options.Kubernetes)
            {
                failures.Add("Federation:Kubernetes applies to a cluster only: set Federation:Region (--region) to the region this silo runs.");
            }

            return;
        }

        if (string.IsNullOrWhiteSpace(options.Region))
        {
            failures.Add("Federation:Region (--region) must name a region of the megaregion, not be blank; leave it unset for the embedded default (one silo, every region).");
        }

        if (options.Storage != StorageKind.Postgres)
        {
            failures.Add($"Federation:Region (--region) makes this server one silo of a cluster, whose membership and state are in PostgreSQL: "
                + $"set Federation:Storage (--storage) to postgres (not {options.Storage.ToString().ToLowerInvariant()}) and Federation:Connection (--connection).");
        }

        if (!ClusterIdName().IsMatch(options.ClusterId ?? ""))
        {
            failures.Add($"Federation:ClusterId (--cluster-id) must be lower-case letters, digits and '-' (at most 63, not starting with '-'), not '{options.ClusterId}'.");
        }

        if (!System.Net.IPAddress.TryParse(options.AdvertiseAddress, out var address) || address.Equals(System.Net.IPAddress.Any) || address.Equals(System.Net.IPAddress.IPv6Any))
        {
            failures.Add($"Federation:AdvertiseAddress (--advertise-address) must be the IP address other silos reach this one at (e.g. 10.0.0.5), not '{options.AdvertiseAddress}'.");
        }
    }

    private static void CheckPostgres(FederationServerOptions options, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(options.Connection))
        {
            failures.Add("Federation:Connection (--connection) is required with postgres storage: an Npgsql connection string such as "
                + "\"Host=db.example.org;Port=5432;Username=federation;Password=...;Database=federation\" (or set Federation__Connection in the environment).");
        }
        else
        {
            try
            {
                var builder = new NpgsqlConnectionStringBuilder(options.Connection);
                if (string.IsNullOrWhiteSpace(builder.Host))
                {
                    failures.Add("Federation:Connection (--connection) must name the PostgreSQL server with Host=...");
                }
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
            {
                // The driver's message may quote the string, password included: it is not repeated.
                failures.Add("Federation:Connection (--connection) is not a valid PostgreSQL connection string: expected Key=Value pairs separated by ';' "
                    + "with Npgsql's keys (Host, Port, Username, Password, Database, ...). Its value is not shown, as it may hold a password.");
            }
        }

        if (options.Schema is { } schema && !SchemaName().IsMatch(schema))
        {
            failures.Add($"Federation:Schema (--schema) must be a lower-case identifier (letters, digits, '_', not starting with a digit, at most 63 characters), not '{schema}'.");
        }

        if (options.StoreConnectTimeout < TimeSpan.FromSeconds(1) || options.StoreConnectTimeout > FederationServerOptions.MaxStoreConnectTimeout)
        {
            failures.Add($"Federation:StoreConnectTimeout must be between 1 s and {FederationServerOptions.MaxStoreConnectTimeout.TotalSeconds} s, not {options.StoreConnectTimeout}.");
        }

        if (options.StoreCommandTimeout < TimeSpan.FromSeconds(1) || options.StoreCommandTimeout > FederationServerOptions.MaxStoreCommandTimeout)
        {
            failures.Add($"Federation:StoreCommandTimeout must be between 1 s and {FederationServerOptions.MaxStoreCommandTimeout.TotalSeconds} s, not {options.StoreCommandTimeout}.");
        }

        if (options.StoreMaxPoolSize is < 1 or > FederationServerOptions.MaxStoreMaxPoolSize)
        {
            failures.Add($"Federation:StoreMaxPoolSize must be between 1 and {FederationServerOptions.MaxStoreMaxPoolSize}, not {options.StoreMaxPoolSize}.");
        }
    }
}

/// <summary>How a region runs its jobs (<c>Federation:Regions:&lt;id&gt;</c>).</summary>
public sealed class RegionExecution
{
    /// <summary><c>simulated</c> (default) or <c>slurm</c>.</summary>
    public ExecutorKind Executor { get; set; } = ExecutorKind.Simulated;

    /// <summary>With <c>slurm</c>: how the region reaches its Slurm.</summary>
    public Federation.Grains.Execution.Slurm.SlurmOptions Slurm { get; set; } = new();
}

/// <summary>What runs a region's jobs.</summary>
public enum ExecutorKind
{
    /// <summary>The accelerators are held for the job's duration on the execution clock; nothing runs.</summary>
    Simulated,

    /// <summary>The job's script runs on the region's Slurm, through slurmrestd.</summary>
    Slurm,
}

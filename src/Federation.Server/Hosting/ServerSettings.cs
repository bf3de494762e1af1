using Federation.Grains.Execution.Slurm;
using Federation.Scheduling;
using Federation.Storage;
using Federation.Storage.Postgres;
using Federation.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Federation.Server.Hosting;

/// <summary>The options as resolved at startup: the loaded megaregion, the store and the time scale in effect.</summary>
public sealed class ServerSettings
{
    private ServerSettings(FederationServerOptions options, Megaregion megaregion, string? sqliteConnectionString, string? sqlitePath)
    {
        Options = options;
        Megaregion = megaregion;
        SqliteConnectionString = sqliteConnectionString;
        SqlitePath = sqlitePath;
        if (options.Storage == StorageKind.Postgres)
        {
            var postgres = new PostgresStorageOptions();
            ConfigurePostgres(postgres);
            PostgresDisplayName = PostgresStorage.DisplayNameOf(postgres);
        }
    }

    public FederationServerOptions Options { get; }

    public Megaregion Megaregion { get; }

    public StorageKind Storage => Options.Storage;

    public double TimeScale => Options.EffectiveTimeScale;

    /// <summary>The SQLite connection string of the job file in use; null unless sqlite. Not to be logged.</summary>
    public string? SqliteConnectionString { get; }

    /// <summary>The SQLite job file, safe to log (Orleans' grain state is in <see cref="SqliteGrainStatePath"/> beside it).</summary>
    public string? SqlitePath { get; }

    /// <summary>The SQLite file of Orleans' grain state, safe to log.</summary>
    public string? SqliteGrainStatePath => SqlitePath is null ? null : SqliteStorageOptions.GrainStateFileOf(SqlitePath);

    /// <summary>The PostgreSQL server, port, database and schema, safe to log (<see cref="PostgresStorage.DisplayNameOf"/>); null unless postgres.</summary>
    public string? PostgresDisplayName { get; }

    /// <summary>The database state is kept in, in words safe to log and show on <c>/health</c>; null with memory storage.</summary>
    public string? Database => Storage switch
    {
        StorageKind.Sqlite => $"{SqlitePath} (grain state: {SqliteGrainStatePath})",
        StorageKind.Postgres => PostgresDisplayName,
        _ => null,
    };

    /// <summary>Where state is kept, in words safe to log (no password or other connection-string secret).</summary>
    public string StorageDescription => Storage == StorageKind.Memory ? "memory (lost on exit)" : $"{Storage.ToString().ToLowerInvariant()} ({Database})";

    /// <summary>
    /// Applies the server's PostgreSQL settings to the store's options: the connection string, the schema, the pool
    /// size and the short timeouts that make a request fail fast during an outage.
    /// </summary>
    public void ConfigurePostgres(PostgresStorageOptions postgres)
    {
        ArgumentNullException.ThrowIfNull(postgres);
        postgres.ConnectionString = Options.Connection;
        postgres.Schema = Options.Schema;
        postgres.ConnectTimeout = Options.StoreConnectTimeout;
        postgres.CommandTimeout = Options.StoreCommandTimeout;
        postgres.MaxPoolSize = Options.StoreMaxPoolSize;
    }

    /// <summary>The regions that run their jobs on Slurm, with how each reaches it.</summary>
    public IReadOnlyDictionary<string, SlurmOptions> SlurmRegions =>
        Options.Regions.Where(static r => r.Value.Executor == ExecutorKind.Slurm).ToDictionary(static r => r.Key, static r => r.Value.Slurm, StringComparer.Ordinal);

    /// <summary>
    /// Checks <c>Federation:Regions</c> against the megaregion and marks the regions that run jobs on Slurm as running
    /// scripts only (a job without <c>run.script</c> is never placed there).
    /// </summary>
    private static Megaregion WithExecutors(FederationServerOptions options, Megaregion megaregion)
    {
        var failures = new List<string>();
        var slurm = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (id, execution) in options.Regions)
        {
            var prefix = $"Federation:Regions:{id}";
            var index = megaregion.IndexOf(id);
            if (index < 0)
            {
                failures.Add($"{prefix} names no region of the megaregion ({string.Join(", ", megaregion.Regions.Select(r => r.Id))}).");
                continue;
            }

            if (execution.Executor != ExecutorKind.Slurm)
            {
                continue;
            }

            failures.AddRange(execution.Slurm.Check($"{prefix}:Slurm", megaregion.Regions[index].Pools.Select(p => p.Type).Distinct()));
            if (options.EffectiveTimeScale != 1)
            {
                failures.Add($"{prefix}:Executor is slurm, which runs real jobs in real time: Federation:TimeScale (--time-scale, --demo) must be 1, not {options.EffectiveTimeScale}.");
            }

            slurm.Add(id);
        }

        if (failures.Count > 0)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(FederationServerOptions.SectionName, typeof(FederationServerOptions), failures);
        }

        return slurm.Count == 0
            ? megaregion
            : new Megaregion([.. megaregion.Regions.Select(r => slurm.Contains(r.Id) ? r with { RequiresScript = true } : r)], megaregion.Links);
    }

    /// <summary>Where the megaregion came from, in words.</summary>
    public string MegaregionSource => Options.Megaregion is { } path ? path : "embedded default";

    /// <summary>
    /// Loads the megaregion (a <see cref="MegaregionFormatException"/> names the bad field) and resolves the
    /// store, creating the SQLite file's folder. The options must have been validated.
    /// </summary>
    public static ServerSettings Resolve(FederationServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Megaregion megaregion;
        if (options.Megaregion is { } path)
        {
            try
            {
                megaregion = MegaregionLoader.Load(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new MegaregionFormatException($"cannot read megaregion file '{path}': {e.Message}", e);
            }
        }
        else
        {
            megaregion = MegaregionLoader.LoadDefault();
        }

        if (options.Region is { } region && megaregion.IndexOf(region) < 0)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(FederationServerOptions.SectionName, typeof(FederationServerOptions),
                [$"Federation:Region (--region) must be one of the megaregion's regions ({string.Join(", ", megaregion.Regions.Select(r => r.Id))}), not '{region}'."]);
        }

        megaregion = WithExecutors(options, megaregion);
        if (options.Storage != StorageKind.Sqlite)
        {
            return new ServerSettings(options, megaregion, null, null);
        }

        var given = options.Connection ?? FederationServerOptions.DefaultSqlitePath;
        var builder = given.Contains('=', StringComparison.Ordinal)
            ? new SqliteConnectionStringBuilder(given)
            : new SqliteConnectionStringBuilder { DataSource = given };
        var file = Path.GetFullPath(builder.DataSource);
        builder.DataSource = file;
        if (Path.GetDirectoryName(file) is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
        }

        return new ServerSettings(options, megaregion, builder.ToString(), file);
    }
}

using System.ComponentModel;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Federation.Benchmarks.Http;
using Federation.Contracts;
using Federation.Grains.Jobs;
using Federation.Storage.Hosting;
using Federation.Storage.Jobs;
using Federation.Storage.Postgres;
using Federation.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Federation.Benchmarks.Storage;

/// <summary>
/// The job store's write and read, per provider: memory (the baseline of each category), SQLite with the default
/// <c>synchronous=FULL</c> (a commit survives power loss) and with <c>NORMAL</c> (survives a process kill), and PostgreSQL.
/// The state is a real job row (a running job with its placement decision and history, through the row's own JSON
/// converter), written with its index columns, as the job grain writes it on every transition. "Write" is one writer;
/// "Write64" is 64 job rows written at once, reported per write, which is what SQLite's group commit and PostgreSQL's
/// pool are for. Each store is built as a silo builds it (<see cref="FederationDatabases"/>), without a silo.
/// PostgreSQL runs on the server <c>FEDERATION_TEST_POSTGRES</c> names
/// (<c>export FEDERATION_TEST_POSTGRES="$(./eng/ensure-postgres.sh)"</c>), in a schema of its own dropped afterwards.
/// Run: <c>dotnet run -c Release --project tests/Federation.Benchmarks -- --filter '*GrainStorageBenchmarks*' --job short</c>.
/// </summary>
[Description("job store write/read per provider (memory, SQLite FULL and NORMAL, PostgreSQL); needs FEDERATION_TEST_POSTGRES (export FEDERATION_TEST_POSTGRES=\"$(./eng/ensure-postgres.sh)\")")]
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class GrainStorageBenchmarks
{
    private const int ConcurrentGrains = 64;

    private readonly GrainId _grain = JobId("job-0001");
    private readonly GrainId[] _grains = new GrainId[ConcurrentGrains];
    private readonly Task[] _pending = new Task[ConcurrentGrains];
    private string _directory = string.Empty;
    private string _postgresServer = string.Empty;
    private string _postgresSchema = string.Empty;
    private FederationDatabases[] _databases = [];
    private IJobStore _memory = null!;
    private IJobStore _sqliteFull = null!;
    private IJobStore _sqliteNormal = null!;
    private IJobStore _postgres = null!;
    private GrainState<JobRecord> _memoryState = null!;
    private GrainState<JobRecord> _fullState = null!;
    private GrainState<JobRecord> _normalState = null!;
    private GrainState<JobRecord> _postgresState = null!;
    private GrainState<JobRecord>[] _memoryStates = null!;
    private GrainState<JobRecord>[] _fullStates = null!;
    private GrainState<JobRecord>[] _normalStates = null!;
    private GrainState<JobRecord>[] _postgresStates = null!;
    private GrainState<JobRecord> _readTarget = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _postgresServer = Environment.GetEnvironmentVariable(BenchmarkPostgres.EnvironmentVariable) is { Length: > 0 } server
            ? server
            : throw new InvalidOperationException(
                $"{BenchmarkPostgres.EnvironmentVariable} is not set: export {BenchmarkPostgres.EnvironmentVariable}=\"$(./eng/ensure-postgres.sh)\" before running the storage benchmarks.");
        _directory = Path.Combine(Path.GetTempPath(), "federation-storage-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        _postgresSchema = BenchmarkPostgres.NewSchema("bench_storage");
        _databases =
        [
            FederationDatabases.Memory(),
            FederationDatabases.Sqlite(Sqlite("full.db", SqliteSynchronousMode.Full)),
            FederationDatabases.Sqlite(Sqlite("normal.db", SqliteSynchronousMode.Normal)),
            FederationDatabases.Postgres(new PostgresStorageOptions
            {
                ConnectionString = _postgresServer,
                Schema = _postgresSchema,
                MaxPoolSize = BenchmarkPostgres.MaxPoolSize,
            }),
        ];
        var stores = new IJobStore[_databases.Length];
        for (var d = 0; d < _databases.Length; d++)
        {
            foreach (var database in _databases[d].All)
            {
                await database.InitializeAsync();
            }

            stores[d] = _databases[d].CreateJobStore(LocalSilo.ServiceId, new JobStoreOptions(), new JsonRowSerializer());
        }

        (_memory, _sqliteFull, _sqliteNormal, _postgres) = (stores[0], stores[1], stores[2], stores[3]);
        for (var i = 0; i < ConcurrentGrains; i++)
        {
            _grains[i] = JobId($"job-{i:D4}-of-64");
        }

        _memoryState = await SeedAsync(_memory, _grain);
        _fullState = await SeedAsync(_sqliteFull, _grain);
        _normalState = await SeedAsync(_sqliteNormal, _grain);
        _postgresState = await SeedAsync(_postgres, _grain);
        _memoryStates = await SeedAllAsync(_memory);
        _fullStates = await SeedAllAsync(_sqliteFull);
        _normalStates = await SeedAllAsync(_sqliteNormal);
        _postgresStates = await SeedAllAsync(_postgres);
        _readTarget = new GrainState<JobRecord>();
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        foreach (var databases in _databases)
        {
            await databases.DisposeAsync();
        }

        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        await BenchmarkPostgres.DropSchemaAsync(_postgresServer, _postgresSchema);
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Write")]
    public Task MemoryWrite() => _memory.WriteStateAsync(JobRecord.StateName, _grain, _memoryState);

    [Benchmark, BenchmarkCategory("Write")]
    public Task SqliteFullWrite() => _sqliteFull.WriteStateAsync(JobRecord.StateName, _grain, _fullState);

    [Benchmark, BenchmarkCategory("Write")]
    public Task SqliteNormalWrite() => _sqliteNormal.WriteStateAsync(JobRecord.StateName, _grain, _normalState);

    [Benchmark, BenchmarkCategory("Write")]
    public Task PostgresWrite() => _postgres.WriteStateAsync(JobRecord.StateName, _grain, _postgresState);

    [Benchmark(Baseline = true), BenchmarkCategory("Read")]
    public Task MemoryRead() => _memory.ReadStateAsync(JobRecord.StateName, _grain, _readTarget);

    [Benchmark, BenchmarkCategory("Read")]
    public Task SqliteRead() => _sqliteFull.ReadStateAsync(JobRecord.StateName, _grain, _readTarget);

    [Benchmark, BenchmarkCategory("Read")]
    public Task PostgresRead() => _postgres.ReadStateAsync(JobRecord.StateName, _grain, _readTarget);

    [Benchmark(Baseline = true, OperationsPerInvoke = ConcurrentGrains), BenchmarkCategory("Write64")]
    public Task MemoryConcurrentWrite() => WriteAllAsync(_memory, _memoryStates);

    [Benchmark(OperationsPerInvoke = ConcurrentGrains), BenchmarkCategory("Write64")]
    public Task SqliteFullConcurrentWrite() => WriteAllAsync(_sqliteFull, _fullStates);

    [Benchmark(OperationsPerInvoke = ConcurrentGrains), BenchmarkCategory("Write64")]
    public Task SqliteNormalConcurrentWrite() => WriteAllAsync(_sqliteNormal, _normalStates);

    [Benchmark(OperationsPerInvoke = ConcurrentGrains), BenchmarkCategory("Write64")]
    public Task PostgresConcurrentWrite() => WriteAllAsync(_postgres, _postgresStates);

    /// <summary>A running job's row: what most writes of a placed job store.</summary>
    internal static JobRecord SampleRow(string id)
    {
        var submitted = new DateTimeOffset(2026, 11, 22, 3, 0, 0, TimeSpan.Zero);
        var row = new JobRecord
        {
            Request = new JobRequest
            {
                Id = id,
                Project = "kisti-llm",
                Owner = "researcher",
                HomeRegion = "gwangju",
                Accelerators = new AcceleratorRequest { Count = 64, Types = ["H100"] },
                DurationHours = 12,
                Dataset = new DatasetRef { Region = "gwangju", SizeGb = 500 },
            },
            State = JobState.Running,
            Region = "gwangju",
            Placement = new PlacementDecision
            {
                Policy = "EarliestStart",
                ChosenRegion = "gwangju",
                Candidates =
                [
                    new RegionScore { Region = "gwangju", ExpectedStartDelaySeconds = 0 },
                    new RegionScore { Region = "suncheon", ExpectedStartDelaySeconds = 1_800, TransferSeconds = 420 },
                    new RegionScore { Region = "gwangyang", ExpectedStartDelaySeconds = 5_400, TransferSeconds = 510 },
                    new RegionScore { Region = "daegu", ExcludedBecause = "no H100 pool" },
                ],
            },
            SubmittedAt = submitted,
            QueuedAt = submitted,
            DataReadyAt = submitted,
            StartedAt = submitted.AddSeconds(3),
        };
        row.AddEvent(submitted, JobEventKinds.Submitted, null);
        row.AddEvent(submitted, JobEventKinds.Queued, "gwangju");
        row.AddEvent(submitted.AddSeconds(3), JobEventKinds.Started, "gwangju");
        return row;
    }

    private static GrainId JobId(string key) => GrainId.Create(JobRecord.GrainTypeName, key);

    private static async Task<GrainState<JobRecord>> SeedAsync(IJobStore store, GrainId grain)
    {
        var state = new GrainState<JobRecord>(SampleRow(grain.Key.ToString()!));
        await store.WriteStateAsync(JobRecord.StateName, grain, state);
        return state;
    }

    private async Task<GrainState<JobRecord>[]> SeedAllAsync(IJobStore store)
    {
        var states = new GrainState<JobRecord>[ConcurrentGrains];
        for (var i = 0; i < ConcurrentGrains; i++)
        {
            states[i] = await SeedAsync(store, _grains[i]);
        }

        return states;
    }

    private Task WriteAllAsync(IJobStore store, GrainState<JobRecord>[] states)
    {
        // On the thread pool, so the 64 writers run on both cores at once, as 64 job activations would.
        for (var i = 0; i < ConcurrentGrains; i++)
        {
            var grain = _grains[i];
            var state = states[i];
            _pending[i] = Task.Run(() => store.WriteStateAsync(JobRecord.StateName, grain, state));
        }

        return Task.WhenAll(_pending);
    }

    private SqliteStorageOptions Sqlite(string file, SqliteSynchronousMode synchronous) => new()
    {
        ConnectionString = "Data Source=" + Path.Combine(_directory, file),
        Synchronous = synchronous,
    };
}

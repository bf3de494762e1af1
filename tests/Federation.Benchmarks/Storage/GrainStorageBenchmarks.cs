using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Federation.Actors;
using Federation.Actors.AdoNet;
using Federation.Actors.AdoNet.Postgres;
using Federation.Actors.AdoNet.Sqlite;
using Federation.Actors.Storage;
using Npgsql;

namespace Federation.Benchmarks.Storage;

/// <summary>
/// Grain-storage write and read latency: the in-memory provider (baseline) against SQLite with the
/// default <c>synchronous=FULL</c> (a commit survives power loss) and with <c>NORMAL</c> (survives a
/// process kill). "Write" is one activation writing its state; "Write64" is 64 activations writing
/// at once, reported per write, which is what the single SQLite writer connection is for.
/// PostgreSQL runs on the server named by <c>FEDERATION_TEST_POSTGRES</c> (set by ./eng/test.sh, or
/// <c>export FEDERATION_TEST_POSTGRES="$(./eng/ensure-postgres.sh)"</c>), in a schema of its own dropped afterwards.
/// Run: <c>dotnet run -c Release --project tests/Federation.Benchmarks -- --filter '*Storage*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class GrainStorageBenchmarks
{
    private const int ConcurrentGrains = 64;
    private const string StateName = "job";
    private const string IndexedStateName = "indexed";

    private static readonly GrainType JobType = new("job");

    private readonly GrainId _grain = GrainId.Create(JobType, "job-0001");
    private readonly GrainId[] _grains = Enumerable.Range(0, ConcurrentGrains).Select(i => GrainId.Create(JobType, (long)i)).ToArray();
    private string _directory = string.Empty;
    private MemoryGrainStorage _memory = null!;
    private AdoNetGrainStorage _sqliteFull = null!;
    private AdoNetGrainStorage _sqliteNormal = null!;
    private AdoNetGrainStorage _postgres = null!;
    private string _postgresServer = string.Empty;
    private string _postgresSchema = string.Empty;
    private GrainState<BenchmarkJobState> _memoryState = null!;
    private GrainState<BenchmarkJobState> _fullState = null!;
    private GrainState<BenchmarkJobState> _normalState = null!;
    private GrainState<BenchmarkJobState> _postgresState = null!;
    private GrainState<BenchmarkJobState>[] _memoryStates = null!;
    private GrainState<BenchmarkJobState>[] _fullStates = null!;
    private GrainState<BenchmarkJobState>[] _normalStates = null!;
    private GrainState<BenchmarkJobState>[] _postgresStates = null!;
    private GrainState<IndexedBenchmarkJobState> _postgresIndexedState = null!;
    private GrainState<IndexedBenchmarkJobState>[] _postgresIndexedStates = null!;
    private GrainState<BenchmarkJobState> _readTarget = null!;
    private Task[] _pending = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "federation-storage-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        var serializer = new JsonGrainStorageSerializer();
        _memory = new MemoryGrainStorage(serializer);
        _sqliteFull = SqliteStorage.CreateGrainStorage("full", Options("full.db", SqliteSynchronousMode.Full), serializer);
        _sqliteNormal = SqliteStorage.CreateGrainStorage("normal", Options("normal.db", SqliteSynchronousMode.Normal), serializer);
        _postgresServer = Environment.GetEnvironmentVariable("FEDERATION_TEST_POSTGRES") is { Length: > 0 } server
            ? server
            : throw new InvalidOperationException(
                "FEDERATION_TEST_POSTGRES is not set: export FEDERATION_TEST_POSTGRES=\"$(./eng/ensure-postgres.sh)\" before running the storage benchmarks.");
        _postgresSchema = "fedbench_" + Guid.NewGuid().ToString("N");
        _postgres = PostgresStorage.CreateGrainStorage(
            "postgres",
            new PostgresStorageOptions { ConnectionString = _postgresServer, Schema = _postgresSchema },
            serializer);
        _memoryState = Seed(_memory, _grain);
        _fullState = Seed(_sqliteFull, _grain);
        _normalState = Seed(_sqliteNormal, _grain);
        _postgresState = Seed(_postgres, _grain);
        _memoryStates = _grains.Select(g => Seed(_memory, g)).ToArray();
        _fullStates = _grains.Select(g => Seed(_sqliteFull, g)).ToArray();
        _normalStates = _grains.Select(g => Seed(_sqliteNormal, g)).ToArray();
        _postgresStates = _grains.Select(g => Seed(_postgres, g)).ToArray();
        _postgresIndexedState = SeedIndexed(_postgres, _grain);
        _postgresIndexedStates = _grains.Select(g => SeedIndexed(_postgres, g)).ToArray();
        _readTarget = new GrainState<BenchmarkJobState>(null!);
        _pending = new Task[ConcurrentGrains];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sqliteFull.Dispose();
        _sqliteNormal.Dispose();
        _postgres.Dispose();
        Directory.Delete(_directory, recursive: true);
        using var connection = new NpgsqlConnection(_postgresServer);
        connection.Open();
        using var drop = connection.CreateCommand();

        // Our own generated name of [a-z0-9_]; DDL takes no parameters.
        drop.CommandText = $"DROP SCHEMA IF EXISTS \"{_postgresSchema}\" CASCADE";
        drop.ExecuteNonQuery();
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Write")]
    public Task MemoryWrite() => _memory.WriteStateAsync(StateName, _grain, _memoryState);

    [Benchmark, BenchmarkCategory("Write")]
    public Task SqliteFullWrite() => _sqliteFull.WriteStateAsync(StateName, _grain, _fullState);

    [Benchmark, BenchmarkCategory("Write")]
    public Task SqliteNormalWrite() => _sqliteNormal.WriteStateAsync(StateName, _grain, _normalState);

    [Benchmark, BenchmarkCategory("Write")]
    public Task PostgresWrite() => _postgres.WriteStateAsync(StateName, _grain, _postgresState);

    /// <summary>A job row with its four index entries (state, region, project, active), as the job grain writes it.</summary>
    [Benchmark, BenchmarkCategory("Write")]
    public Task PostgresIndexedWrite() => _postgres.WriteStateAsync(IndexedStateName, _grain, _postgresIndexedState);

    [Benchmark(Baseline = true), BenchmarkCategory("Read")]
    public Task MemoryRead() => _memory.ReadStateAsync(StateName, _grain, _readTarget);

    [Benchmark, BenchmarkCategory("Read")]
    public Task SqliteRead() => _sqliteFull.ReadStateAsync(StateName, _grain, _readTarget);

    [Benchmark, BenchmarkCategory("Read")]
    public Task PostgresRead() => _postgres.ReadStateAsync(StateName, _grain, _readTarget);

    [Benchmark(Baseline = true, OperationsPerInvoke = ConcurrentGrains), BenchmarkCategory("Write64")]
    public Task MemoryConcurrentWrite() => WriteAllAsync(_memory, _memoryStates);

    [Benchmark(OperationsPerInvoke = ConcurrentGrains), BenchmarkCategory("Write64")]
    public Task SqliteFullConcurrentWrite() => WriteAllAsync(_sqliteFull, _fullStates);

    [Benchmark(OperationsPerInvoke = ConcurrentGrains), BenchmarkCategory("Write64")]
    public Task SqliteNormalConcurrentWrite() => WriteAllAsync(_sqliteNormal, _normalStates);

    [Benchmark(OperationsPerInvoke = ConcurrentGrains), BenchmarkCategory("Write64")]
    public Task PostgresConcurrentWrite() => WriteAllAsync(_postgres, _postgresStates);

    [Benchmark(OperationsPerInvoke = ConcurrentGrains), BenchmarkCategory("Write64")]
    public Task PostgresIndexedConcurrentWrite()
    {
        for (var i = 0; i < ConcurrentGrains; i++)
        {
            var grain = _grains[i];
            var state = _postgresIndexedStates[i];
            _pending[i] = Task.Run(() => _postgres.WriteStateAsync(IndexedStateName, grain, state));
        }

        return Task.WhenAll(_pending);
    }

    private Task WriteAllAsync(IGrainStorage storage, GrainState<BenchmarkJobState>[] states)
    {
        for (var i = 0; i < ConcurrentGrains; i++)
        {
            var grain = _grains[i];
            var state = states[i];
            _pending[i] = Task.Run(() => storage.WriteStateAsync(StateName, grain, state));
        }

        return Task.WhenAll(_pending);
    }

    private SqliteStorageOptions Options(string file, SqliteSynchronousMode synchronous) => new()
    {
        ConnectionString = "Data Source=" + Path.Combine(_directory, file),
        Synchronous = synchronous,
    };

    private static GrainState<BenchmarkJobState> Seed(IGrainStorage storage, GrainId grain)
    {
        var state = new GrainState<BenchmarkJobState>(BenchmarkJobState.Sample);
        storage.WriteStateAsync(StateName, grain, state).GetAwaiter().GetResult();
        return state;
    }

    private static GrainState<IndexedBenchmarkJobState> SeedIndexed(IGrainStorage storage, GrainId grain)
    {
        var state = new GrainState<IndexedBenchmarkJobState>(IndexedBenchmarkJobState.Sample);
        storage.WriteStateAsync(IndexedStateName, grain, state).GetAwaiter().GetResult();
        return state;
    }
}

/// <summary>The same job-sized state with the job record's four index entries, so a write also replaces them.</summary>
public sealed record IndexedBenchmarkJobState(string JobId, string Project, string Phase, string? Region) : IIndexedGrainState
{
    public static readonly IndexedBenchmarkJobState Sample = new("job-0001", "kisti-llm", "Running", "gwangju")
    {
        Accelerators = 64,
        AcceleratorType = "H100",
        SubmittedAt = new DateTimeOffset(2026, 11, 22, 3, 0, 0, TimeSpan.Zero),
        History = ["Submitted", "Queued@gwangju", "Running@gwangju"],
    };

    public int Accelerators { get; init; }

    public string AcceleratorType { get; init; } = string.Empty;

    public DateTimeOffset SubmittedAt { get; init; }

    public ImmutableArray<string> History { get; init; } = [];

    public void GetIndexEntries(ICollection<KeyValuePair<string, string>> entries)
    {
        entries.Add(new("state", Phase));
        entries.Add(new("project", Project));
        entries.Add(new("active", "true"));
        if (Region is not null)
        {
            entries.Add(new("region", Region));
        }
    }
}

/// <summary>A job-sized state (about 300 bytes of JSON): what a job grain stores per transition.</summary>
public sealed record BenchmarkJobState(string JobId, string Project, string Phase, string? Region)
{
    public static readonly BenchmarkJobState Sample = new("job-0001", "kisti-llm", "Running", "gwangju")
    {
        Accelerators = 64,
        AcceleratorType = "H100",
        SubmittedAt = new DateTimeOffset(2026, 11, 22, 3, 0, 0, TimeSpan.Zero),
        History = ["Submitted", "Queued@gwangju", "Running@gwangju"],
        Constraints = ImmutableDictionary<string, string>.Empty.Add("residency", "kr").Add("memory", "80GB"),
    };

    public int Accelerators { get; init; }

    public string AcceleratorType { get; init; } = string.Empty;

    public DateTimeOffset SubmittedAt { get; init; }

    public ImmutableArray<string> History { get; init; } = [];

    public ImmutableDictionary<string, string> Constraints { get; init; } = ImmutableDictionary<string, string>.Empty;
}

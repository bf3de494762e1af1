using Orleans.Concurrency;

namespace Federation.Benchmarks.Ping;

/// <summary>The grain every ping benchmark calls: each method answers at once, so what is measured is the call path.</summary>
[Alias("bench.IPingGrain")]
public interface IPingGrain : IGrainWithIntegerKey
{
    [Alias("Ping")]
    ValueTask<int> Ping(int value);

    [Alias("PingTask")]
    Task<int> PingTask(int value);

    /// <summary>With a record argument Orleans deep-copies on a local call.</summary>
    [Alias("PingRecord")]
    ValueTask<int> PingRecord(int value, PingJob job);

    /// <summary>With the same record marked <c>[Immutable]</c>, which a local call passes by reference.</summary>
    [Alias("PingImmutableRecord")]
    ValueTask<int> PingImmutableRecord(int value, ImmutablePingJob job);
}

public sealed class PingGrain : Grain, IPingGrain
{
    public ValueTask<int> Ping(int value) => new(value + 1);

    public Task<int> PingTask(int value) => Task.FromResult(value + 1);

    public ValueTask<int> PingRecord(int value, PingJob job) => new(value + 1);

    public ValueTask<int> PingImmutableRecord(int value, ImmutablePingJob job) => new(value + 1);
}

[Alias("bench.IWorkerPingGrain")]
public interface IWorkerPingGrain : IGrainWithIntegerKey
{
    [Alias("Ping")]
    ValueTask<int> Ping(int value);
}

/// <summary>One grain id served by a pool of activations (Orleans' default: one per core).</summary>
[StatelessWorker]
public sealed class WorkerPingGrain : Grain, IWorkerPingGrain
{
    public ValueTask<int> Ping(int value) => new(value + 1);
}

/// <summary>A job-shaped argument (ids, a size, a duration) that Orleans deep-copies on a local call.</summary>
[GenerateSerializer, Alias("bench.PingJob")]
public sealed record PingJob
{
    public static readonly PingJob Sample = new() { Id = "job-0001", Project = "kisti-llm", HomeRegion = "gwangju", Accelerators = 8, DurationHours = 2.5 };

    [Id(0)]
    public string Id { get; init; } = "";

    [Id(1)]
    public string Project { get; init; } = "";

    [Id(2)]
    public string HomeRegion { get; init; } = "";

    [Id(3)]
    public int Accelerators { get; init; }

    [Id(4)]
    public double DurationHours { get; init; }
}

/// <summary><see cref="PingJob"/> marked <c>[Immutable]</c>, as the federation's wire records are.</summary>
[GenerateSerializer, Immutable, Alias("bench.ImmutablePingJob")]
public sealed record ImmutablePingJob
{
    public static readonly ImmutablePingJob Sample = new() { Id = "job-0001", Project = "kisti-llm", HomeRegion = "gwangju", Accelerators = 8, DurationHours = 2.5 };

    [Id(0)]
    public string Id { get; init; } = "";

    [Id(1)]
    public string Project { get; init; } = "";

    [Id(2)]
    public string HomeRegion { get; init; } = "";

    [Id(3)]
    public int Accelerators { get; init; }

    [Id(4)]
    public double DurationHours { get; init; }
}

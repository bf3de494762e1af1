using Federation.Actors;
using Federation.Actors.Concurrency;

namespace Federation.Benchmarks.Ping;

public interface IPingGrain : IGrainWithIntegerKey
{
    ValueTask<int> Ping(int value);

    Task<int> PingTask(int value);
}

public sealed class PingGrain : Grain, IPingGrain
{
    public ValueTask<int> Ping(int value) => new(value + 1);

    public Task<int> PingTask(int value) => Task.FromResult(value + 1);
}

public interface IWorkerPingGrain : IGrainWithIntegerKey
{
    ValueTask<int> Ping(int value);
}

[StatelessWorker]
public sealed class WorkerPingGrain : Grain, IWorkerPingGrain
{
    public ValueTask<int> Ping(int value) => new(value + 1);
}

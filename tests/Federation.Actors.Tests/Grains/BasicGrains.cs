using Federation.Actors.Concurrency;
using Federation.Actors.Tests.Support;

namespace Federation.Actors.Tests.Grains;

public interface IBasicGrain : IGrainWithStringKey
{
    Task<Guid> GetActivationId();

    Task<string> Echo(string text);

    Task Throw(string message);

    ValueTask<int> Add(int a, int b);

    /// <summary>Waits for the barrier, then throws: a one-way caller sees neither.</summary>
    [OneWay]
    Task FireAndForget(string barrier);
}

/// <summary>A test exception the caller must receive with its type.</summary>
public sealed class GrainTestException : Exception
{
    public GrainTestException()
    {
    }

    public GrainTestException(string message)
        : base(message)
    {
    }

    public GrainTestException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

public sealed class BasicGrain : Grain, IBasicGrain
{
    private readonly Probe _probe;

    public BasicGrain(Probe probe)
    {
        _probe = probe;
        probe.Increment("basic-ctor-" + GrainId.Key);
    }

    public Task<Guid> GetActivationId() => Task.FromResult(GrainContext.ActivationId);

    public Task<string> Echo(string text) => Task.FromResult(text);

    public Task Throw(string message) => throw new GrainTestException(message);

    public ValueTask<int> Add(int a, int b) => new(a + b);

    public async Task FireAndForget(string barrier)
    {
        _probe.Signal(barrier + "-started");
        await _probe.WaitAsync(barrier);
        _probe.Signal(barrier + "-done");
        throw new GrainTestException("one-way failure");
    }
}

public interface ICounterGrain : IGrainWithStringKey
{
    Task<int> Add(int amount);
}

public interface IOtherCounterGrain : IGrainWithStringKey
{
    Task<int> Add(int amount);
}

public sealed class CounterGrain : Grain, ICounterGrain
{
    private int _value;

    public Task<int> Add(int amount) => Task.FromResult(_value += amount);
}

public sealed class OtherCounterGrain : Grain, IOtherCounterGrain
{
    private int _value;

    public Task<int> Add(int amount) => Task.FromResult(_value += amount);
}

public interface ICustomNamedGrain : IGrainWithIntegerKey
{
    Task<string> TypeName();
}

[GrainType("custom-name")]
public sealed class CustomNamedGrain : Grain, ICustomNamedGrain
{
    public Task<string> TypeName() => Task.FromResult(GrainId.Type.Value);
}

public interface IGuidKeyedGrain : IGrainWithGuidKey
{
    Task<Guid> Key();
}

public sealed class GuidKeyedGrain : Grain, IGuidKeyedGrain
{
    public Task<Guid> Key() => Task.FromResult(GetPrimaryKey());
}

public interface ICompoundKeyedGrain : IGrainWithIntegerCompoundKey
{
    Task<string?> Extension();
}

public sealed class CompoundKeyedGrain : Grain, ICompoundKeyedGrain
{
    public Task<string?> Extension()
    {
        GetPrimaryKeyLong(out var extension);
        return Task.FromResult(extension);
    }
}

public interface IFacetA : IGrainWithStringKey
{
    Task<Guid> ActivationFromA();
}

public interface IFacetB : IGrainWithStringKey
{
    Task<Guid> ActivationFromB();
}

public sealed class TwoFacedGrain : Grain, IFacetA, IFacetB
{
    public Task<Guid> ActivationFromA() => Task.FromResult(GrainContext.ActivationId);

    public Task<Guid> ActivationFromB() => Task.FromResult(GrainContext.ActivationId);
}

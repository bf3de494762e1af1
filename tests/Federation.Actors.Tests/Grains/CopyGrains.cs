using System.Collections.Immutable;
using Federation.Actors.Tests.Support;

namespace Federation.Actors.Tests.Grains;

/// <summary>Marked immutable: passed by reference although its list could be mutated (a two-sided promise).</summary>
[Immutable]
public sealed class SharedPayload
{
    public List<int> Items { get; init; } = new();
}

/// <summary>Immutable by shape: get/init-only members of immutable types; passed by reference.</summary>
public sealed record Point(int X, int Y, ImmutableList<string> Labels);

/// <summary>A record with a settable mutable member: deep-copied.</summary>
public sealed record Basket(string Owner)
{
    public List<string> Items { get; set; } = new();
}

/// <summary>A sealed class with settable members: deep-copied.</summary>
public sealed class Order
{
    public string Id { get; set; } = string.Empty;

    public Dictionary<string, int[]> Lines { get; set; } = new();
}

public interface ICopyGrain : IGrainWithStringKey
{
    Task<List<int>> MutateAndStore(List<int> items);

    Task<List<int>> GetStored();

    Task StoreShared(SharedPayload payload);

    Task StoreWrapped(Immutable<List<int>> payload);

    Task StorePoint(Point point);

    Task<Basket> AddToBasket(Basket basket, string item);

    Task<Order> TouchOrder(Order order);
}

public sealed class CopyGrain : Grain, ICopyGrain
{
    private readonly Probe _probe;
    private List<int> _stored = new();

    public CopyGrain(Probe probe)
    {
        _probe = probe;
    }

    public Task<List<int>> MutateAndStore(List<int> items)
    {
        items.Add(99);
        _stored = items;
        return Task.FromResult(_stored);
    }

    public Task<List<int>> GetStored() => Task.FromResult(_stored);

    public Task StoreShared(SharedPayload payload)
    {
        _probe.Set("shared", payload);
        return Task.CompletedTask;
    }

    public Task StoreWrapped(Immutable<List<int>> payload)
    {
        _probe.Set("wrapped", payload.Value);
        return Task.CompletedTask;
    }

    public Task StorePoint(Point point)
    {
        _probe.Set("point", point);
        return Task.CompletedTask;
    }

    public Task<Basket> AddToBasket(Basket basket, string item)
    {
        _probe.Set("basket", basket);
        basket.Items.Add(item);
        return Task.FromResult(basket);
    }

    public Task<Order> TouchOrder(Order order)
    {
        _probe.Set("order", order);
        order.Lines["touched"] = new[] { 1 };
        return Task.FromResult(order);
    }
}

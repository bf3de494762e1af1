namespace Federation.Actors.Invocation;

/// <summary>
/// A small lock-free pool of request objects, one per generated request type. Bounded: surplus
/// objects are left to the GC, so a burst never pins memory.
/// </summary>
public sealed class RequestPool<T>
    where T : class, new()
{
    private readonly T?[] _items = new T?[Math.Max(16, Environment.ProcessorCount * 8)];
    private T? _fast;

    public T Rent()
    {
        var item = _fast;
        if (item is not null && Interlocked.CompareExchange(ref _fast, null, item) == item)
        {
            return item;
        }

        var items = _items;
        for (var i = 0; i < items.Length; i++)
        {
            item = items[i];
            if (item is not null && Interlocked.CompareExchange(ref items[i], null, item) == item)
            {
                return item;
            }
        }

        return new T();
    }

    public void Return(T item)
    {
        if (_fast is null && Interlocked.CompareExchange(ref _fast, item, null) is null)
        {
            return;
        }

        var items = _items;
        for (var i = 0; i < items.Length; i++)
        {
            if (items[i] is null && Interlocked.CompareExchange(ref items[i], item, null) is null)
            {
                return;
            }
        }
    }
}

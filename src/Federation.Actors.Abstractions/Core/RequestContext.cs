namespace Federation.Actors;

/// <summary>
/// Key/value data that flows with a call chain: set before a call, it travels with the request to the
/// callee and onwards to every call the callee makes. Values must be immutable. Stored as an
/// immutable snapshot in an AsyncLocal, so a message carries it by reference without copying.
/// </summary>
public static class RequestContext
{
    /// <summary>The key under which the call-chain reentrancy id travels.</summary>
    public const string CallChainReentrancyKey = "#CCR";

    private static readonly AsyncLocal<RequestContextData?> Data = new();

    /// <summary>The current snapshot (runtime use: messages carry it).</summary>
    public static RequestContextData? CurrentData
    {
        get => Data.Value;
        set => Data.Value = value;
    }

    public static void Set(string key, object? value)
    {
        ArgumentNullException.ThrowIfNull(key);
        Data.Value = (Data.Value ?? RequestContextData.Empty).With(key, value);
    }

    public static object? Get(string key) => Data.Value is { } data && data.TryGetValue(key, out var value) ? value : null;

    public static bool Remove(string key)
    {
        if (Data.Value is not { } data || !data.ContainsKey(key))
        {
            return false;
        }

        var next = data.Without(key);
        Data.Value = next.Count == 0 ? null : next;
        return true;
    }

    public static void Clear() => Data.Value = null;

    public static IReadOnlyCollection<string> Keys => Data.Value?.Keys ?? (IReadOnlyCollection<string>)Array.Empty<string>();

    /// <summary>The call-chain reentrancy id in effect, if any.</summary>
    public static Guid CallChainId => Data.Value?.CallChainId ?? Guid.Empty;

    /// <summary>
    /// Lets calls made in this call chain re-enter the current (non-reentrant) activation until the
    /// returned scope is disposed: a callback A→B→A no longer deadlocks, while unrelated callers still wait.
    /// </summary>
    public static ReentrancySection AllowCallChainReentrancy()
    {
        var previous = Data.Value;
        var id = previous?.CallChainId ?? Guid.Empty;
        if (id == Guid.Empty)
        {
            id = Guid.NewGuid();
        }

        Data.Value = (previous ?? RequestContextData.Empty).With(CallChainReentrancyKey, id);
        var context = RuntimeContext.Current;
        context?.EnterCallChainReentrancy(id);
        return new ReentrancySection(previous, context, id);
    }

    /// <summary>Clears the call-chain reentrancy id for the scope, so downstream calls do not re-enter.</summary>
    public static ReentrancySection SuppressCallChainReentrancy()
    {
        var previous = Data.Value;
        if (previous is not null && previous.ContainsKey(CallChainReentrancyKey))
        {
            var next = previous.Without(CallChainReentrancyKey);
            Data.Value = next.Count == 0 ? null : next;
        }

        return new ReentrancySection(previous, null, Guid.Empty);
    }

    /// <summary>The scope returned by <see cref="AllowCallChainReentrancy"/>; disposing restores the previous context.</summary>
    public readonly struct ReentrancySection : IDisposable
    {
        private readonly RequestContextData? _previous;
        private readonly IGrainContext? _context;
        private readonly Guid _id;

        internal ReentrancySection(RequestContextData? previous, IGrainContext? context, Guid id)
        {
            _previous = previous;
            _context = context;
            _id = id;
        }

        public void Dispose()
        {
            Data.Value = _previous;
            if (_context is not null && _id != Guid.Empty)
            {
                _context.ExitCallChainReentrancy(_id);
            }
        }
    }
}

/// <summary>An immutable request-context snapshot.</summary>
public sealed class RequestContextData
{
    public static readonly RequestContextData Empty = new(new Dictionary<string, object?>(StringComparer.Ordinal));

    private readonly Dictionary<string, object?> _values;

    private RequestContextData(Dictionary<string, object?> values)
    {
        _values = values;
        CallChainId = values.TryGetValue(RequestContext.CallChainReentrancyKey, out var id) && id is Guid guid ? guid : Guid.Empty;
    }

    public int Count => _values.Count;

    public Guid CallChainId { get; }

    public IReadOnlyCollection<string> Keys => _values.Keys;

    public bool ContainsKey(string key) => _values.ContainsKey(key);

    public bool TryGetValue(string key, out object? value) => _values.TryGetValue(key, out value);

    /// <summary>All entries, for a transport that serializes the context.</summary>
    public IEnumerable<KeyValuePair<string, object?>> Entries => _values;

    public RequestContextData With(string key, object? value)
    {
        var copy = new Dictionary<string, object?>(_values, StringComparer.Ordinal)
        {
            [key] = value,
        };
        return new RequestContextData(copy);
    }

    public RequestContextData Without(string key)
    {
        var copy = new Dictionary<string, object?>(_values, StringComparer.Ordinal);
        copy.Remove(key);
        return new RequestContextData(copy);
    }

    public static RequestContextData FromEntries(IEnumerable<KeyValuePair<string, object?>> entries) =>
        new(new Dictionary<string, object?>(entries, StringComparer.Ordinal));
}

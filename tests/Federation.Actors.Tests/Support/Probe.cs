using System.Collections.Concurrent;

namespace Federation.Actors.Tests.Support;

/// <summary>
/// Shared between a test and its grains (a DI singleton): named barriers the grains wait on or
/// signal, counters and recorded values. Waits have a real-time guard so a broken runtime fails the
/// test instead of hanging it.
/// </summary>
public sealed class Probe
{
    public static readonly TimeSpan Guard = TimeSpan.FromSeconds(15);

    private readonly ConcurrentDictionary<string, TaskCompletionSource> _signals = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _counters = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, object?> _values = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _events = new();

    public void Signal(string name) => Get(name).TrySetResult();

    public bool IsSignaled(string name) => Get(name).Task.IsCompleted;

    /// <summary>Waits (in grain code or a test) until <paramref name="name"/> is signalled.</summary>
    public Task WaitAsync(string name) => Get(name).Task.WaitAsync(Guard);

    public int Increment(string name) => _counters.AddOrUpdate(name, 1, static (_, v) => v + 1);

    public int Count(string name) => _counters.TryGetValue(name, out var v) ? v : 0;

    public void Set(string name, object? value) => _values[name] = value;

    public T? Get<T>(string name) => _values.TryGetValue(name, out var v) ? (T?)v : default;

    public void Log(string entry) => _events.Enqueue(entry);

    public IReadOnlyList<string> Events => _events.ToArray();

    private TaskCompletionSource Get(string name) =>
        _signals.GetOrAdd(name, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}

/// <summary>Waits for a condition another thread makes true (a barrier on state, with a real-time guard).</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Probe.Guard;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Condition not reached: {what}");
            }

            await Task.Delay(1);
        }
    }
}

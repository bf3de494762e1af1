using System.Collections.Concurrent;
using Federation.Actors.Diagnostics;
using Federation.Actors.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Federation.Actors.Persistence;

/// <summary>A state an activation reads before OnActivateAsync.</summary>
internal interface IBoundState
{
    Task ReadOnActivateAsync(CancellationToken cancellationToken);
}

/// <summary>
/// <see cref="IPersistentState{TState}"/> over the keyed <see cref="IGrainStorage"/> named by
/// <c>[PersistentState]</c>. Every provider gets the storage latency and error metrics from here.
/// </summary>
internal sealed class PersistentState<TState> : IPersistentState<TState>, IBoundState
{
    private readonly string _stateName;
    private readonly string _storageName;
    private readonly GrainId _grainId;
    private readonly IGrainStorage _storage;
    private readonly ActorsInstruments _instruments;
    private readonly TimeProvider _time;
    private static readonly ConcurrentDictionary<(Type Provider, string StateName), KeyValuePair<string, object?>[]> TagCache = new();
    private readonly KeyValuePair<string, object?>[] _tags;
    private TState _state = default!;
    private bool _hasState;

    private PersistentState(string stateName, string storageName, GrainId grainId, IGrainStorage storage, ActorsInstruments instruments, TimeProvider time)
    {
        _stateName = stateName;
        _storageName = storageName;
        _grainId = grainId;
        _storage = storage;
        _instruments = instruments;
        _time = time;
        _tags = TagsFor(storage.GetType(), stateName);
    }

    /// <summary>
    /// A fresh state is made on first use, not at construction: the activation's read replaces it at once, and making
    /// it twice was an allocation per activation (a job activates on every submission).
    /// </summary>
    public TState State
    {
        get
        {
            if (!_hasState)
            {
                _state = GrainStateFactory<TState>.Create();
                _hasState = true;
            }

            return _state;
        }

        set
        {
            _state = value;
            _hasState = true;
        }
    }

    public string? ETag { get; set; }

    public bool RecordExists { get; set; }

    public static PersistentState<TState> Create(string stateName, string? storageName, GrainId grainId, IServiceProvider services, ActorsInstruments instruments, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stateName);
        var name = storageName ?? StorageProviderNames.Default;
        var storage = services.GetKeyedService<IGrainStorage>(name)
            ?? throw new InvalidOperationException($"No grain storage named '{name}' is registered (state '{stateName}' of {grainId}). Register one, e.g. services.AddMemoryGrainStorage(\"{name}\").");
        return new PersistentState<TState>(stateName, name, grainId, storage, instruments, time);
    }

    /// <summary>
    /// The metric tags of a (provider, state) pair, shared by every activation: they never change, and
    /// an array per activation was ~110 bytes that lived as long as the activation.
    /// </summary>
    private static KeyValuePair<string, object?>[] TagsFor(Type provider, string stateName) =>
        TagCache.GetOrAdd(
            (provider, stateName),
            static key => new[]
            {
                new KeyValuePair<string, object?>(InstrumentNames.ProviderTag, key.Provider.Name),
                new KeyValuePair<string, object?>(InstrumentNames.StateNameTag, key.StateName),
                new KeyValuePair<string, object?>(InstrumentNames.StateTypeTag, typeof(TState).Name),
            });

    public Task ReadOnActivateAsync(CancellationToken cancellationToken) => ReadStateAsync(cancellationToken);

    public async Task ReadStateAsync(CancellationToken cancellationToken = default)
    {
        var start = _time.GetTimestamp();
        try
        {
            await _storage.ReadStateAsync(_stateName, _grainId, this, cancellationToken);
        }
        catch
        {
            _instruments.StorageReadErrors.Add(1, _tags);
            throw;
        }
        finally
        {
            _instruments.StorageReadLatency.Record(_time.GetElapsedTime(start).TotalMilliseconds, _tags);
        }
    }

    public async Task WriteStateAsync(CancellationToken cancellationToken = default)
    {
        var start = _time.GetTimestamp();
        try
        {
            await _storage.WriteStateAsync(_stateName, _grainId, this, cancellationToken);
        }
        catch
        {
            _instruments.StorageWriteErrors.Add(1, _tags);
            throw;
        }
        finally
        {
            _instruments.StorageWriteLatency.Record(_time.GetElapsedTime(start).TotalMilliseconds, _tags);
        }
    }

    public async Task ClearStateAsync(CancellationToken cancellationToken = default)
    {
        var start = _time.GetTimestamp();
        try
        {
            await _storage.ClearStateAsync(_stateName, _grainId, this, cancellationToken);
        }
        catch
        {
            _instruments.StorageClearErrors.Add(1, _tags);
            throw;
        }
        finally
        {
            _instruments.StorageClearLatency.Record(_time.GetElapsedTime(start).TotalMilliseconds, _tags);
        }
    }

    public override string ToString() => $"{_grainId}/{_stateName}@{_storageName}";
}

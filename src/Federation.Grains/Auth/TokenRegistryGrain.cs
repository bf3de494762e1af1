using System.Collections.Immutable;
using System.Security.Cryptography;
using Federation.Contracts;
using Federation.Grains.Audit;
using Federation.Grains.Hosting;
using Federation.Storage;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;
using Orleans.Utilities;

namespace Federation.Grains.Auth;

/// <summary>
/// The token registry ["tokens"] (<see cref="ITokenRegistryGrain"/>). Its state is written before any call answers, so a
/// token is handed out only once it is recorded, and a revocation holds once it answers: the registry first stores it,
/// then tells every silo's <see cref="ITokenObserver"/> and waits (each at most <see cref="NotifyWait"/>) for them. A silo
/// that missed it (it was starting, or the call failed) reads the revocations on its own every few seconds.
/// </summary>
public sealed class TokenRegistryGrain : Grain, ITokenRegistryGrain
{
    /// <summary>How long a silo's subscription lasts without being renewed.</summary>
    public static readonly TimeSpan ObserverLease = TimeSpan.FromMinutes(2);

    /// <summary>How long a revocation waits for one silo to take it.</summary>
    public static readonly TimeSpan NotifyWait = TimeSpan.FromSeconds(5);

    /// <summary>Bytes of the HMAC-SHA256 signing key.</summary>
    public const int KeyBytes = 32;

    private readonly IPersistentState<TokenRegistryState> _state;
    private readonly TimeProvider _time;
    private readonly AuditTrail _audit;
    private readonly ILogger<TokenRegistryGrain> _logger;
    private readonly ObserverManager<ITokenObserver> _observers;

    public TokenRegistryGrain(
        [PersistentState(TokenRegistryState.StateName, StorageNames.GrainState)] IPersistentState<TokenRegistryState> state,
        TimeProvider time,
        AuditTrail audit,
        ILogger<TokenRegistryGrain> logger)
    {
        _state = state;
        _time = time;
        _audit = audit;
        _logger = logger;
        _observers = new ObserverManager<ITokenObserver>(ObserverLease, logger);
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken) => _audit.FlushAsync(_state.State);

    public async Task<SigningKey> GetKeyAsync()
    {
        if (_state.State.Key is { Length: KeyBytes } key)
        {
            return new SigningKey { Key = [.. key], Created = false };
        }

        _state.State.Key = RandomNumberGenerator.GetBytes(KeyBytes);
        await _state.WriteOrUndoAsync(() => _state.State.Key = null);
        return new SigningKey { Key = [.. _state.State.Key], Created = true };
    }

    public async Task<TokenRecord> IssueAsync(TokenRequest request, string issuedBy, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = _time.GetUtcNow();
        var record = new TokenRecord
        {
            Id = "tok-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)),
            Subject = request.Subject,
            Role = request.Role,
            Regions = request.Regions.IsDefault ? [] : request.Regions,
            Projects = request.Projects.IsDefault ? [] : request.Projects,
            IssuedAt = now,
            ExpiresAt = now + lifetime,
            IssuedBy = issuedBy,
        };
        _state.State.Tokens[record.Id] = record;
        await _audit.WriteAsync(
            _state,
            _audit.Entry(AuditActions.TokenIssue, "token/" + record.Id, null, null, record),
            () => _state.State.Tokens.Remove(record.Id));
        return record;
    }

    public async Task<TokenRecord?> RevokeAsync(string id, string revokedBy)
    {
        if (!_state.State.Tokens.TryGetValue(id, out var record))
        {
            return null;
        }

        if (record.RevokedAt is null)
        {
            var revoked = record with { RevokedAt = _time.GetUtcNow(), RevokedBy = revokedBy };
            _state.State.Tokens[id] = revoked;
            _state.State.Version++;
            await _audit.WriteAsync(_state, _audit.Entry(AuditActions.TokenRevoke, "token/" + id, null, record, revoked), () =>
            {
                _state.State.Tokens[id] = record;
                _state.State.Version--;
            });
            record = revoked;
        }

        // Told again on a repeated revoke: a silo that missed the first hears it now.
        await NotifyAsync(Revocations());
        return record;
    }

    public Task<TokenRecord?> GetAsync(string id) => Task.FromResult(_state.State.Tokens.GetValueOrDefault(id));

    public Task<TokenList> ListAsync() =>
        Task.FromResult(new TokenList { Tokens = [.. _state.State.Tokens.Values.OrderByDescending(static t => t.IssuedAt).ThenBy(static t => t.Id, StringComparer.Ordinal)] });

    public Task<Revocations> GetRevocationsAsync() => Task.FromResult(Revocations());

    public Task SubscribeAsync(ITokenObserver observer)
    {
        _observers.Subscribe(observer, observer);
        return Task.CompletedTask;
    }

    /// <summary>Revoked tokens that have not expired: an expired one is refused by its expiry anyway.</summary>
    private Revocations Revocations()
    {
        var now = _time.GetUtcNow();
        return new Revocations
        {
            Version = _state.State.Version,
            Ids = [.. _state.State.Tokens.Values.Where(t => t.RevokedAt is not null && t.ExpiresAt > now).Select(static t => t.Id).Order(StringComparer.Ordinal)],
        };
    }

    private async Task NotifyAsync(Revocations revocations)
    {
        var calls = new List<Task>();
        _observers.ClearExpired();
        foreach (var observer in _observers)
        {
            calls.Add(TellAsync(observer, revocations));
        }

        await Task.WhenAll(calls);
    }

    private async Task TellAsync(ITokenObserver observer, Revocations revocations)
    {
        try
        {
            await observer.RevokedAsync(revocations).WaitAsync(NotifyWait, _time);
        }
        catch (Exception ex)
        {
            // The silo reads the revocations itself within its refresh interval.
            _logger.LogWarning(ex, "A silo did not take revocation version {Version}; it reads it on its next refresh", revocations.Version);
        }
    }
}

/// <summary>The token registry's durable state.</summary>
[GenerateSerializer, Alias("federation.TokenRegistryState")]
public sealed class TokenRegistryState : IAuditedState
{
    /// <summary>State name of the registry's persistent state (distinct from every other grain's).</summary>
    public const string StateName = "tokens";

    /// <summary>The HMAC-SHA256 key the server signs its own tokens with; null until the first start.</summary>
    [Id(0)]
    public byte[]? Key { get; set; }

    /// <summary>Every token issued, by id.</summary>
    [Id(1)]
    public Dictionary<string, TokenRecord> Tokens { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Grows with every revocation.</summary>
    [Id(2)]
    public long Version { get; set; }

    /// <summary>The audit entries of issues and revocations, stored with them until they are in the audit table.</summary>
    [Id(3)]
    public List<AuditEntry> AuditOutbox { get; set; } = [];
}

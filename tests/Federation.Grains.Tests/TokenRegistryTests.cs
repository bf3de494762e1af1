using System.Collections.Concurrent;
using Federation.Contracts;
using Federation.Grains.Tests.Support;
using Orleans;

namespace Federation.Grains.Tests;

/// <summary>
/// The token registry: one signing key, created once; tokens recorded before they are handed out; a revocation told to
/// every silo's observer before it answers (so the token is refused everywhere once the revocation has answered).
/// </summary>
public sealed class TokenRegistryTests
{
    [Fact]
    public async Task The_signing_key_is_created_once_and_the_same_on_every_silo()
    {
        await using var host = await FederationTestHost.StartAsync(silos: 2);
        var first = await Registry(host, 0).GetKeyAsync();
        var second = await Registry(host, 1).GetKeyAsync();

        Assert.True(first.Created);
        Assert.False(second.Created);
        Assert.Equal(32, first.Key.Length);
        Assert.Equal(first.Key.ToArray(), second.Key.ToArray());
    }

    [Fact]
    public async Task A_revocation_has_reached_every_silos_observer_when_it_answers_and_only_once_recorded()
    {
        await using var host = await FederationTestHost.StartAsync(silos: 2);
        var observers = new[] { new RecordingObserver(), new RecordingObserver() };
        for (var silo = 0; silo < 2; silo++)
        {
            var reference = host.GrainsOf(silo).CreateObjectReference<ITokenObserver>(observers[silo]);
            await Registry(host, silo).SubscribeAsync(reference);
        }

        var issued = await Registry(host, 0).IssueAsync(new TokenRequest { Subject = "ana", Role = Role.Researcher, Projects = ["p"] }, "kim", TimeSpan.FromHours(1));
        Assert.Equal(TimeSpan.FromHours(1), issued.ExpiresAt - issued.IssuedAt);
        Assert.Null(issued.RevokedAt);

        var revoked = await Registry(host, 1).RevokeAsync(issued.Id, "kim");
        Assert.NotNull(revoked!.RevokedAt);
        Assert.Equal("kim", revoked.RevokedBy);
        foreach (var observer in observers)
        {
            var told = Assert.Single(observer.Told);
            Assert.Equal([issued.Id], told.Ids.ToArray());
            Assert.Equal(1, told.Version);
        }

        // Revoked again: the first revocation's record holds; the silos are told again (one that missed it hears it now).
        var again = await Registry(host, 0).RevokeAsync(issued.Id, "lee");
        Assert.Equal((revoked.RevokedAt, "kim"), (again!.RevokedAt, again.RevokedBy));
        Assert.All(observers, o => Assert.Equal(2, o.Told.Count));
        Assert.Equal([issued.Id], (await Registry(host, 0).GetRevocationsAsync()).Ids.ToArray());
        Assert.Null(await Registry(host, 0).RevokeAsync("tok-none", "kim"));
    }

    [Fact]
    public async Task An_expired_token_leaves_the_revocations_it_no_longer_needs()
    {
        await using var host = await FederationTestHost.StartAsync();
        var registry = Registry(host, 0);
        var shortLived = await registry.IssueAsync(new TokenRequest { Subject = "a", Role = Role.Coordinator }, "kim", TimeSpan.FromMilliseconds(1));
        var longLived = await registry.IssueAsync(new TokenRequest { Subject = "b", Role = Role.Coordinator }, "kim", TimeSpan.FromHours(1));
        await registry.RevokeAsync(shortLived.Id, "kim");
        await registry.RevokeAsync(longLived.Id, "kim");

        // The registry's clock is the wall clock: the first token expired a millisecond after it was issued.
        var revocations = await registry.GetRevocationsAsync();
        Assert.Equal([longLived.Id], revocations.Ids.ToArray());
        Assert.Equal(2, revocations.Version);
        // Both stay listed: the registry keeps every token it issued.
        Assert.Equal(new[] { longLived.Id, shortLived.Id }.Order(StringComparer.Ordinal), (await registry.ListAsync()).Tokens.Select(t => t.Id).Order(StringComparer.Ordinal));
    }

    private static ITokenRegistryGrain Registry(FederationTestHost host, int silo) => host.GrainsOf(silo).GetGrain<ITokenRegistryGrain>(ITokenRegistryGrain.Key);

    private sealed class RecordingObserver : ITokenObserver
    {
        public ConcurrentQueue<Revocations> Told { get; } = new();

        public Task RevokedAsync(Revocations revocations)
        {
            Told.Enqueue(revocations);
            return Task.CompletedTask;
        }
    }
}

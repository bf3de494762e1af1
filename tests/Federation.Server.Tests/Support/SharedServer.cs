namespace Federation.Server.Tests.Support;

/// <summary>
/// One in-memory server for a whole test class (a class fixture), for tests that change nothing on it: bad requests,
/// unknown ids. xUnit runs the tests of one class one at a time, so each still sees only its own requests in flight.
/// </summary>
public sealed class SharedServer : IAsyncLifetime
{
    public ServerHost Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await ServerHost.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

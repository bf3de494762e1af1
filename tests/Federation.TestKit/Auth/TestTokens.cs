using System.Net.Http.Headers;

namespace Federation.TestKit;

/// <summary>
/// The coordinator token test servers are started with (<c>Federation:Auth:BootstrapToken</c>), so a test's own client
/// can set a server up; tests of who may do what issue researchers' and operators' tokens through <c>/api/tokens</c>.
/// </summary>
public static class TestTokens
{
    /// <summary>The bootstrap (coordinator) token of every test server.</summary>
    public const string Bootstrap = "test-bootstrap-coordinator-token-0123456789abcdef";

    /// <summary>The server argument that fixes it.</summary>
    public const string BootstrapArgument = "--Federation:Auth:BootstrapToken=" + Bootstrap;

    /// <summary>The environment variable that fixes it for a server started as a process.</summary>
    public const string BootstrapVariable = "Federation__Auth__BootstrapToken";

    /// <summary>The header value.</summary>
    public static AuthenticationHeaderValue Header(string token = Bootstrap) => new("Bearer", token);

    /// <summary>Sends the bootstrap token on every request of <paramref name="client"/>.</summary>
    public static HttpClient AsCoordinator(this HttpClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        client.DefaultRequestHeaders.Authorization = Header();
        return client;
    }
}

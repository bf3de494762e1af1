using Federation.Storage;
using Federation.Scheduling;
using Federation.Server;
using Microsoft.Extensions.Options;

try
{
    if (args.Contains("--help") || args.Contains("-h"))
    {
        Console.WriteLine(FederationServer.Usage);
        return 0;
    }

    var app = FederationServer.Build(FederationServer.CreateBuilder(args));
    await app.RunAsync();
    return 0;
}
catch (Exception e) when (e is OptionsValidationException or MegaregionFormatException or ArgumentException)
{
    Console.Error.WriteLine($"error: {(e is MegaregionFormatException ? "--megaregion: " : "")}{e.Message}");
    return 2;
}
catch (AdoNetStorageException e)
{
    // The store could not be opened or prepared at start (the host has logged the details): one line, no stack.
    // The message names the database, never credentials.
    Console.Error.WriteLine($"error: {e.Message}");
    return 3;
}
catch (Exception e) when (e is IOException or Orleans.Runtime.OrleansLifecycleCanceledException)
{
    // Kestrel or the silo could not start (most often a port in use: --urls, --silo-port, --gateway-port); the host
    // has logged the cause. One line and an exit code, not an unhandled exception.
    Console.Error.WriteLine($"error: the server could not start ({e.Message}); the log above names the cause, e.g. a port already in use (--urls, --silo-port, --gateway-port)");
    return 4;
}

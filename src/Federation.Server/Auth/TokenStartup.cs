using Federation.Contracts;
using Federation.Grains.Hosting;
using Microsoft.Extensions.Options;

namespace Federation.Server.Auth;

/// <summary>
/// Once the silo runs: loads the signing key (the first start ever creates it and prints a first coordinator token, once),
/// subscribes this silo to revocations, and renews that subscription and reads the revocations every
/// <see cref="AuthOptions.RevocationRefresh"/>.
/// </summary>
internal sealed partial class TokenStartup(
    TokenService tokens,
    IGrainFactory factory,
    GrainReferences grains,
    IOptions<AuthOptions> options,
    TimeProvider time,
    ILogger<TokenStartup> logger) : IHostedService, IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private ITokenObserver? _observer;
    private Task? _refresh;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var created = await tokens.StartAsync();
        _observer = factory.CreateObjectReference<ITokenObserver>(tokens);
        await grains.Tokens.SubscribeAsync(_observer);
        if (created && !options.Value.External)
        {
            var token = await tokens.IssueFirstAsync();

            // Printed, never logged: logs are collected and kept; the console of the first start is seen once.
            Console.Out.WriteLine(
                "\nThe first coordinator token (shown this once; it lasts " + options.Value.TokenLifetime.TotalDays + " days):\n\n  " + token +
                "\n\nLog in with it:  fedctl login --token <the token above>\n" +
                "and issue the others with fedctl token create (researchers, operators, more coordinators).\n");
            LogFirstToken(logger);
        }

        _refresh = RefreshAsync(_stop.Token);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync();
        if (_refresh is { } refresh)
        {
            await refresh.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public ValueTask DisposeAsync()
    {
        _stop.Dispose();
        if (_observer is { } observer)
        {
            factory.DeleteObjectReference<ITokenObserver>(observer);
        }

        return ValueTask.CompletedTask;
    }

    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.Value.RevocationRefresh, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await grains.Tokens.SubscribeAsync(_observer!);
                    await tokens.RefreshAsync();
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    LogRefreshFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the token signing key and printed the first coordinator token")]
    private static partial void LogFirstToken(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the token revocations; trying again on the next refresh")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);
}

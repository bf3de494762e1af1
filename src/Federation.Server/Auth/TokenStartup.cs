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
    /// <summary>How long the start waits for the registry before the server listens anyway (loading goes on meanwhile).</summary>
    private static readonly TimeSpan StartWait = TimeSpan.FromSeconds(20);

    /// <summary>Between attempts to load the key while the registry cannot be reached (its silo lost, the store down).</summary>
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);

    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ITokenObserver? _observer;
    private Task? _running;

    /// <summary>The key was created by this silo and the first token is not printed yet (kept across a failed attempt).</summary>
    private bool _firstPending;

    /// <summary>
    /// Starts loading; waits for it at most <see cref="StartWait"/>, so a first start prints its token before the server
    /// says it listens, yet a registry that cannot be reached now (its silo just lost) never keeps this silo from
    /// starting: the server's own tokens are refused until the key is loaded, the bootstrap token works throughout.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _observer = factory.CreateObjectReference<ITokenObserver>(tokens);
        _running = RunAsync(_stop.Token);
        await Task.WhenAny(_loaded.Task, Task.Delay(StartWait, time, cancellationToken));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync();
        if (_running is { } running)
        {
            await running.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
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

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!await TryLoadAsync())
            {
                await Task.Delay(RetryDelay, time, cancellationToken);
            }

            _loaded.TrySetResult();
            using var timer = new PeriodicTimer(options.Value.RevocationRefresh, time);
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

    private async Task<bool> TryLoadAsync()
    {
        try
        {
            _firstPending |= await tokens.StartAsync() && !options.Value.External;
            await grains.Tokens.SubscribeAsync(_observer!);
            if (_firstPending)
            {
                var token = await tokens.IssueFirstAsync();

                // Printed, never logged: logs are collected and kept; the console of the first start is seen once.
                Console.Out.WriteLine(
                    "\nThe first coordinator token (shown this once; it lasts " + options.Value.TokenLifetime.TotalDays + " days):\n\n  " + token +
                    "\n\nSign in to the console with it, or log in:  fedctl login --token <the token above>\n" +
                    "and issue the others with fedctl token create (researchers, operators, more coordinators).\n");
                LogFirstToken(logger);
                _firstPending = false;
            }

            return true;
        }
        catch (Exception ex) when (!_stop.IsCancellationRequested)
        {
            LogLoadFailed(logger, ex);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not load the token signing key from the registry; trying again (the server's own tokens are refused until it loads)")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the token signing key and printed the first coordinator token")]
    private static partial void LogFirstToken(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the token revocations; trying again on the next refresh")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception);
}
